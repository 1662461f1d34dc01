"""Finding a recommendation's owner from what an organizer wrote in a table: a phone, an
@username, or a name. A name matches a participant only by whole words of their name (in
order, ignoring case, accents and Arabic letter variants): "Karim" or "karim idrissi" find
«Karim El‑Idrissi», "a" or "Kar" find nobody. It must match exactly one person (an exact full
name wins over longer names containing it); otherwise the row is refused with the candidates,
so the organizer can write a phone or @username instead."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.i18n import Message, Plural
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


def candidates_reason(value: str, found: list[Participant]) -> Message:
    """The reason a row is refused when its owner matches several people, with who."""
    shown = [f"{p.full_name} ({p.unit})" for p in found[:CANDIDATES_SHOWN]]
    if len(found) > CANDIDATES_SHOWN:
        shown.append("…")
    return ROW_OWNER_CANDIDATES.format(
        value=value, count=Plural("bc.people", len(found)), names=", ".join(shown)
    )
