"""The one place that says how a workshop, an agenda item, a room, a region or a function is
labelled in a language. Registration, /admin, /agenda, broadcasts, exports and posters ask here,
so the same thing reads the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.i18n import Translator, as_plain

if TYPE_CHECKING:
    from bot.context import Services


def localized(texts: Mapping[str, str], t: Translator) -> str:
    """A text of the event file in the reader's language (else any)."""
    return texts.get(t.locale) or next(iter(texts.values()), "")


def name_label(t: Translator, name: str | Mapping[str, str] | None) -> str:
    """A name of the event file (a speaker, a facilitator): one text for every language, or
    one per language (the reader's, else another)."""
    if name is None:
        return ""
    return name if isinstance(name, str) else localized(name, t)


def room_label(t: Translator, room: str | Mapping[str, str]) -> str:
    """A room as organizers named it, in the reader's language when given per language; a
    bare number gets the word for room ("salle 12"), a name is kept as written ("Salle 1",
    not "salle Salle 1")."""
    room = " ".join(name_label(t, room).split())
    return t.plain("label.room_number", number=room) if room.isdigit() else room


async def region_label(services: Services, t: Translator, code: str) -> str:
    """A region's label: the event file's when it defines the regions, else the catalogue's."""
    return as_plain(await services.event.label_of(t, "region", code))


async def function_label(services: Services, t: Translator, code: str) -> str:
    """A function's label: the event file's when it defines the functions, else the catalogue's."""
    return as_plain(await services.event.label_of(t, "function", code))
