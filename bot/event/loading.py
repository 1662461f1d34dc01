"""Loading an event file: YAML read with its line numbers, every problem of the file reported at
once with its place (`agenda[3].end (line 42): must be after start`), in plain words rather
than the YAML parser's. Lists are counted from 0 in problem locations, as in the models."""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from bot.event.checks import Fields, cross_problems
from bot.event.follow_up import FollowUpPolicy
from bot.event.models import (
    DEFAULT_TIMEZONE,
    AgendaItem,
    EventDefinition,
    EventInfo,
    Option,
    Reminders,
    Workshop,
)
from bot.event.problems import EventFileError, Loc, Problem, line_of, message_of
from bot.i18n import Message, Plural

SECTIONS = ("event", "agenda", "workshops", "functions", "regions", "reminders", "follow_up")
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
# Organizers may send the file to the bot: bound what one file can cost to read.
MAX_TEXT_CHARS = 512 * 1024
MAX_NODES = 20_000
_DUPLICATE_KEY = re.compile(r'duplicate key "(.*?)" with value')

M = TypeVar("M", bound=BaseModel)


def _validate(
    model: type[M], value: object, loc: Loc, context: dict[str, Any], problems: list[Problem]
) -> tuple[M | None, Fields]:
    """The model and its fields; when rejected, None, the problems, and the fields valid alone."""
    try:
        valid = model.model_validate(value, context=context)
    except ValidationError as exc:
        problems.extend(Problem(loc + tuple(e["loc"]), message_of(e)) for e in exc.errors())
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
    model: type[M], value: object, name: str, context: dict[str, Any], problems: list[Problem]
) -> list[tuple[int, M | None, Fields]]:
    """Each entry of a list section with its index in the file (see _validate)."""
    if value is None:
        return []  # `workshops:` left empty means none
    if not isinstance(value, list):
        problems.append(Problem((name,), Message("evf.p.list")))
        return []
    return [
        (i, *_validate(model, entry, (name, i), context, problems)) for i, entry in enumerate(value)
    ]


def _load_yaml(text: str, source: str) -> object:
    """The round-trip tree (it keeps line numbers); syntax errors as one EventFileError."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except DuplicateKeyError as exc:
        found = _DUPLICATE_KEY.search(str(exc.problem))
        what = Message("evf.y.duplicate_key", key=found[1] if found else "?")
        raise EventFileError([_at_mark(source, exc, what)]) from None
    except MarkedYAMLError as exc:
        raise EventFileError([_at_mark(source, exc, _yaml_problem(exc))]) from None
    except YAMLError:
        raise EventFileError([_at(source, Message("evf.y.other"))]) from None
    except RecursionError:
        raise EventFileError([_at(source, Message("evf.y.deep"))]) from None


def _at(source: str, what: Message) -> Message:
    return Message("evf.at", where=source, problem=what)


def _at_mark(source: str, exc: MarkedYAMLError, what: Message) -> Message:
    """The problem with the line and column (1-based) of a YAML error, when it has them."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return _at(source, what)
    return Message(
        "evf.at_line_column", where=source, line=mark.line + 1, column=mark.column + 1, problem=what
    )


# The YAML parser's jargon, in plain words (first match wins; the rest: evf.y.other).
_YAML_WORDS = (
    ("mapping values are not allowed", "evf.y.colon"),
    ("expected <block end>", "evf.y.indentation"),
    ("did not find expected key", "evf.y.indentation"),
    ("did not find expected '-'", "evf.y.indentation"),
    ("cannot start any token", "evf.y.tab"),
    ("could not find expected ':'", "evf.y.missing_colon"),
    ("undefined alias", "evf.y.alias"),
    ("quoted scalar", "evf.y.quote"),
    ("flow sequence", "evf.y.brackets"),
    ("flow mapping", "evf.y.brackets"),
)


def _yaml_problem(exc: MarkedYAMLError) -> Message:
    said = f"{exc.problem or ''} {exc.context or ''}"
    if "\\t" in said or "'\t'" in said:
        return Message("evf.y.tab")
    for words, key in _YAML_WORDS:
        if words in said:
            return Message(key)
    return Message("evf.y.other")


def _plain(node: object, budget: list[int]) -> object:
    """Plain Python data from the tree; aliases are expanded, so their count is bounded."""
    budget[0] -= 1
    if budget[0] < 0:
        raise EventFileError([Message("evf.y.aliases")])
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


def _check(data: dict[Any, Any]) -> tuple[list[Problem], EventDefinition | None]:
    """Every problem of the data, or the definition when there is none."""
    problems: list[Problem] = []
    problems.extend(
        Problem((str(key),), Message("evf.p.unknown_field")) for key in data if key not in SECTIONS
    )
    zone = _zone_of(data)
    context = {"zone": zone}
    info: EventInfo | None = None
    info_fields: Fields = {}
    if "event" in data:
        info, info_fields = _validate(EventInfo, data["event"], ("event",), context, problems)
    else:
        problems.append(Problem(("event",), Message("evf.p.missing")))
    agenda = _validate_list(AgendaItem, data.get("agenda"), "agenda", context, problems)
    workshops = _validate_list(Workshop, data.get("workshops"), "workshops", context, problems)
    functions = _validate_list(Option, data.get("functions"), "functions", context, problems)
    regions = _validate_list(Option, data.get("regions"), "regions", context, problems)
    reminders: Reminders | None = Reminders()
    if data.get("reminders") is not None:
        reminders, _ = _validate(Reminders, data["reminders"], ("reminders",), context, problems)
    follow_up: FollowUpPolicy | None = FollowUpPolicy()
    if data.get("follow_up") is not None:
        follow_up, _ = _validate(
            FollowUpPolicy, data["follow_up"], ("follow_up",), context, problems
        )

    def fields(entries: list[tuple[int, Any, Fields]]) -> list[tuple[int, Fields]]:
        return [(i, entry_fields) for i, _, entry_fields in entries]

    problems.extend(
        cross_problems(
            info_fields, fields(agenda), fields(workshops), fields(functions), fields(regions), zone
        )
    )
    if problems or info is None or reminders is None or follow_up is None:
        return problems, None
    definition = EventDefinition(
        event=info,
        agenda=[item for _, item, _ in agenda if item],
        workshops=[workshop for _, workshop, _ in workshops if workshop],
        functions=[option for _, option, _ in functions if option],
        regions=[option for _, option, _ in regions if option],
        reminders=reminders,
        follow_up=follow_up,
    )
    return [], definition


def parse_event_text(text: str, source: str = "<text>") -> EventDefinition:
    """The event defined by YAML text; raises EventFileError listing every problem."""
    if len(text) > MAX_TEXT_CHARS:
        raise EventFileError(
            [
                _at(
                    source,
                    Message("evf.y.too_large", limit=Plural("count.characters", MAX_TEXT_CHARS)),
                )
            ]
        )
    tree = _load_yaml(text, source)
    if tree is None:
        raise EventFileError([_at(source, Message("evf.y.empty"))])
    if not isinstance(tree, CommentedMap):
        raise EventFileError(
            [_at(source, Message("evf.y.top_level", sections=", ".join(SECTIONS)))]
        )
    try:
        data = _plain(tree, [MAX_NODES])
    except EventFileError as exc:
        raise EventFileError([_at(source, problem) for problem in exc.problems]) from None
    except RecursionError:
        raise EventFileError([_at(source, Message("evf.y.deep"))]) from None
    assert isinstance(data, dict)
    problems, definition = _check(data)
    if definition is None:
        # In file order: organizers fix them from top to bottom.
        lines = [line_of(tree, problem.loc) or 0 for problem in problems]
        ordered = sorted(zip(lines, range(len(problems)), problems, strict=True))
        raise EventFileError([problem.render(tree) for _, _, problem in ordered])
    return definition


def decode_event_bytes(raw: bytes, source: str) -> str:
    """The text of an event file's bytes; not UTF-8 is refused with where and what to do."""
    try:
        return raw.decode("utf-8-sig")  # editors on Windows often add a BOM
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        what = Message("evf.y.not_utf8", byte=f"0x{raw[exc.start]:02X}", line=line)
        raise EventFileError([_at(source, what)]) from None


def load_event_file(path: Path) -> EventDefinition:
    """The event defined in a YAML file (UTF-8); raises EventFileError listing every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = str(exc.strerror or exc)
        raise EventFileError([_at(str(path), Message("evf.y.unreadable", reason=reason))]) from None
    return parse_event_text(decode_event_bytes(raw, str(path)), source=str(path))
