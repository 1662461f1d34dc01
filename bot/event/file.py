"""The event file, in one import: its models (bot.event.models), its loading and problems
(bot.event.loading, bot.event.problems) and the checks across fields (bot.event.checks)."""

from bot.event.checks import cross_problems
from bot.event.loading import (
    MAX_NODES,
    MAX_TEXT_CHARS,
    SECTIONS,
    decode_event_bytes,
    load_event_file,
    parse_event_text,
)
from bot.event.models import (
    AGENDA_KINDS,
    DEFAULT_TIMEZONE,
    AgendaItem,
    AgendaKind,
    EventDefinition,
    EventInfo,
    Localized,
    Option,
    Reminders,
    Venue,
    Workshop,
)
from bot.event.problems import LOCALES, EventFileError, Problem

__all__ = [
    "AGENDA_KINDS",
    "DEFAULT_TIMEZONE",
    "LOCALES",
    "MAX_NODES",
    "MAX_TEXT_CHARS",
    "SECTIONS",
    "AgendaItem",
    "AgendaKind",
    "EventDefinition",
    "EventFileError",
    "EventInfo",
    "Localized",
    "Option",
    "Problem",
    "Reminders",
    "Venue",
    "Workshop",
    "cross_problems",
    "decode_event_bytes",
    "load_event_file",
    "parse_event_text",
]
