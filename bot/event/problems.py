"""Problems of an event file: where (a path into the file's data, and its line) and what, as
catalogue messages so that each organizer reads them in their own language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.i18n import Message

LOCALES = ("ar", "fr", "en")
_LOCALIZED_FIELDS = ("title", "name", "description")  # the Localized fields of the models

Loc = tuple[str | int, ...]


class EventFileError(Exception):
    """The event file is not valid; `problems` holds every problem found, one Message each
    (as a str, its English text; `render(t)` gives it in another language)."""

    def __init__(self, problems: list[Message]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Parsing may run in a worker process: the problems cross back whole, not as one str.
        return (EventFileError, (self.problems,))


def invalid(key: str, **values: object) -> PydanticCustomError:
    """A validation error carrying a catalogue message (passed as context: no brace issues)."""
    return PydanticCustomError("multaqa", "{message}", {"message": Message(key, **values)})


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where (a path into the file's data) and what."""

    loc: Loc
    message: Message

    def render(self, tree: object) -> Message:
        """`path (line N): message`; the line only when the file's tree can tell it."""
        line = line_of(tree, self.loc)
        if line:
            return Message("evf.at_line", where=path(self.loc), line=line, problem=self.message)
        return Message("evf.at", where=path(self.loc), problem=self.message)


def path(loc: Loc) -> str:
    """`('agenda', 3, 'end')` → `agenda[3].end`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(tree: object, loc: Loc) -> int | None:
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


_FIXED = {
    "missing": "evf.p.missing",
    "extra_forbidden": "evf.p.unknown_field",
    "model_type": "evf.p.mapping",
    "model_attributes_type": "evf.p.mapping",
    "dict_type": "evf.p.mapping",
    "list_type": "evf.p.list",
    "string_type": "evf.p.text",
    "string_too_short": "evf.p.empty",
    "int_type": "evf.p.whole_number",
    "int_parsing": "evf.p.whole_number",
    "int_from_float": "evf.p.whole_number",
}


def message_of(error: ErrorDetails) -> Message:
    """Pydantic's error in the words of the event file."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if isinstance(ctx.get("message"), Message):
        return ctx["message"]
    loc = error["loc"]
    if kind == "extra_forbidden" and len(loc) >= 2 and loc[-2] in _LOCALIZED_FIELDS:
        return Message("evf.p.unknown_language", languages=", ".join(LOCALES))
    if kind in _FIXED:
        return Message(_FIXED[kind])
    if kind == "greater_than_equal":
        return Message("evf.p.at_least", limit=ctx["ge"])
    if kind == "less_than_equal":
        return Message("evf.p.at_most", limit=ctx["le"])
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx["expected"])) or [str(ctx["expected"])]
        return Message("evf.p.one_of", choices=", ".join(choices))
    return Message("evf.p.invalid", detail=error["msg"])
