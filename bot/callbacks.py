"""Callback data: one typed schema per prefix, carrying stable ids, parsed strictly.

Button data is untrusted input (anyone can forge it, and an old message keeps its buttons
after the event file changed). So a button never carries a list position: it names what it
acts on by a stable id — a workshop id or a function/region code from the event file, a
database id — and every prefix declares its actions and their typed fields in one place:

    WS = Prefix("ws")
    JOIN = WS.button("join", Code("workshop"))
    JOIN("management")            -> "ws:join:management"
    WS.parse("ws:join:management") -> Press(JOIN, {"workshop": "management"})

Parsing refuses anything that is not exactly one declared action with well-formed fields
(wrong prefix, unknown action, missing or extra parts, non-ASCII, over 64 bytes). Looking the
id up (does the workshop exist, is the proposal the presser's) stays with the handler.

`route(prefix, {BUTTON: handler, ...})` is the one way buttons are dispatched: it parses,
checks the role the button requires (see `bot.guard`), and calls the handler with the `Press`;
anything refused is answered ("This button is not valid") and logged without personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import replies
from bot.i18n import as_plain

if TYPE_CHECKING:
    from bot.context import MultaqaContext

log = logging.getLogger(__name__)

MAX_BYTES = 64  # Telegram's limit for callback_data
_PREFIX = re.compile(r"[a-z]{1,8}")
_ACTION = re.compile(r"[a-z]{1,12}")
_CODE = re.compile(r"[a-z0-9_-]{1,32}")  # event-file ids and codes (see bot.event.file)
_ID = re.compile(r"[1-9][0-9]{0,17}")  # database ids: positive, no leading zero
_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")


class Field(Protocol):
    """One typed part of a button's data."""

    name: str

    def parse(self, raw: str) -> Any | None:
        """The value, or None when `raw` is not well-formed."""

    def format(self, value: Any) -> str:
        """The text of a value (checked by parsing it back)."""


@dataclass(frozen=True, slots=True)
class Id:
    """A database id (proposal, recommendation, campaign, participant): a positive integer."""

    name: str

    def parse(self, raw: str) -> int | None:
        return int(raw) if _ID.fullmatch(raw) else None

    def format(self, value: Any) -> str:
        return str(int(value))


@dataclass(frozen=True, slots=True)
class Code:
    """A stable code from the event file or the settings: workshop id, function, region,
    locale, theme. Lowercase ASCII letters, digits, `_` and `-`, at most 32; `also` adds
    a few reserved words that cannot be codes (like `*` for "all")."""

    name: str
    also: tuple[str, ...] = ()

    def parse(self, raw: str) -> str | None:
        return raw if _CODE.fullmatch(raw) or raw in self.also else None

    def format(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class OneOf:
    """One of a few fixed words (yes/no, a field name, a sort order)."""

    name: str
    values: tuple[str, ...]

    def parse(self, raw: str) -> str | None:
        return raw if raw in self.values else None

    def format(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class Number:
    """A non-negative integer: a page of a paged list (0-based; past the end shows the last
    page), or a database id where 0 means "none yet"."""

    name: str

    def parse(self, raw: str) -> int | None:
        return int(raw) if _NUMBER.fullmatch(raw) else None

    def format(self, value: Any) -> str:
        return str(int(value))


def PageNo() -> Number:  # reads like the other field types
    """The page of a paged list."""
    return Number("page")


@dataclass(frozen=True, slots=True, eq=False)
class Button:
    """One action of a prefix with its typed fields; calling it builds the data."""

    prefix: str
    action: str
    fields: tuple[Field, ...]
    role: str | None  # the role a presser must hold now (checked by `route`), or None

    def __call__(self, *values: Any) -> str:
        """The callback data; ValueError rather than send something we would refuse."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix}:{self.action} takes {len(self.fields)} value(s)")
        parts = [self.prefix, self.action]
        for spec, value in zip(self.fields, values, strict=True):
            raw = spec.format(value)
            if spec.parse(raw) is None:
                raise ValueError(f"{self.prefix}:{self.action}: bad {spec.name} {value!r}")
            parts.append(raw)
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @property
    def pattern(self) -> str:
        """A readable form, for logs and tests: `ws:join:<workshop>`."""
        return ":".join([self.prefix, self.action, *(f"<{f.name}>" for f in self.fields)])


@dataclass(frozen=True, slots=True)
class Press:
    """A parsed button press: which button, and its typed values by field name."""

    button: Button
    values: Mapping[str, Any]

    @property
    def action(self) -> str:
        """The button's action name."""
        return self.button.action

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@dataclass(slots=True)
class Prefix:
    """The buttons of one flow. `role` is the default role its buttons require."""

    name: str
    role: str | None = None
    buttons: dict[str, Button] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.name):
            raise ValueError(f"prefix not allowed: {self.name!r}")
        if self.name in PREFIXES:
            raise ValueError(f"prefix {self.name!r} is already declared")
        PREFIXES[self.name] = self

    def button(self, action: str, *fields: Field, role: str | EllipsisType | None = ...) -> Button:
        """Declare an action. It requires the prefix's role unless `role` says otherwise
        (a role name, or None: open to all under a role prefix)."""
        if not _ACTION.fullmatch(action) or action in self.buttons:
            raise ValueError(f"{self.name}:{action} not allowed or declared twice")
        needed = self.role if isinstance(role, EllipsisType) else role
        declared = Button(self.name, action, tuple(fields), needed)
        self.buttons[action] = declared
        return declared

    def parse(self, data: str | None) -> Press | None:
        """The press, or None for anything malformed, foreign or undeclared."""
        if not data or len(data.encode()) > MAX_BYTES or not data.isascii():
            return None
        parts = data.split(":")
        if len(parts) < 2 or parts[0] != self.name:
            return None
        button = self.buttons.get(parts[1])
        if button is None or len(parts) - 2 != len(button.fields):
            return None
        values: dict[str, Any] = {}
        for spec, raw in zip(button.fields, parts[2:], strict=True):
            value = spec.parse(raw)
            if value is None:
                return None
            values[spec.name] = value
        return Press(button, values)


PREFIXES: dict[str, Prefix] = {}  # every declared prefix, for the dispatcher and the tests
# Buttons that open a screen of a menu (/admin's): like a command, pressing one ends a
# pending one-shot prompt (see handlers.conversation.end_one_shot_prompt).
MENU_ENTRIES: set[Button] = set()


def menu_entries(*buttons: Button) -> None:
    """Declare buttons as menu entries (see MENU_ENTRIES)."""
    MENU_ENTRIES.update(buttons)


def is_menu_entry(data: str | None) -> bool:
    """Whether callback data is a press on a menu entry."""
    prefix = prefix_of(data)
    press = prefix.parse(data) if prefix is not None else None
    return press is not None and press.button in MENU_ENTRIES


def prefix_of(data: str | None) -> Prefix | None:
    """The declared prefix a piece of data claims to belong to."""
    if not data:
        return None
    return PREFIXES.get(data.split(":", 1)[0])


# ---------------------------------------------------------------- dispatch

ButtonHandler = Callable[[Update, "MultaqaContext", Press], Awaitable[None]]


async def refuse(update: Update, context: MultaqaContext, reason: str) -> None:
    """Answer a refused press with "not valid" and log it (ids only, never names)."""
    query = update.callback_query
    user = update.effective_user
    log.warning(
        "button refused (%s) for user %s: %r",
        reason,
        user.id if user else None,
        (query.data or "")[:16] if query else "",
    )
    if query is None:
        return
    if context.has_who:
        t = context.who.t
    else:
        texts = context.services.texts
        t = texts[texts.default_locale]
    chat = update.effective_chat
    await replies.queue(
        query.get_bot(),
        replies.answer_press(
            query.id, chat.id if chat else None, as_plain(t("common.invalid_button"))
        ),
    )


async def stale(update: Update, context: MultaqaContext, reason: str = "stale") -> None:
    """Answer a press whose action no longer makes sense (a question already answered, a
    workshop gone) the one way every flow does: a toast, "This button is no longer active",
    nothing in the chat."""
    query = update.callback_query
    user = update.effective_user
    log.info("stale button (%s) for user %s", reason, user.id if user else None)
    if query is None:
        return
    chat = update.effective_chat
    text = as_plain(context.who.t("common.stale_button"))
    replies.withdraw_answer(query.id)  # a plain answer decided before the press was found stale
    await replies.queue(
        query.get_bot(), replies.answer_press(query.id, chat.id if chat else None, text)
    )


class ButtonRouter(CallbackQueryHandler):  # type: ignore[type-arg]
    """The CallbackQueryHandler of one prefix: parse → role guard → handler."""

    def __init__(self, prefix: Prefix, routes: Mapping[Button, ButtonHandler]) -> None:
        missing = [b.pattern for b in prefix.buttons.values() if b not in routes]
        foreign = [b.pattern for b in routes if b.prefix != prefix.name]
        if missing or foreign:
            raise ValueError(f"routes of {prefix.name!r}: missing {missing}, foreign {foreign}")
        self.prefix = prefix
        self.routes = dict(routes)
        super().__init__(self._dispatch, pattern=rf"^{re.escape(prefix.name)}:")

    async def _dispatch(self, update: Update, context: MultaqaContext) -> None:
        from bot.guard import has_role  # bot.guard imports this module

        query = update.callback_query
        press = self.prefix.parse(query.data if query else None)
        if press is None or not context.has_who:
            await refuse(update, context, "malformed")
            return
        role = press.button.role
        if role is not None and not await has_role(context, role):
            await refuse(update, context, f"needs {role}")
            return
        try:
            await self.routes[press.button](update, context, press)
        except Exception:
            # Stop the button's spinner whatever happened; the error handler tells the person.
            # (If the handler had answered already, Telegram refuses a second answer: fine.)
            if query is not None:
                chat = update.effective_chat
                await replies.queue(
                    query.get_bot(), replies.answer_press(query.id, chat.id if chat else None)
                )
            raise


def route(prefix: Prefix, routes: Mapping[Button, ButtonHandler]) -> ButtonRouter:
    """The one handler of a prefix; every declared button must have its handler."""
    return ButtonRouter(prefix, routes)
