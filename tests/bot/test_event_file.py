"""The event file: the example loads, times become UTC, and every problem is reported at once
with its place in the file."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.event.file import (
    LOCALES,
    EventDefinition,
    EventFileError,
    Localized,
    load_event_file,
    parse_event_text,
)
from bot.settings import DEFAULT_FUNCTIONS, DEFAULT_REGIONS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"

# The example uses the bot's default codes, so registration labels stay consistent.
FUNCTIONS = list(DEFAULT_FUNCTIONS)
REGIONS = list(DEFAULT_REGIONS)


def texts(word: str) -> dict[str, str]:
    """A Localized value."""
    return {"ar": f"{word} بالعربية", "fr": f"{word} en français", "en": f"{word} in English"}


def workshop(key: str, room: str, slot: str = "ws") -> dict[str, Any]:
    """A valid workshop entry."""
    return {
        "id": key,
        "title": texts(key),
        "description": texts("about " + key),
        "room": room,
        "capacity": 30,
        "slot": slot,
    }


def base() -> dict[str, Any]:
    """A small valid event: 4 agenda items, 3 workshops."""
    return {
        "event": {
            "slug": "test-day",
            "title": texts("day"),
            "venue": {"name": texts("institute"), "address": "Maâmora, Salé"},
            "start": "2019-01-30 08:30",
            "end": "2019-01-30 17:00",
            "registration_opens": "2019-01-10 09:00",
            "registration_closes": "2019-01-28 18:00",
        },
        "agenda": [
            {
                "id": "welcome",
                "start": "2019-01-30 08:30",
                "end": "2019-01-30 09:00",
                "kind": "break",
                "title": texts("welcome"),
            },
            {
                "id": "opening",
                "start": "2019-01-30 09:00",
                "end": "2019-01-30 10:30",
                "kind": "plenary",
                "title": texts("opening"),
                "room": "Salle A",
            },
            {
                "id": "ws",
                "start": "2019-01-30 11:00",
                "end": "2019-01-30 12:30",
                "kind": "workshop_slot",
                "title": texts("workshops"),
            },
            {
                "id": "closing",
                "start": "2019-01-30 16:00",
                "end": "2019-01-30 16:30",
                "kind": "plenary",
                "title": texts("closing"),
                "room": "Salle A",
            },
        ],
        "workshops": [
            workshop("w1", "Salle B"),
            workshop("w2", "Salle C"),
            workshop("w3", "Salle D"),
        ],
    }


def dump(data: dict[str, Any]) -> str:
    """YAML text of plain data."""
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # keep the order a person would write
    yaml.dump(data, out)
    return out.getvalue()


def problems_of(change: Callable[[dict[str, Any]], object]) -> list[str]:
    """The problems of the base event after `change`, without line numbers."""
    data = base()
    change(data)
    with pytest.raises(EventFileError) as caught:
        parse_event_text(dump(data))
    return [re.sub(r" \(line \d+\)", "", problem) for problem in caught.value.problems]


@pytest.fixture(scope="module")
def example() -> EventDefinition:
    return load_event_file(EXAMPLE)


# --- the example -----------------------------------------------------------------------------


def test_example_has_four_workshops_each_in_a_workshop_slot(example: EventDefinition) -> None:
    assert [w.id for w in example.workshops] == [
        "management",
        "partnerships",
        "training-offer",
        "repositioning",
    ]
    for w in example.workshops:
        slot = example.slot_of(w)
        assert slot.kind == "workshop_slot"
        assert 25 <= w.capacity <= 35
    assert len({str(w.room) for w in example.workshops}) == 4


def test_example_has_every_text_in_all_three_locales(example: EventDefinition) -> None:
    localized = [example.event.title, example.event.venue.name]
    localized += [item.title for item in example.agenda]
    localized += [w.title for w in example.workshops] + [w.description for w in example.workshops]
    localized += [o.title for o in example.functions] + [o.title for o in example.regions]
    for value in localized:
        assert list(value) == list(LOCALES)
        assert all(text.strip() for text in value.values())
    assert "التعاون الوطني" in example.event.title["ar"]
    assert "Entraide Nationale" in example.event.title["fr"]


def test_example_lists_the_functions_and_regions(example: EventDefinition) -> None:
    assert [o.code for o in example.functions] == FUNCTIONS
    assert [o.code for o in example.regions] == REGIONS


def test_example_times_are_converted_to_utc(example: EventDefinition) -> None:
    # Casablanca was UTC+1 on 30 January 2019: 08:30 local is 07:30 UTC.
    assert example.event.start == datetime(2019, 1, 30, 7, 30, tzinfo=UTC)
    assert example.event.end == datetime(2019, 1, 30, 16, 0, tzinfo=UTC)
    opening = example.item("opening")
    assert opening is not None
    assert opening.start == datetime(2019, 1, 30, 8, 0, tzinfo=UTC)
    assert opening.start.astimezone(example.zone).strftime("%H:%M") == "09:00"
    assert str(example.zone) == "Africa/Casablanca"
    assert example.reminders.day_before_at == time(18, 0)
    assert example.reminders.minutes_before == 15
    assert example.reminders.morning_agenda_at == time(7, 30)


def test_example_agenda_is_sorted_and_within_the_event(example: EventDefinition) -> None:
    starts = [item.start for item in example.agenda]
    assert starts == sorted(starts)
    assert example.agenda[0].start == example.event.start
    assert example.agenda[-1].end == example.event.end


def test_json_round_trip(example: EventDefinition) -> None:
    again = EventDefinition.from_json(example.to_json())
    assert again == example
    assert again.event.start.tzinfo is not None


def test_helpers(example: EventDefinition) -> None:
    assert example.item("nope") is None
    assert example.workshop("nope") is None
    found = example.workshop("partnerships")
    assert found is not None and found.room == {"ar": "القاعة 2", "fr": "Salle 2", "en": "Room 2"}
    assert example.slot_of(found).id == "workshops"


def test_localized_has_exactly_the_locales() -> None:
    assert tuple(Localized.__annotations__) == LOCALES


# --- times -----------------------------------------------------------------------------------


def _dated(day: str, **event: str) -> EventDefinition:
    data = base()
    data["event"].update(
        start=f"{day} 08:00",
        end=f"{day} 18:00",
        registration_opens=f"{day} 06:00",
        registration_closes=f"{day} 07:00",
        **event,
    )
    data["agenda"] = [{**data["agenda"][2], "start": f"{day} 09:00", "end": f"{day} 10:00"}]
    return parse_event_text(dump(data))


def test_2026_times_follow_casablanca_rules() -> None:
    # Outside Ramadan Morocco is on UTC+1 ...
    june = _dated("2026-06-15")
    assert june.agenda[0].start == datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    # ... and during Ramadan on UTC+0 (tzdata's rule; 1 March 2026 is mid-Ramadan).
    march = _dated("2026-03-01")
    assert march.agenda[0].start == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_other_time_zone_and_explicit_offsets() -> None:
    paris = _dated("2026-06-15", timezone="Europe/Paris")
    assert paris.agenda[0].start == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    data = base()
    data["agenda"][0]["start"] = "2019-01-30T09:30:00+02:00"  # an offset wins over the zone
    data["agenda"][0]["end"] = "2019-01-30T08:00:00Z"
    item = parse_event_text(dump(data)).item("welcome")
    assert item is not None
    assert item.start == datetime(2019, 1, 30, 7, 30, tzinfo=UTC)
    assert item.end == datetime(2019, 1, 30, 8, 0, tzinfo=UTC)


def test_yaml_timestamps_with_seconds_are_local_too() -> None:
    # YAML reads these as timestamps, not text: they are local times all the same.
    text = dump(base()).replace("start: 2019-01-30 08:30\n", "start: 2019-01-30 08:30:00\n", 1)
    assert "08:30:00" in text
    assert parse_event_text(text).event.start == datetime(2019, 1, 30, 7, 30, tzinfo=UTC)


def test_unquoted_yaml_timestamp_with_offset() -> None:
    text = dump(base()).replace(
        "start: 2019-01-30 08:30\n", "start: 2019-01-30T08:30:00+01:00\n", 1
    )
    assert "T08:30:00+01:00" in text
    assert parse_event_text(text).event.start == datetime(2019, 1, 30, 7, 30, tzinfo=UTC)


def test_defaults() -> None:
    definition = parse_event_text(dump(base()))
    assert definition.event.timezone == "Africa/Casablanca"
    assert definition.functions == [] and definition.regions == []
    assert definition.reminders.minutes_before == 15
    assert definition.event.venue.map_url is None


# --- problems, each with its exact text -------------------------------------------------------


def test_missing_locale() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["workshops"][1]["title"]["en"]

    assert problems_of(change) == ["workshops[1].title.en: missing"]


def test_empty_text_and_unknown_language() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][0]["title"]["fr"] = "   "
        d["agenda"][0]["title"]["es"] = "hola"

    assert problems_of(change) == [
        "agenda[0].title.fr: must not be empty",
        "agenda[0].title.es: unknown language (use ar, fr, en)",
    ]


def test_end_before_start() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][3]["end"] = "2019-01-30 15:00"

    assert problems_of(change) == ["agenda[3].end: must be after start"]


def test_item_outside_the_event() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][0]["start"] = "2019-01-30 08:00"
        d["agenda"][3]["end"] = "2019-01-30 17:30"

    assert problems_of(change) == [
        "agenda[0].start: before the event starts (08:30)",
        "agenda[3].end: after the event ends (17:00)",
    ]


def test_event_dates() -> None:
    def change(d: dict[str, Any]) -> None:
        d["event"]["end"] = "2019-01-30 08:00"
        d["event"]["registration_opens"] = "2019-01-31 09:00"
        d["event"]["registration_closes"] = "2019-01-31 08:00"
        d["agenda"] = []
        d["workshops"] = []

    assert problems_of(change) == [
        "event.end: must be after start",
        "event.registration_closes: must be after registration_opens",
        "event.registration_closes: must not be after the event's end (08:00)",
    ]


def test_workshop_room_overlaps_an_agenda_item() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][2].update(start="2019-01-30 10:00", end="2019-01-30 11:30")
        d["workshops"][2]["room"] = "Salle A"

    assert problems_of(change) == [
        'workshops[2].room: overlaps agenda[1] in room "Salle A" (09:00–10:30)'
    ]


def test_rooms_compare_without_case_or_spacing() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][3].update(start="2019-01-30 10:00", end="2019-01-30 11:00", room="salle  a")
        d["workshops"][1]["room"] = "Salle B"

    assert problems_of(change) == [
        'agenda[3].room: overlaps agenda[1] in room "salle  a" (09:00–10:30)',
        'workshops[1].room: overlaps workshops[0] in room "Salle B" (11:00–12:30)',
    ]


def test_touching_times_do_not_overlap() -> None:
    data = base()
    data["agenda"][3].update(start="2019-01-30 10:30", end="2019-01-30 11:00")
    assert parse_event_text(dump(data)).item("closing") is not None


def test_workshop_slot_must_be_a_workshop_slot() -> None:
    def change(d: dict[str, Any]) -> None:
        d["workshops"][0]["slot"] = "nope"
        d["workshops"][1]["slot"] = "welcome"

    assert problems_of(change) == [
        'workshops[0].slot: no agenda item "nope"',
        'workshops[1].slot: agenda item "welcome" is a break, not a workshop_slot',
    ]


def test_ids_are_unique_across_agenda_and_workshops() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][3]["id"] = "opening"
        d["workshops"][1]["id"] = "w1"
        d["workshops"][2]["id"] = "closing"

    assert problems_of(change) == [
        'agenda[3].id: "opening" is already used by agenda[1]',
        'workshops[1].id: "w1" is already used by workshops[0]',
    ]


def test_field_formats() -> None:
    def change(d: dict[str, Any]) -> None:
        d["event"]["slug"] = "Journée 2019"
        d["event"]["timezone"] = "Africa/Casablanka"
        d["event"]["venue"]["map_url"] = "ftp://example.org/map"
        d["agenda"][0]["id"] = "Welcome Desk"
        d["agenda"][1]["kind"] = "keynote"
        d["agenda"][2]["start"] = "2019-01-30"
        d["workshops"][0]["capacity"] = 0
        d["workshops"][1]["capacity"] = "many"

    assert problems_of(change) == [
        "event.slug: use lowercase letters, digits and - only",
        "event.venue.map_url: must be an http:// or https:// address",
        'event.timezone: unknown time zone "Africa/Casablanka"'
        " (use an IANA name like Africa/Casablanca)",
        "agenda[0].id: use 1 to 32 lowercase letters, digits, _ or - (no spaces)",
        "agenda[1].kind: must be one of: plenary, talk, workshop_slot, break",
        "agenda[2].start: expected a date and time like 2019-01-30 09:00",
        "workshops[0].capacity: must be at least 1",
        "workshops[1].capacity: must be a whole number",
    ]


def test_functions_and_regions() -> None:
    def change(d: dict[str, Any]) -> None:
        d["functions"] = [
            {"code": "inspector", "title": texts("inspector")},
            {"code": "Head Of Service", "title": texts("head")},
            {"code": "inspector", "title": texts("again")},
        ]
        d["regions"] = "oriental"

    assert problems_of(change) == [
        "functions[1].code: use 1 to 32 lowercase letters, digits or _",
        'functions[2].code: "inspector" is already used by functions[0]',
        "regions: must be a list",
    ]


def test_reminders() -> None:
    def change(d: dict[str, Any]) -> None:
        d["reminders"] = {"day_before_at": "25:00", "minutes_before": 300, "morning": "07:00"}

    assert problems_of(change) == [
        "reminders.day_before_at: expected a time of day like 18:00",
        "reminders.minutes_before: must be at most 240",
        "reminders.morning: unknown field",
    ]


def test_unknown_fields_are_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agenda"][0]["colour"] = "red"
        d["sponsors"] = ["someone"]

    assert problems_of(change) == ["agenda[0].colour: unknown field", "sponsors: unknown field"]


def test_missing_fields() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["event"]["start"]
        del d["workshops"][0]["room"]
        d["agenda"].append("lunch at noon")

    assert problems_of(change) == [
        "event.start: missing",
        "agenda[4]: must be a mapping",
        "workshops[0].room: missing",
    ]
    assert problems_of(lambda d: d.pop("event")) == ["event: missing"]


def test_many_problems_are_reported_together_in_file_order() -> None:
    def change(d: dict[str, Any]) -> None:
        d["event"]["title"].pop("ar")
        d["agenda"][3]["end"] = "2019-01-30 15:00"
        d["workshops"][0]["capacity"] = -3
        d["workshops"][2]["slot"] = "closing"

    assert problems_of(change) == [
        "event.title.ar: missing",
        "agenda[3].end: must be after start",
        "workshops[0].capacity: must be at least 1",
        'workshops[2].slot: agenda item "closing" is a plenary, not a workshop_slot',
    ]


# --- line numbers and YAML itself ---------------------------------------------------------------

LINES = """\
event:
  slug: day
  title: {ar: يوم, fr: jour, en: day}
  venue: {name: {ar: معهد, fr: institut, en: institute}, address: Salé}
  start: 2019-01-30 08:30
  end: 2019-01-30 17:00
  registration_opens: 2019-01-10 09:00
  registration_closes: 2019-01-28 18:00
agenda:
  - id: opening
    start: 2019-01-30 09:00
    end: 2019-01-30 10:00
    kind: plenary
    title: {ar: افتتاح, fr: ouverture, en: opening}
  - id: closing
    start: 2019-01-30 16:00
    end: 2019-01-30 15:30
    kind: plenary
    title: {ar: اختتام, fr: clôture}
"""


def test_problems_name_their_line() -> None:
    with pytest.raises(EventFileError) as caught:
        parse_event_text(LINES)
    assert caught.value.problems == [
        "agenda[1].end (line 17): must be after start",
        "agenda[1].title.en (line 19): missing",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_yaml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(EventFileError) as caught:
        parse_event_text("event:\n  slug: day\n   title: x\n", source="day.yaml")
    assert caught.value.problems == [
        "day.yaml (line 3, column 9): the indentation of this line does not match the line"
        ' above, or a text containing ": " needs quotes'
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "event:\n  slug: day\n  title:\n    ar: x\n   fr: y\n",
            "day.yaml (line 5, column 4): the indentation does not match the line above",
        ),
        (
            "event:\n\tslug: day\n",
            "day.yaml (line 2, column 1): the indentation uses a tab: use spaces",
        ),
        (
            'event:\n  slug: "day\n',
            "day.yaml (line 3, column 1): a quotation mark is opened but not closed",
        ),
        (
            "agenda: [a, b\n",
            "day.yaml (line 2, column 1): a bracket [ ] or brace { } is not closed",
        ),
    ],
)
def test_yaml_errors_in_plain_words(text: str, problem: str) -> None:
    with pytest.raises(EventFileError) as caught:
        parse_event_text(text, source="day.yaml")
    assert caught.value.problems == [problem]


def test_duplicate_key() -> None:
    text = LINES.replace("    kind: plenary\n", "    kind: plenary\n    kind: talk\n", 1)
    with pytest.raises(EventFileError) as caught:
        parse_event_text(text, source="day.yaml")
    assert caught.value.problems == [
        'day.yaml (line 14, column 5): the name "kind" appears twice in the same section: keep one'
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "day.yaml: the file is empty"),
        ("# only a comment\n", "day.yaml: the file is empty"),
        (
            "- event\n- agenda\n",
            "day.yaml: the top level must be a mapping with the sections"
            " event, agenda, workshops, functions, regions, reminders, follow_up, organizers",
        ),
    ],
)
def test_top_level(text: str, problem: str) -> None:
    with pytest.raises(EventFileError) as caught:
        parse_event_text(text, source="day.yaml")
    assert caught.value.problems == [problem]


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]
    with pytest.raises(EventFileError) as caught:
        parse_event_text("\n".join(lines) + "\n", source="day.yaml")
    assert caught.value.problems == [
        "day.yaml: the file is too large or repeats itself too much (aliases)"
    ]


def test_load_event_file_errors(tmp_path: Path) -> None:
    with pytest.raises(EventFileError) as caught:
        load_event_file(tmp_path / "missing.yaml")
    assert caught.value.problems[0].startswith(f"{tmp_path / 'missing.yaml'}: cannot be read")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("slug: journée".encode("latin-1"))
    with pytest.raises(EventFileError) as caught:
        load_event_file(latin1)
    assert caught.value.problems == [
        f"{latin1}: the file is not saved as UTF-8 (byte 0xE9 on line 1): save the file as UTF-8"
        " (Notepad: Save As → Encoding UTF-8) and send it again"
    ]


def test_load_event_file_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + dump(base()).encode())
    assert load_event_file(path).event.slug == "test-day"


def test_models_are_frozen(example: EventDefinition) -> None:
    with pytest.raises(ValueError, match="frozen"):
        example.event.slug = "other"  # type: ignore[misc]


def test_multi_day_events_show_dates() -> None:
    def change(d: dict[str, Any]) -> None:
        d["event"]["end"] = "2019-01-31 17:00"
        d["agenda"][0]["start"] = "2019-01-30 08:00"

    assert problems_of(change) == ["agenda[0].start: before the event starts (2019-01-30 08:30)"]


def test_numbers_are_taken_as_text_where_text_is_expected() -> None:
    data = base()
    data["workshops"][0]["room"] = 12
    data["workshops"][0]["id"] = 7
    definition = parse_event_text(dump(data))
    assert definition.workshop("7") is not None
    assert definition.workshops[0].room == "12"


def test_definition_built_in_code_is_checked_too(example: EventDefinition) -> None:
    fields = example.model_dump()
    fields["workshops"][0]["slot"] = "lunch"
    with pytest.raises(ValueError, match='agenda item "lunch" is a break, not a workshop_slot'):
        EventDefinition.model_validate(fields)
