"""What changed between two versions of the event, keyed on the stable ids of agenda items and
workshops; the bot turns each change into a message for the people it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.event.file import AgendaItem, EventDefinition, Workshop

ChangeKind = Literal[
    "added",  # old None, new the AgendaItem or Workshop
    "removed",  # old the AgendaItem or Workshop, new None
    "time",  # Span → Span (a workshop's: its slot's times)
    "slot",  # workshop only: id of the old slot → id of the new one
    "room",  # str | None → str | None
    "title",  # dict locale → text, both
    "speaker",  # agenda only: str | None → str | None
    "facilitator",  # workshop only: str | None → str | None
    "capacity",  # workshop only: int → int
]
Subject = Literal["agenda", "workshop"]


@dataclass(frozen=True, slots=True)
class Span:
    """When something takes place, in UTC (display in the event's zone)."""

    start: datetime
    end: datetime


Value = AgendaItem | Workshop | Span | dict[str, str] | str | int | None


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions; `old` and `new` depend on `kind` (see ChangeKind)."""

    kind: ChangeKind
    subject: Subject
    id: str
    old: Value
    new: Value


def diff_events(old: EventDefinition, new: EventDefinition) -> list[Change]:
    """Every change, in the new agenda's order, then the workshops' (removed ones last in each)."""
    return [*_agenda_changes(old, new), *_workshop_changes(old, new)]


def _changed(
    subject: Subject, key: str, fields: list[tuple[ChangeKind, Value, Value]]
) -> list[Change]:
    """A change for each field whose value differs."""
    return [Change(kind, subject, key, was, now) for kind, was, now in fields if was != now]


def _agenda_changes(old: EventDefinition, new: EventDefinition) -> list[Change]:
    """Changes of the agenda items."""
    changes: list[Change] = []
    for item in new.agenda:
        was = old.item(item.id)
        if was is None:
            changes.append(Change("added", "agenda", item.id, None, item))
            continue
        changes += _changed(
            "agenda",
            item.id,
            [
                ("time", Span(was.start, was.end), Span(item.start, item.end)),
                ("room", was.room, item.room),
                ("title", dict(was.title), dict(item.title)),
                ("speaker", was.speaker, item.speaker),
            ],
        )
    changes += [
        Change("removed", "agenda", item.id, item, None)
        for item in old.agenda
        if new.item(item.id) is None
    ]
    return changes


def _workshop_changes(old: EventDefinition, new: EventDefinition) -> list[Change]:
    """Changes of the workshops; a moved slot changes the time of every workshop in it."""
    changes: list[Change] = []
    for workshop in new.workshops:
        was = old.workshop(workshop.id)
        if was is None:
            changes.append(Change("added", "workshop", workshop.id, None, workshop))
            continue
        old_slot, new_slot = old.slot_of(was), new.slot_of(workshop)
        changes += _changed(
            "workshop",
            workshop.id,
            [
                ("time", Span(old_slot.start, old_slot.end), Span(new_slot.start, new_slot.end)),
                ("slot", was.slot, workshop.slot),
                ("room", was.room, workshop.room),
                ("capacity", was.capacity, workshop.capacity),
                ("title", dict(was.title), dict(workshop.title)),
                ("facilitator", was.facilitator, workshop.facilitator),
            ],
        )
    changes += [
        Change("removed", "workshop", workshop.id, workshop, None)
        for workshop in old.workshops
        if new.workshop(workshop.id) is None
    ]
    return changes
