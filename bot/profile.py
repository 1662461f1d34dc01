"""Validation of what participants type during registration (pure functions, no Telegram)."""

from __future__ import annotations

import unicodedata

import phonenumbers

NAME_MIN, NAME_MAX = 3, 100
UNIT_MIN, UNIT_MAX = 2, 120
FUNCTION_OTHER_MIN, FUNCTION_OTHER_MAX = 2, 80
_NAME_PUNCTUATION = set(" -'.’ʼ")


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_name(text: str) -> str | None:
    """A full name: 3–100 letters/combining marks of any script, spaces, - ' and ."""
    name = _collapse(text)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        return None
    for char in name:
        if char in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(char)[0] not in ("L", "M"):
            return None
    if sum(1 for c in name if unicodedata.category(c)[0] == "L") < 2:
        return None
    return name


def clean_free_text(text: str, low: int, high: int) -> str | None:
    """Free text (unit, other function) of a bounded length with no control characters."""
    value = _collapse(text)
    if not low <= len(value) <= high:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in value):
        return None
    return value


def clean_phone(text: str, region: str = "MA") -> str | None:
    """A valid phone number in E.164; national numbers are read as Moroccan by default."""
    raw = text.strip()
    if not raw or len(raw) > 32:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
