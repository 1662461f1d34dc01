"""Small helpers shared by the flows: sending texts, keyboards, button answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import MultaqaContext

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def chat_id_of(update: Update) -> int:
    """The chat an update came from (every update our handlers accept has one)."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return chat.id


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def in_rows(items: Sequence[tuple[str, str]], per_row: int) -> list[list[tuple[str, str]]]:
    """Split buttons into rows of `per_row`."""
    return [list(items[i : i + per_row]) for i in range(0, len(items), per_row)]


async def say(context: MultaqaContext, chat_id: int, text: str, markup: Markup = None) -> Message:
    """Send an HTML message to a chat."""
    return await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


async def reply(
    update: Update, context: MultaqaContext, text: str, markup: Markup = None
) -> Message:
    """Answer in the chat the update came from."""
    return await say(context, chat_id_of(update), text, markup)


async def toast(update: Update, text: str | None = None) -> None:
    """Answer a button press (every press must be answered), optionally with a short notice."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text)
    except BadRequest as exc:  # pressed long ago: Telegram no longer accepts the answer
        log.info("callback answer refused: %s", exc.message)


async def drop_buttons(update: Update) -> None:
    """Remove the inline keyboard of the pressed message so it cannot be pressed twice."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    if query.message.reply_markup is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        log.info("could not drop buttons: %s", exc.message)
