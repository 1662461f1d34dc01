"""Finding a recommendation's owner from what an organizer wrote in a table: a phone, an
@username, or a name. A name matches a participant only by whole words of their name (in
order, ignoring case, accents and Arabic letter variants): "Karim" or "karim idrissi" find
«Karim El‑Idrissi», "a" or "Kar" find nobody. It must match exactly one person (an exact full
name wins over longer names containing it); otherwise the row is refused with the candidates,
so the organizer can write a phone or @username instead.

In the chat, an organizer looking for a delegate types what they know (`find_people`): a
phone in any format of the country (`0600005001`, `+212 600-005001`), an @username, or a name
in Arabic or Latin letters ("Youssef" finds «يوسف»), their full name or Telegram first name;
every match is listed to pick from."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.i18n import Message, Plural
from bot.profile import clean_phone
from storage.participants import Participant, ParticipantRepository

CANDIDATES_SHOWN = 5
_SCANNED = 1000  # participants whose name contains the longest word, read to check words

ROW_OWNER_CANDIDATES = Message("ri.row_owner_candidates", value="", count="", names="")

_ARABIC_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of a name, folded: no case, accents, Arabic diacritics or letter variants;
    hyphens (also non-breaking ones), dots and apostrophes separate words."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(bare.casefold().translate(_ARABIC_VARIANTS).replace("_", " "))


def _contains(name: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether `wanted` appears in `name` as consecutive whole words."""
    n = len(wanted)
    return any(list(name[i : i + n]) == list(wanted) for i in range(len(name) - n + 1))


async def by_name(
    participants: ParticipantRepository,
    value: str,
    folded: dict[int, list[str]] | None = None,
) -> tuple[list[Participant], bool]:
    """(the people a name means, exact): one person when the value is their full name.
    `folded` caches participants' name words across the rows of one import."""
    wanted = words(value)
    if not wanted:
        return [], False
    cache = folded if folded is not None else {}
    longest = max(_WORD.findall(value), key=len, default=value)
    candidates = await participants.find(longest, limit=_SCANNED)
    for p in candidates:
        if p.user_id not in cache:
            cache[p.user_id] = words(p.full_name)
    found = [p for p in candidates if _contains(cache[p.user_id], wanted)]
    exact = [p for p in found if cache[p.user_id] == wanted]
    if len(exact) == 1:
        return exact, True
    return found, False


# Arabic letters as Latin ones, the way Moroccan names are commonly written in French: enough
# to compare skeletons (consonants), not a transliteration to show.
_ARABIC_TO_LATIN = str.maketrans(
    {
        "ا": "a", "أ": "a", "إ": "a", "آ": "a", "ٱ": "a", "ى": "a", "ة": "a", "ء": "",
        "ع": "", "ئ": "y", "ؤ": "w", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h",
        "خ": "kh", "د": "d", "ذ": "d", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s",
        "ض": "d", "ط": "t", "ظ": "d", "غ": "gh", "ف": "f", "ق": "k", "ك": "k", "ل": "l",
        "م": "m", "ن": "n", "ه": "h", "و": "w", "ي": "y", "گ": "g", "ڭ": "g", "ڤ": "v",
        "پ": "p",
    }
)  # fmt: skip
# French spellings of Arabic sounds, in the order they are replaced.
_LATIN_SOUNDS = (
    ("ch", "sh"),
    ("dj", "j"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
)
_SOFT_C = re.compile(r"c(?=[eiy])")
_ARTICLES = frozenset({"al", "el"})
_VOWELS = frozenset("aeiouwy")
_MIN_SKELETON = 2  # shorter skeletons ("f", "l") would match half the list


def _skeleton(word: str) -> str:
    """A folded word (see `words`) reduced to its consonants, the same for its Arabic and
    its Latin spelling: "youssef", "youcef" and "يوسف" are all "ysf"."""
    if any("\u0600" <= c <= "\u06ff" for c in word):
        if word.startswith("ال") and len(word) > 3:
            word = word[2:]
        latin = word.translate(_ARABIC_TO_LATIN)
    else:
        latin = word
        for spelled, sound in _LATIN_SOUNDS:
            latin = latin.replace(spelled, sound)
        latin = _SOFT_C.sub("s", latin).replace("c", "k")
        if latin.startswith("ou") and latin[2:3] in ("a", "e", "i"):
            latin = "w" + latin[2:]  # Ouafae: وفاء
    if latin.endswith("h") and not latin.endswith(("sh", "kh", "gh")) and len(latin) > 1:
        latin = latin[:-1]  # a final ة (folded to ه) or h: Fatima(h) فاطمة, Abdellah عبد الله
    kept = [c for i, c in enumerate(latin) if c not in _VOWELS or (i == 0 and c in "wy")]
    return "".join(c for i, c in enumerate(kept) if i == 0 or kept[i - 1] != c)


def skeletons(text: str) -> list[str]:
    """The consonant skeleton of each word of a name, articles (al-, el-) left out."""
    return [s for w in words(text) if w not in _ARTICLES and (s := _skeleton(w))]


def _sounds_like(name: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether the skeletons `wanted` are consecutive words of `name`, or spell, joined, a run
    of them ("Abdellah" and «عبد الله»)."""
    joined = "".join(wanted)
    if len(joined) < _MIN_SKELETON:
        return False
    if _contains(name, wanted):
        return True
    for start in range(len(name)):
        run = ""
        for part in name[start:]:
            run += part
            if run == joined:
                return True
            if len(run) >= len(joined):
                break
    return False


def _rank(person: Participant, query: str) -> int | None:
    """How well the query names this person: 0 their exact full name, 1 words of their name
    as written, 2 their Telegram first name or username, 3 their name in the other script;
    None: not them."""
    wanted, name = words(query), words(person.full_name)
    if not wanted:
        return None
    if _contains(name, wanted):
        return 0 if name == wanted else 1
    if _contains(words(person.first_name or ""), wanted) or (
        person.username and query.strip().lstrip("@").casefold() == person.username.casefold()
    ):
        return 2
    sounds = skeletons(query)
    if _sounds_like(skeletons(person.full_name), sounds) or _sounds_like(
        skeletons(person.first_name or ""), sounds
    ):
        return 3
    return None


_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")


async def find_people(
    participants: ParticipantRepository, query: str, limit: int = 8
) -> list[Participant]:
    """Everyone an organizer may mean by what they typed, the best matches first: a
    phone number in any format the country's numbers are written in, an @username, or a
    name (whole words, in either script) of their full name, Telegram first name or
    username."""
    query = query.strip()
    if not query:
        return []
    if query.startswith("@"):
        return await participants.find(query, limit=limit)
    if _PHONE_LIKE.fullmatch(query) and sum(c.isdigit() for c in query) >= 6:
        phone = clean_phone(query)
        return await participants.find(phone, limit=limit) if phone else []
    ranked = [
        (rank, index, person)
        for index, person in enumerate(await participants.named())
        if (rank := _rank(person, query)) is not None
    ]
    return [person for _, _, person in sorted(ranked)[:limit]]


def candidates_reason(value: str, found: list[Participant]) -> Message:
    """The reason a row is refused when its owner matches several people, with who."""
    shown = [f"{p.full_name} ({p.unit})" for p in found[:CANDIDATES_SHOWN]]
    if len(found) > CANDIDATES_SHOWN:
        shown.append("…")
    return ROW_OWNER_CANDIDATES.format(
        value=value, count=Plural("bc.people", len(found)), names=", ".join(shown)
    )
