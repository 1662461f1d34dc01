"""The Arabic catalogue speaks to people in one register, the polite plural (تسجيلكم, لديكم,
اختاروا), never in the singular (تسجيلك, لديك, اختر): a reader addressed both ways in one
conversation reads the singular as familiar, or as meant for someone else."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ARABIC_PO = ROOT / "locales" / "ar" / "LC_MESSAGES" / "messages.po"

_HARAKAT = re.compile("[\u064b-\u0652\u0670]")
_WORD = re.compile("[\u0621-\u064a\u064b-\u0652\u0670]+")
# Words ending in ك that are not the singular "your": demonstratives, and nouns whose root
# ends in ك (a participant, shared, the bank...).
NOT_SECOND_PERSON = frozenset(
    {
        "ذلك",
        "لذلك",
        "كذلك",
        "بذلك",
        "هناك",
        "تلك",
        "مشارك",
        "المشارك",
        "للمشارك",
        "مشترك",
        "المشترك",
        "المشتركة",
        "تشارك",  # (it) is shared: تُشارك
        "فك",  # unzipping
    }
)
# The singular pronoun and verbs in the singular second person that the catalogue would use
# (their polite plural: أنتم, اكتبوا, اختاروا, تريدون, لم تسجلوا, ...).
SINGULAR_WORDS = frozenset(
    {
        "أنت",
        "اكتب",
        "اختر",
        "أرسل",
        "اضغط",
        "احذف",
        "احتفظ",
        "اطلب",
        "استعمل",
        "استخدم",
        "أدخل",
        "انقر",
        "تريد",
        "تستطيع",
        "تسجل",
        "أجب",
        "راجع",
        "أضف",
        "تأكد",
    }
)


def _without_and(word: str, words: frozenset[str]) -> str:
    """A word without its leading و or ف ("and", "so") when what is left is one of `words`."""
    return word[1:] if word[:1] in "وف" and word[1:] in words else word


def singular_forms(text: str) -> list[str]:
    """The words of an Arabic text that address the reader in the singular. The verbs are
    compared as written: a vowel mark tells a passive (أُرسل, was sent) from the imperative."""
    found = []
    for raw in _WORD.findall(text):
        word = _without_and(_HARAKAT.sub("", raw), NOT_SECOND_PERSON)
        verb = _without_and(raw, SINGULAR_WORDS) in SINGULAR_WORDS
        your = word.endswith("ك") and word not in NOT_SECOND_PERSON
        if verb or your:
            found.append(raw)
    return found


def test_the_check_tells_the_singular_from_the_polite_plural() -> None:
    assert singular_forms("المعطيات المحفوظة عنك: بياناتك، لك، التي أنت مسؤول عنها") == [
        "عنك",
        "بياناتك",
        "لك",
        "أنت",
    ]
    assert singular_forms("اختر لغتك، ولم تسجل بعد") == ["اختر", "لغتك", "تسجل"]
    polite = "المعطيات المحفوظة عنكم: بياناتكم، لكم، أنتم. اختاروا لغتكم، لم تسجلوا بعد"
    assert singular_forms(polite) == []
    assert singular_forms("ذلك هناك: مشارك واحد، وتلك المشتركة لا تُشارك، وما أُرسل") == []


def test_every_arabic_text_uses_the_polite_plural() -> None:
    with ARABIC_PO.open("rb") as handle:
        catalogue = read_po(handle)
    offenders = {}
    for message in catalogue:
        if not message.id:
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        found = [word for text in texts if text for word in singular_forms(text)]
        if found:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            offenders[key] = found
    assert offenders == {}
