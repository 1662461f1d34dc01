"""What changed between two versions of the event: one Change per difference, keyed on ids."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.event.diff import Change, Span, diff_events
from bot.event.file import EventDefinition, parse_event_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"


def utc(hour: int, minute: int = 0) -> datetime:
    """A time on the study day, in UTC (Casablanca was UTC+1)."""
    return datetime(2019, 1, 30, hour, minute, tzinfo=UTC)


def variant(change: Callable[[Any], object] | None = None) -> EventDefinition:
    """The example, edited as an organizer would edit the file."""
    yaml = YAML(typ="rt")
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    return parse_event_text(out.getvalue())


def agenda_index(data: Any, key: str) -> Any:
    """The agenda entry with this id."""
    return next(item for item in data["agenda"] if item["id"] == key)


def workshop_index(data: Any, key: str) -> Any:
    """The workshop entry with this id."""
    return next(w for w in data["workshops"] if w["id"] == key)


@pytest.fixture(scope="module")
def original() -> EventDefinition:
    return variant()


def test_identical_files_have_no_changes(original: EventDefinition) -> None:
    assert diff_events(original, variant()) == []
    assert diff_events(original, original) == []


def test_item_time_changed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        agenda_index(d, "reports")["end"] = "2019-01-30 16:45"
        agenda_index(d, "closing").update(start="2019-01-30 16:45", end="2019-01-30 17:00")

    assert diff_events(original, variant(change)) == [
        Change(
            "time",
            "agenda",
            "reports",
            Span(utc(13, 30), utc(15, 30)),
            Span(utc(13, 30), utc(15, 45)),
        ),
        Change("time", "agenda", "closing", Span(utc(15, 30), utc(16)), Span(utc(15, 45), utc(16))),
    ]


def test_item_room_title_and_speaker_changed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        debate = agenda_index(d, "debate")
        debate["room"] = "Salle 1"
        debate["title"]["fr"] = "Débat avec la salle"
        debate["speaker"] = "Modérateur"

    changes = diff_events(original, variant(change))
    assert [(c.kind, c.subject, c.id) for c in changes] == [
        ("room", "agenda", "debate"),
        ("title", "agenda", "debate"),
        ("speaker", "agenda", "debate"),
    ]
    room, title, speaker = changes
    assert (room.old, room.new) == (
        {"ar": "المدرج", "fr": "Amphithéâtre", "en": "Lecture theatre"},
        "Salle 1",
    )
    assert isinstance(title.old, dict) and isinstance(title.new, dict)
    assert (title.old["fr"], title.new["fr"]) == ("Débat général", "Débat avec la salle")
    assert title.old["ar"] == title.new["ar"]
    assert (speaker.old, speaker.new) == (None, "Modérateur")


def test_item_added_and_removed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        d["agenda"].remove(agenda_index(d, "khouribga"))
        agenda_index(d, "debate")["start"] = "2019-01-30 10:50"
        d["agenda"].append(
            {
                "id": "photo",
                "start": "2019-01-30 16:45",
                "end": "2019-01-30 17:00",
                "kind": "break",
                "title": {"ar": "صورة جماعية", "fr": "Photo de groupe", "en": "Group photo"},
            }
        )
        agenda_index(d, "closing")["end"] = "2019-01-30 16:45"

    new = variant(change)
    changes = diff_events(original, new)
    assert [(c.kind, c.id) for c in changes] == [
        ("time", "debate"),
        ("time", "closing"),
        ("added", "photo"),
        ("removed", "khouribga"),
    ]
    assert changes[2].new == new.item("photo") and changes[2].old is None
    assert changes[3].old == original.item("khouribga") and changes[3].new is None


def test_workshop_room_changed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        workshop_index(d, "partnerships")["room"] = "Salle 5"

    assert diff_events(original, variant(change)) == [
        Change(
            "room",
            "workshop",
            "partnerships",
            {"ar": "القاعة 2", "fr": "Salle 2", "en": "Room 2"},
            "Salle 5",
        )
    ]


def test_workshop_time_changes_when_its_slot_moves(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        agenda_index(d, "workshops")["end"] = "2019-01-30 13:15"

    changes = diff_events(original, variant(change))
    slot_moved = Span(utc(10, 50), utc(12, 15))
    before = Span(utc(10, 50), utc(12, 30))
    assert changes == [
        Change("time", "agenda", "workshops", before, slot_moved),
        *(
            Change("time", "workshop", key, before, slot_moved)
            for key in ("management", "partnerships", "training-offer", "repositioning")
        ),
    ]


def test_workshop_moved_to_another_slot(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        agenda_index(d, "reports").update(
            kind="workshop_slot", start="2019-01-30 14:30", end="2019-01-30 16:00", room=None
        )
        agenda_index(d, "reports")["id"] = "afternoon"
        agenda_index(d, "closing")["start"] = "2019-01-30 16:00"
        workshop_index(d, "repositioning")["slot"] = "afternoon"

    changes = [c for c in diff_events(original, variant(change)) if c.subject == "workshop"]
    assert changes == [
        Change(
            "time",
            "workshop",
            "repositioning",
            Span(utc(10, 50), utc(12, 30)),
            Span(utc(13, 30), utc(15)),
        ),
        Change("slot", "workshop", "repositioning", "workshops", "afternoon"),
    ]


def test_workshop_capacity_title_and_facilitator_changed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        management = workshop_index(d, "management")
        management["capacity"] = 40
        management["title"]["en"] = "Better management of the centres"
        del management["facilitator"]

    new = variant(change)
    was, now = original.workshop("management"), new.workshop("management")
    assert was is not None and now is not None
    assert diff_events(original, new) == [
        Change("capacity", "workshop", "management", 30, 40),
        Change("title", "workshop", "management", dict(was.title), dict(now.title)),
        Change(
            "facilitator",
            "workshop",
            "management",
            {
                "ar": "المندوبية الإقليمية بخريبكة",
                "fr": "Délégation provinciale de Khouribga",
                "en": "Khouribga provincial delegation",
            },
            None,
        ),
    ]
    assert now.title["en"] == "Better management of the centres"


def test_workshop_added_and_removed(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        gone = workshop_index(d, "training-offer")
        d["workshops"].remove(gone)
        d["workshops"].append({**gone, "id": "digital", "room": "Salle 5"})

    new = variant(change)
    changes = diff_events(original, new)
    assert [(c.kind, c.subject, c.id) for c in changes] == [
        ("added", "workshop", "digital"),
        ("removed", "workshop", "training-offer"),
    ]
    assert changes[0].new == new.workshop("digital")
    assert changes[1].old == original.workshop("training-offer")


def test_agenda_changes_come_before_workshop_changes(original: EventDefinition) -> None:
    def change(d: Any) -> None:
        workshop_index(d, "management")["room"] = "Salle 6"
        agenda_index(d, "closing")["room"] = "Grande salle"
        agenda_index(d, "opening")["room"] = "Grande salle"

    assert [(c.subject, c.id) for c in diff_events(original, variant(change))] == [
        ("agenda", "opening"),
        ("agenda", "closing"),
        ("workshop", "management"),
    ]
