"""The event file's models (pydantic): what an event, its agenda, workshops, registration
choices and reminders are, with the checks of one field; `EventDefinition` also runs the checks
across fields (bot.event.checks).

Times in the file are local times of the event, read in `event.timezone`; the models hold them
in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from bot.event.checks import cross_problems
from bot.event.follow_up import FollowUpPolicy
from bot.event.problems import invalid

DEFAULT_TIMEZONE = "Africa/Casablanca"
AgendaKind = Literal["plenary", "talk", "workshop_slot", "break"]
AGENDA_KINDS: tuple[str, ...] = get_args(AgendaKind)

_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_ID = re.compile(r"[a-z0-9_-]{1,32}")
_CODE = re.compile(r"[a-z0-9_]{1,32}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")


def _matching(pattern: re.Pattern[str], hint: str) -> AfterValidator:
    """A validator that accepts strings matching `pattern` whole (`hint`: a catalogue key)."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise invalid(hint)
        return value

    return AfterValidator(check)


def _check_timezone(value: str) -> str:
    """An IANA zone name that this machine's zone database knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid("evf.p.unknown_zone", value=value, example=DEFAULT_TIMEZONE) from None
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
    hint = "evf.p.date_time"
    if isinstance(value, str):
        # fromisoformat alone would take a bare date as midnight: a time must be written.
        if not _DATE_TIME.match(value.strip()):
            raise invalid(hint)
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise invalid(hint) from None
    elif isinstance(value, datetime):
        moment = value
    else:
        raise invalid(hint)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone_for(info))
    return moment.astimezone(UTC)


def _to_clock(value: object) -> time:
    """A time of day written `18:00` (or a `time`, as stored JSON gives back)."""
    if isinstance(value, time):
        return value
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise invalid("evf.p.clock")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _check_http_url(value: str) -> str:
    """An absolute http(s) address."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise invalid("evf.p.http")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[Text, _matching(_SLUG, "evf.p.slug")]
ItemId = Annotated[Text, _matching(_ID, "evf.p.item_id")]
Code = Annotated[Text, _matching(_CODE, "evf.p.code")]
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


@with_config(ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True))
class SomeLanguages(TypedDict, total=False):
    """A name given in some of the locales (a room, a speaker): `event check` warns for each
    locale missing, and a reader of a missing one gets another."""

    ar: Text
    fr: Text
    en: Text


# A room, a speaker or a facilitator: one text for every language, or one per language.
Label = Annotated[Text | SomeLanguages, Field(union_mode="left_to_right")]


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
    speaker: Label | None = None
    room: Label | None = None


class Workshop(_Model):
    """A workshop held during an agenda item of kind workshop_slot (its times are the slot's)."""

    id: ItemId
    title: Localized
    description: Localized
    room: Label
    facilitator: Label | None = None
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
    follow_up: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    organizers: OrganizerOptions = Field(default_factory=OrganizerOptions)

    @field_validator("agenda")
    @classmethod
    def _sorted(cls, agenda: list[AgendaItem]) -> list[AgendaItem]:
        """The agenda in time order (stable: equal starts keep the file's order)."""
        return sorted(agenda, key=lambda item: (item.start, item.end))

    @model_validator(mode="after")
    def _consistent(self) -> EventDefinition:
        """The checks across fields hold (the loader has run them already, with file places)."""
        problems = cross_problems(
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
