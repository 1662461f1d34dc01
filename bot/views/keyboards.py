"""Every keyboard the bot sends is built here, laid out for its reader's direction.

Telegram lays out a keyboard row left to right whatever the language, so in Arabic a row
built in logical order ("✏️ Name", "✏️ Function") reads Function before Name. For a
right-to-left reader each row is built reversed: reading right to left gives the logical
order. Paging arrows are mirrored too: in Arabic "previous" is the right-hand button and
points right (▶️), "next" the left-hand one pointing left (◀️), as pages turn in an Arabic book.

Within an update the reader is the person behind it (noted once by bot.app.load_who); code
that writes to someone else (the clock's summaries, prompts, a campaign's progress) passes
that reader's `rtl` explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import as_plain

T = TypeVar("T")
Rows = Sequence[Sequence[tuple[str, str]]]

# Each update runs in its own task, so the note never outlives it (as the event version's).
_reader_rtl: ContextVar[bool] = ContextVar("multaqa_reader_rtl", default=False)
_MIRRORED = {"◀️": "▶️", "▶️": "◀️"}


def note_reader(rtl: bool) -> None:
    """The person this update answers reads right to left (or not)."""
    _reader_rtl.set(rtl)


def reader_rtl() -> bool:
    """Whether the person this update answers reads right to left."""
    return _reader_rtl.get()


def in_reading_order(rows: Sequence[Sequence[T]], rtl: bool | None = None) -> list[list[T]]:
    """Rows in logical order, laid out so that the reader reads them in that order."""
    rtl = reader_rtl() if rtl is None else rtl
    return [list(reversed(row)) if rtl else list(row) for row in rows]


def inline_keyboard(rows: Rows, rtl: bool | None = None) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data) in logical order; labels are
    shown as plain text (a translated Markup loses its tags and entities)."""
    rtl = reader_rtl() if rtl is None else rtl
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    as_plain(_MIRRORED.get(text, text) if rtl else text), callback_data=data
                )
                for text, data in row
            ]
            for row in in_reading_order(rows, rtl)
        ]
    )
