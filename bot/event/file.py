"""The event defined in a YAML file: pydantic models, and a loader that reports every problem in
the file at once, each with its place (`agenda[3].end (line 42): must be after start`).

Times in the file are local times of the event, read in `event.timezone`; the models hold them
in UTC. Lists are counted from 0 in problem locations, as in the models."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
    with_config,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

LOCALES = ("ar", "fr", "en")
DEFAULT_TIMEZONE = "Africa/Casablanca"
AgendaKind = Literal["plenary", "talk", "workshop_slot", "break"]
AGENDA_KINDS: tuple[str, ...] = get_args(AgendaKind)
SECTIONS = ("event", "agenda", "workshops", "functions", "regions", "reminders", "organizers")
# The fields the checks across fields read: still checked in an entry rejected for another field.
_CROSS_FIELDS = frozenset(
    {
        "id",
        "start",
        "end",
        "kind",
        "room",
        "slot",
        "code",
        "registration_opens",
        "registration_closes",
    }
)
_LOCALIZED_FIELDS = ("title", "name", "description")  # the Localized fields of the models
# Organizers may send the file to the bot: bound what one file can cost to read.
MAX_TEXT_CHARS = 512 * 1024
MAX_NODES = 20_000

_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_ID = re.compile(r"[a-z0-9_-]{1,32}")
_CODE = re.compile(r"[a-z0-9_]{1,32}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
_DUPLICATE_KEY = re.compile(r'duplicate key "(.*?)" with value')

Loc = tuple[str | int, ...]
Fields = dict[str, Any]  # the fields of one entry, by name
M = TypeVar("M", bound=BaseModel)


class EventFileError(Exception):
    """The event file is not valid; `problems` holds every problem found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _invalid(message: str) -> PydanticCustomError:
    """A validation error whose text is exactly `message` (passed as context: no brace issues)."""
    return PydanticCustomError("multaqa", "{message}", {"message": message})


def _matching(pattern: re.Pattern[str], hint: str) -> AfterValidator:
    """A validator that accepts strings matching `pattern` whole."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _invalid(hint)
        return value

    return AfterValidator(check)


def _check_timezone(value: str) -> str:
    """An IANA zone name that this machine's zone database knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _invalid(
            f'unknown time zone "{value}" (use an IANA name like {DEFAULT_TIMEZONE})'
        ) from None
    return value


def _zone_for(info: ValidationInfo) -> ZoneInfo:
    """The zone naive times are read in: the model's own `timezone`, else the file's, else ours."""
    own = info.data.get("timezone") if isinstance(info.data, dict) else None
    if isinstance(own, str):
        return ZoneInfo(own)  # already validated: fields are validated in declaration order
    zone = (info.context or {}).get("zone")
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(DEFAULT_TIMEZONE)


def _to_utc(value: object, info: ValidationInfo) -> datetime:
    """A local date and time (or one with an offset) as an aware UTC datetime."""
    hint = "expected a date and time like 2019-01-30 09:00"
    if isinstance(value, str):
        # fromisoformat alone would take a bare date as midnight: a time must be written.
        if not _DATE_TIME.match(value.strip()):
            raise _invalid(hint)
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _invalid(hint) from None
    elif isinstance(value, datetime):
        moment = value
    else:
        raise _invalid(hint)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone_for(info))
    return moment.astimezone(UTC)


def _to_clock(value: object) -> time:
    """A time of day written `18:00` (or a `time`, as stored JSON gives back)."""
    if isinstance(value, time):
        return value
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _invalid("expected a time of day like 18:00")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _check_http_url(value: str) -> str:
    """An absolute http(s) address."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise _invalid("must be an http:// or https:// address")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[Text, _matching(_SLUG, "use lowercase letters, digits and - only")]
ItemId = Annotated[
    Text, _matching(_ID, "use 1 to 32 lowercase letters, digits, _ or - (no spaces)")
]
Code = Annotated[Text, _matching(_CODE, "use 1 to 32 lowercase letters, digits or _")]
TimeZoneName = Annotated[Text, AfterValidator(_check_timezone)]
LocalDateTime = Annotated[datetime, BeforeValidator(_to_utc)]
ClockTime = Annotated[time, BeforeValidator(_to_clock)]
HttpUrl = Annotated[Text, AfterValidator(_check_http_url)]


@with_config(ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True))
class Localized(TypedDict):
    """One text in every locale; at run time a plain dict locale → text."""

    ar: Text
    fr: Text
    en: Text


class _Model(BaseModel):
    # Numbers become text where text is expected: `room: 12` is what organizers mean.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class Venue(_Model):
    """Where the event takes place."""

    name: Localized
    address: Text
    map_url: HttpUrl | None = None


class EventInfo(_Model):
    """The event itself: name, place, dates, registration window."""

    slug: Slug
    title: Localized
    venue: Venue
    timezone: TimeZoneName = DEFAULT_TIMEZONE  # before the times: they are read in it
    start: LocalDateTime
    end: LocalDateTime
    registration_opens: LocalDateTime
    registration_closes: LocalDateTime


class AgendaItem(_Model):
    """One entry of the programme."""

    id: ItemId
    start: LocalDateTime
    end: LocalDateTime
    kind: AgendaKind
    title: Localized
    speaker: Text | None = None
    room: Text | None = None


class Workshop(_Model):
    """A workshop held during an agenda item of kind workshop_slot (its times are the slot's)."""

    id: ItemId
    title: Localized
    description: Localized
    room: Text
    facilitator: Text | None = None
    capacity: int = Field(ge=1)
    slot: ItemId


class Option(_Model):
    """One button of a registration question (function or region)."""

    code: Code
    title: Localized


class Reminders(_Model):
    """When participants are reminded, in the event's local time."""

    day_before_at: ClockTime = time(18, 0)
    minutes_before: int = Field(default=15, ge=0, le=240)
    morning_agenda_at: ClockTime = time(7, 30)


class OrganizerOptions(_Model):
    """What organizers get: the daily summary's time (event's local time, during the
    registration window) and whether the public progress board of recommendations is on."""

    daily_summary_at: ClockTime = time(19, 0)
    public_board: bool = False


class EventDefinition(_Model):
    """The whole event file, validated; the agenda is sorted by start."""

    event: EventInfo
    agenda: list[AgendaItem] = Field(default_factory=list)
    workshops: list[Workshop] = Field(default_factory=list)
    functions: list[Option] = Field(default_factory=list)
    regions: list[Option] = Field(default_factory=list)
    reminders: Reminders = Field(default_factory=Reminders)
    organizers: OrganizerOptions = Field(default_factory=OrganizerOptions)

    @field_validator("agenda")
    @classmethod
    def _sorted(cls, agenda: list[AgendaItem]) -> list[AgendaItem]:
        """The agenda in time order (stable: equal starts keep the file's order)."""
        return sorted(agenda, key=lambda item: (item.start, item.end))

    @model_validator(mode="after")
    def _consistent(self) -> EventDefinition:
        """The checks across fields hold (the loader has run them already, with file places)."""
        problems = _cross_problems(
            dict(self.event),
            [(i, dict(item)) for i, item in enumerate(self.agenda)],
            [(i, dict(workshop)) for i, workshop in enumerate(self.workshops)],
            [(i, dict(option)) for i, option in enumerate(self.functions)],
            [(i, dict(option)) for i, option in enumerate(self.regions)],
            self.zone,
        )
        if problems:
            raise ValueError("; ".join(problem.render(None) for problem in problems))
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone, for display."""
        return ZoneInfo(self.event.timezone)

    def item(self, item_id: str) -> AgendaItem | None:
        """The agenda item with this id, if any."""
        return next((item for item in self.agenda if item.id == item_id), None)

    def workshop(self, workshop_id: str) -> Workshop | None:
        """The workshop with this id, if any."""
        return next((w for w in self.workshops if w.id == workshop_id), None)

    def slot_of(self, workshop: Workshop) -> AgendaItem:
        """The workshop_slot item giving the workshop its times (validation ensures it exists)."""
        slot = self.item(workshop.slot)
        if slot is None:
            raise KeyError(workshop.slot)
        return slot

    def to_json(self) -> str:
        """The definition as JSON (times in UTC), for storing it."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> EventDefinition:
        """A definition stored by `to_json`."""
        return cls.model_validate_json(text)


@dataclass(frozen=True, slots=True)
class _Problem:
    """One problem: where (a path into the file's data) and what."""

    loc: Loc
    message: str

    def render(self, tree: object) -> str:
        """`path (line N): message`; the line only when the file's tree can tell it."""
        line = _line_of(tree, self.loc)
        where = _path(self.loc) + (f" (line {line})" if line else "")
        return f"{where}: {self.message}"


def _path(loc: Loc) -> str:
    """`('agenda', 3, 'end')` → `agenda[3].end`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(tree: object, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of `loc` present in the round-trip tree."""
    node, line = tree, None
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break  # merged keys (<<:) carry no position of their own
        node = node[part]
    return line


def _message(error: ErrorDetails) -> str:
    """Pydantic's error in the words of the event file."""
    kind, ctx = error["type"], error.get("ctx") or {}
    fixed = {
        "missing": "missing",
        "extra_forbidden": "unknown field",
        "model_type": "must be a mapping",
        "model_attributes_type": "must be a mapping",
        "dict_type": "must be a mapping",
        "list_type": "must be a list",
        "string_type": "must be text",
        "string_too_short": "must not be empty",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
    }
    loc = error["loc"]
    if kind == "extra_forbidden" and len(loc) >= 2 and loc[-2] in _LOCALIZED_FIELDS:
        return f"unknown language (use {', '.join(LOCALES)})"
    if kind in fixed:
        return fixed[kind]
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    return error["msg"]


def _validate(
    model: type[M], value: object, loc: Loc, context: dict[str, Any], problems: list[_Problem]
) -> tuple[M | None, Fields]:
    """The model and its fields; when rejected, None, the problems, and the fields valid alone."""
    try:
        valid = model.model_validate(value, context=context)
    except ValidationError as exc:
        problems.extend(_Problem(loc + tuple(e["loc"]), _message(e)) for e in exc.errors())
        return None, _valid_fields(model, value, context)
    return valid, dict(valid)


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator of one field alone, with the models' leniency."""
    config = ConfigDict(str_strip_whitespace=True, coerce_numbers_to_str=True)
    return TypeAdapter(model.model_fields[name].rebuild_annotation(), config=config)


def _valid_fields(model: type[BaseModel], value: object, context: dict[str, Any]) -> Fields:
    """The fields the cross checks use that are valid alone in a rejected entry: an entry with a
    bad title still gets its times and room checked, so one pass reports everything."""
    if not isinstance(value, dict):
        return {}
    fields: Fields = {}
    for name in model.model_fields:
        if name in _CROSS_FIELDS and name in value:
            # A failure here is already reported by the whole entry's validation.
            with contextlib.suppress(ValidationError):
                adapter = _field_adapter(model, name)
                fields[name] = adapter.validate_python(value[name], context=context)
    return fields


def _validate_list(
    model: type[M], value: object, name: str, context: dict[str, Any], problems: list[_Problem]
) -> list[tuple[int, M | None, Fields]]:
    """Each entry of a list section with its index in the file (see _validate)."""
    if value is None:
        return []  # `workshops:` left empty means none
    if not isinstance(value, list):
        problems.append(_Problem((name,), "must be a list"))
        return []
    return [
        (i, *_validate(model, entry, (name, i), context, problems)) for i, entry in enumerate(value)
    ]


def _clock(moment: datetime, zone: ZoneInfo, with_date: bool) -> str:
    """A time as organizers wrote it: local, with the date only for multi-day events."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def _cross_problems(
    info: Fields,
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    functions: list[tuple[int, Fields]],
    regions: list[tuple[int, Fields]],
    zone: ZoneInfo,
) -> list[_Problem]:
    """The checks that look at more than one field; a field missing from an entry (invalid,
    already reported) skips the checks that need it."""
    problems: list[_Problem] = []

    def add(loc: Loc, message: str) -> None:
        problems.append(_Problem(loc, message))

    start, end = info.get("start"), info.get("end")
    one_day = bool(start and end and start.astimezone(zone).date() == end.astimezone(zone).date())

    def at(moment: datetime) -> str:
        return _clock(moment, zone, not one_day)

    opens, closes = info.get("registration_opens"), info.get("registration_closes")
    if start and end and end <= start:
        add(("event", "end"), "must be after start")
    if opens and closes and closes <= opens:
        add(("event", "registration_closes"), "must be after registration_opens")
    if closes and end and closes > end:
        add(("event", "registration_closes"), f"must not be after the event's end ({at(end)})")
    _agenda_times(agenda, start if start and end and start < end else None, end, at, add)
    _unique_ids(agenda, workshops, add)
    _slots_and_rooms(agenda, workshops, at, add)
    for section, options in (("functions", functions), ("regions", regions)):
        seen: dict[str, int] = {}
        for i, option in options:
            code = option.get("code")
            first = seen.setdefault(code, i) if code else i
            if first != i:
                add((section, i, "code"), f'"{code}" is already used by {_path((section, first))}')
    return problems


def _agenda_times(
    agenda: list[tuple[int, Fields]],
    start: datetime | None,
    end: datetime | None,
    at: Callable[[datetime], str],
    add: Callable[[Loc, str], None],
) -> None:
    """Each item ends after it starts, within the event (when the event's times are sound)."""
    for i, item in agenda:
        item_start, item_end = item.get("start"), item.get("end")
        if item_start and item_end and item_end <= item_start:
            add(("agenda", i, "end"), "must be after start")
        if start and end and item_start and item_start < start:
            add(("agenda", i, "start"), f"before the event starts ({at(start)})")
        if start and end and item_end and item_end > end:
            add(("agenda", i, "end"), f"after the event ends ({at(end)})")


def _unique_ids(
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    add: Callable[[Loc, str], None],
) -> None:
    """Ids are unique across agenda and workshops: reminders and notices are keyed on them."""
    owners: dict[str, str] = {}
    for section, entries in (("agenda", agenda), ("workshops", workshops)):
        for i, entry in entries:
            key, here = entry.get("id"), _path((section, i))
            first = owners.setdefault(key, here) if key else here
            if first != here:
                add((section, i, "id"), f'"{key}" is already used by {first}')


def _slots_and_rooms(
    agenda: list[tuple[int, Fields]],
    workshops: list[tuple[int, Fields]],
    at: Callable[[datetime], str],
    add: Callable[[Loc, str], None],
) -> None:
    """Workshops name a workshop_slot; nothing shares a room at overlapping times."""
    items: dict[str, Fields] = {}
    for _, item in agenda:
        if item.get("id"):
            items.setdefault(item["id"], item)
    held = [
        (("agenda", i, "room"), _path(("agenda", i)), item.get("room"), item) for i, item in agenda
    ]
    for i, workshop in workshops:
        key = workshop.get("slot")
        slot = items.get(key) if key else None
        if key and slot is None:
            add(("workshops", i, "slot"), f'no agenda item "{key}"')
        elif slot and slot.get("kind") not in (None, "workshop_slot"):
            message = f'agenda item "{key}" is a {slot["kind"]}, not a workshop_slot'
            add(("workshops", i, "slot"), message)
        elif slot:
            held.append(
                (("workshops", i, "room"), _path(("workshops", i)), workshop.get("room"), slot)
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
                span = f"{at(other_start)}–{at(other_end)}"
                add(loc, f'overlaps {other} in room "{room}" ({span})')


def _same_room(a: str, b: str) -> bool:
    """Rooms typed with different case or spacing are the same room."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _load_yaml(text: str, source: str) -> object:
    """The round-trip tree (it keeps line numbers); syntax errors as one EventFileError."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except DuplicateKeyError as exc:
        found = _DUPLICATE_KEY.search(str(exc.problem))
        key = f'duplicate key "{found[1]}"' if found else "duplicate key"
        raise EventFileError([f"{source}{_mark(exc)}: {key} in the same mapping"]) from None
    except MarkedYAMLError as exc:
        what = exc.problem or exc.context or "not valid YAML"
        raise EventFileError([f"{source}{_mark(exc)}: {what}"]) from None
    except YAMLError as exc:
        raise EventFileError([f"{source}: not valid YAML ({exc})"]) from None
    except RecursionError:
        raise EventFileError([f"{source}: nested too deeply"]) from None


def _mark(exc: MarkedYAMLError) -> str:
    """` (line L, column C)` of a YAML error, 1-based, when it has one."""
    mark = exc.problem_mark or exc.context_mark
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""


def _plain(node: object, budget: list[int]) -> object:
    """Plain Python data from the tree; aliases are expanded, so their count is bounded."""
    budget[0] -= 1
    if budget[0] < 0:
        raise EventFileError(["the file is too large or repeats itself too much (aliases)"])
    if isinstance(node, dict):
        return {_plain(key, budget): _plain(value, budget) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value, budget) for value in node]
    if isinstance(node, bool | ScalarBoolean):
        return bool(node)
    if isinstance(node, datetime):
        # ruamel's TimeStamp subclass carries extra state; keep a plain datetime.
        return datetime(*node.timetuple()[:6], node.microsecond, tzinfo=node.tzinfo)
    if isinstance(node, date | type(None)):
        return node
    for plain in (int, float, str):
        if isinstance(node, plain):
            return plain(node)
    return node


def _zone_of(data: dict[Any, Any]) -> ZoneInfo:
    """The zone the file's times are in; the default when missing or invalid (reported)."""
    section = data.get("event")
    name = section.get("timezone") if isinstance(section, dict) else None
    if isinstance(name, str):
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return ZoneInfo(DEFAULT_TIMEZONE)


def _check(data: dict[Any, Any]) -> tuple[list[_Problem], EventDefinition | None]:
    """Every problem of the data, or the definition when there is none."""
    problems: list[_Problem] = []
    problems.extend(_Problem((str(key),), "unknown field") for key in data if key not in SECTIONS)
    zone = _zone_of(data)
    context = {"zone": zone}
    info: EventInfo | None = None
    info_fields: Fields = {}
    if "event" in data:
        info, info_fields = _validate(EventInfo, data["event"], ("event",), context, problems)
    else:
        problems.append(_Problem(("event",), "missing"))
    agenda = _validate_list(AgendaItem, data.get("agenda"), "agenda", context, problems)
    workshops = _validate_list(Workshop, data.get("workshops"), "workshops", context, problems)
    functions = _validate_list(Option, data.get("functions"), "functions", context, problems)
    regions = _validate_list(Option, data.get("regions"), "regions", context, problems)
    reminders: Reminders | None = Reminders()
    if data.get("reminders") is not None:
        reminders, _ = _validate(Reminders, data["reminders"], ("reminders",), context, problems)
    organizers: OrganizerOptions | None = OrganizerOptions()
    if data.get("organizers") is not None:
        organizers, _ = _validate(
            OrganizerOptions, data["organizers"], ("organizers",), context, problems
        )

    def fields(entries: list[tuple[int, Any, Fields]]) -> list[tuple[int, Fields]]:
        return [(i, entry_fields) for i, _, entry_fields in entries]

    problems.extend(
        _cross_problems(
            info_fields, fields(agenda), fields(workshops), fields(functions), fields(regions), zone
        )
    )
    if problems or info is None or reminders is None or organizers is None:
        return problems, None
    definition = EventDefinition(
        event=info,
        agenda=[item for _, item, _ in agenda if item],
        workshops=[workshop for _, workshop, _ in workshops if workshop],
        functions=[option for _, option, _ in functions if option],
        regions=[option for _, option, _ in regions if option],
        reminders=reminders,
        organizers=organizers,
    )
    return [], definition


def parse_event_text(text: str, source: str = "<text>") -> EventDefinition:
    """The event defined by YAML text; raises EventFileError listing every problem."""
    if len(text) > MAX_TEXT_CHARS:
        raise EventFileError(
            [f"{source}: the file is too large (over {MAX_TEXT_CHARS} characters)"]
        )
    tree = _load_yaml(text, source)
    if tree is None:
        raise EventFileError([f"{source}: the file is empty"])
    if not isinstance(tree, CommentedMap):
        raise EventFileError(
            [f"{source}: the top level must be a mapping with the sections {', '.join(SECTIONS)}"]
        )
    try:
        data = _plain(tree, [MAX_NODES])
    except EventFileError as exc:
        raise EventFileError([f"{source}: {problem}" for problem in exc.problems]) from None
    except RecursionError:
        raise EventFileError([f"{source}: nested too deeply"]) from None
    assert isinstance(data, dict)
    problems, definition = _check(data)
    if definition is None:
        # In file order: organizers fix them from top to bottom.
        lines = [_line_of(tree, problem.loc) or 0 for problem in problems]
        ordered = sorted(zip(lines, range(len(problems)), problems, strict=True))
        raise EventFileError([problem.render(tree) for _, _, problem in ordered])
    return definition


def load_event_file(path: Path) -> EventDefinition:
    """The event defined in a YAML file (UTF-8); raises EventFileError listing every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EventFileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8-sig")  # editors on Windows often add a BOM
    except UnicodeDecodeError:
        raise EventFileError([f"{path}: not UTF-8 text (save the file as UTF-8)"]) from None
    return parse_event_text(text, source=str(path))
