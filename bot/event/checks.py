"""The checks of an event file that look at more than one field: times within the event,
unique ids and codes, workshops in a workshop_slot, no two things in one room at once. They work
on plain field dicts, so that the loader can run them on entries rejected for another field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.event.problems import Loc, Problem, path
from bot.i18n import Message

if TYPE_CHECKING:  # bot.event.models runs the checks of this module
    from bot.event.models import EventDefinition

Fields = dict[str, Any]  # the fields of one entry, by name


def _clock(moment: datetime, zone: ZoneInfo, with_date: bool) -> str:
    """A time as organizers wrote it: local, with the date only for multi-day events."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def cross_problems(
    info: Fields,
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    functions: list[tuple[int, Fields]],
    regions: list[tuple[int, Fields]],
    zone: ZoneInfo,
) -> list[Problem]:
    """The checks that look at more than one field; a field missing from an entry (invalid,
    already reported) skips the checks that need it."""
    problems: list[Problem] = []

    def add(loc: Loc, key: str, **values: object) -> None:
        problems.append(Problem(loc, Message(key, **values)))

    start, end = info.get("start"), info.get("end")
    one_day = bool(start and end and start.astimezone(zone).date() == end.astimezone(zone).date())

    def at(moment: datetime) -> str:
        return _clock(moment, zone, not one_day)

    opens, closes = info.get("registration_opens"), info.get("registration_closes")
    if start and end and end <= start:
        add(("event", "end"), "evf.p.after_start")
    if opens and closes and closes <= opens:
        add(("event", "registration_closes"), "evf.p.after_opens")
    if closes and end and closes > end:
        add(("event", "registration_closes"), "evf.p.not_after_end", time=at(end))
    _agenda_times(agenda, start if start and end and start < end else None, end, at, add)
    _unique_ids(agenda, workshops, add)
    _slots_and_rooms(agenda, workshops, at, add)
    for section, options in (("functions", functions), ("regions", regions)):
        seen: dict[str, int] = {}
        for i, option in options:
            code = option.get("code")
            first = seen.setdefault(code, i) if code else i
            if first != i:
                add((section, i, "code"), "evf.p.used_by", value=code, where=path((section, first)))
    return problems


def _agenda_times(
    agenda: list[tuple[int, Fields]],
    start: datetime | None,
    end: datetime | None,
    at: Callable[[datetime], str],
    add: Callable[..., None],
) -> None:
    """Each item ends after it starts, within the event (when the event's times are sound)."""
    for i, item in agenda:
        item_start, item_end = item.get("start"), item.get("end")
        if item_start and item_end and item_end <= item_start:
            add(("agenda", i, "end"), "evf.p.after_start")
        if start and end and item_start and item_start < start:
            add(("agenda", i, "start"), "evf.p.before_event", time=at(start))
        if start and end and item_end and item_end > end:
            add(("agenda", i, "end"), "evf.p.after_event", time=at(end))


def _unique_ids(
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    add: Callable[..., None],
) -> None:
    """Ids are unique across agenda and workshops: reminders and notices are keyed on them."""
    owners: dict[str, str] = {}
    for section, entries in (("agenda", agenda), ("workshops", workshops)):
        for i, entry in entries:
            key, here = entry.get("id"), path((section, i))
            first = owners.setdefault(key, here) if key else here
            if first != here:
                add((section, i, "id"), "evf.p.used_by", value=key, where=first)


def _slots_and_rooms(
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    at: Callable[[datetime], str],
    add: Callable[..., None],
) -> None:
    """Workshops name a workshop_slot; nothing shares a room at overlapping times."""
    items: dict[str, Fields] = {}
    for _, item in agenda:
        if item.get("id"):
            items.setdefault(item["id"], item)
    held = [
        (("agenda", i, "room"), path(("agenda", i)), item.get("room"), item) for i, item in agenda
    ]
    for i, workshop in workshops:
        key = workshop.get("slot")
        slot = items.get(key) if key else None
        if key and slot is None:
            add(("workshops", i, "slot"), "evf.p.no_item", value=key)
        elif slot and slot.get("kind") not in (None, "workshop_slot"):
            add(("workshops", i, "slot"), "evf.p.not_slot", value=key, kind=slot["kind"])
        elif slot:
            held.append(
                (("workshops", i, "room"), path(("workshops", i)), workshop.get("room"), slot)
            )
    # Only what has a room and sound times can clash.
    spans = [
        (loc, where, room, times["start"], times["end"])
        for loc, where, room, times in held
        if room and times.get("start") and times.get("end") and times["start"] < times["end"]
    ]
    for n, (loc, _, room, start, end) in enumerate(spans):
        for _, other, other_room, other_start, other_end in spans[:n]:
            if _same_room(room, other_room) and start < other_end and other_start < end:
                span = Message("common.span", start=at(other_start), end=at(other_end))
                add(loc, "evf.p.overlaps", other=other, room=_names(room)[0], span=span)


def _names(room: object) -> list[str]:
    """A room's names: the one text, or one per language."""
    if isinstance(room, dict):
        return [str(v) for v in room.values() if v]
    return [str(room)]


def _same_room(a: object, b: object) -> bool:
    """Rooms typed with different case or spacing, or sharing a name in one language, are the
    same room."""
    seen = {" ".join(name.split()).casefold() for name in _names(a)}
    return any(" ".join(name.split()).casefold() in seen for name in _names(b))


# The names of an event file given per language (see bot.event.models.Label).
_LABELS = (("agenda", ("room", "speaker")), ("workshops", ("room", "facilitator")))


def missing_languages(definition: EventDefinition, locales: Sequence[str]) -> list[Problem]:
    """Warnings, not errors: each room, speaker or facilitator not given in a language the
    event offers (a reader of that language sees it in another)."""
    warnings: list[Problem] = []
    for section, fields in _LABELS:
        entries: Sequence[Any] = getattr(definition, section)
        for i, entry in enumerate(entries):
            for name in fields:
                value = getattr(entry, name)
                if value is None:
                    continue
                if not isinstance(value, dict):  # one text shown in every language
                    key, missing = "evf.w.one_text", list(locales)
                else:
                    key, missing = "evf.w.missing_languages", [c for c in locales if c not in value]
                if missing:
                    warnings.append(
                        Problem((section, i, name), Message(key, languages=", ".join(missing)))
                    )
    return warnings
