"""What a handler says to the person, as part of its update's effect.

While an update from the inbox is handled, `say`, `show`, `toast` and friends (handlers.common)
do not call Telegram: they note the call (`queue`) in the update's scope. When the handler has
finished, the update processor asks the intake to settle it (`Intake.finish`):

- an update that saved something has its replies committed to the outbox (storage.outbox) in
  one transaction with its handled mark, then sent, then marked sent; a crash after the effect
  therefore repeats at most a reply in flight and never leaves the person without one (a
  replay decides the same replies again from its journal: storage.journal);
- an update that saved nothing sends its replies at once (replayed, it would answer again).

Outside an update (a job, a test calling a helper) the call is made at once.

Each reply is a plain JSON object naming a Bot API method and its arguments, so it can wait
in the database; `perform` makes it. A file (a document, a photo) is sent directly, after the
replies noted before it (`flush`): it is an answer to a read, never the only trace of an effect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from storage.database import update_scope

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None
Op = dict[str, Any]
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup_of(data: dict[str, Any] | None) -> Markup:
    """The keyboard of a kept reply (the inverse of `.to_dict()`)."""
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove(selective=data.get("selective"))
    return ForceReply.de_json(data, None)


def _dict(markup: Markup) -> dict[str, Any] | None:
    return markup.to_dict() if markup is not None else None


def send_message(chat_id: int, html: str, markup: Markup = None, *, preview: bool = True) -> Op:
    """A new message (HTML); `preview=False`: no preview of the links it holds."""
    op = {"method": "send", "chat_id": chat_id, "text": html, "markup": _dict(markup)}
    if not preview:
        op["no_preview"] = True
    return op


def replace_pressed(
    chat_id: int, message_id: int, html: str, markup: InlineKeyboardMarkup | None
) -> Op:
    """The pressed message becomes this text; if it can no longer be edited, a new message."""
    return {
        "method": "show",
        "chat_id": chat_id,
        "message_id": message_id,
        "text": html,
        "markup": _dict(markup),
    }


def send_file(chat_id: int, kind: str, file_id: str, caption: str | None = None) -> Op:
    """A file already on Telegram (a participant's photo, voice note, document...), by id."""
    return {
        "method": "file",
        "chat_id": chat_id,
        "kind": kind,
        "file_id": file_id,
        "caption": caption,
    }


def answer_press(query_id: str, chat_id: int | None, text: str | None = None) -> Op:
    """The answer to a button press (stops its spinner; `text` as a toast)."""
    return {"method": "answer", "chat_id": chat_id, "query_id": query_id, "text": text}


def drop_keyboard(chat_id: int, message_id: int) -> Op:
    """Remove the buttons of a message."""
    return {"method": "unbutton", "chat_id": chat_id, "message_id": message_id}


async def _send(bot: Bot, op: Op) -> None:
    await bot.send_message(
        op["chat_id"],
        op["text"],
        parse_mode=ParseMode.HTML,
        reply_markup=markup_of(op["markup"]),
        link_preview_options=_NO_PREVIEW if op.get("no_preview") else None,
    )


async def _show(bot: Bot, op: Op) -> None:
    try:
        await bot.edit_message_text(
            op["text"],
            chat_id=op["chat_id"],
            message_id=op["message_id"],
            parse_mode=ParseMode.HTML,
            reply_markup=markup_of(op["markup"]),  # type: ignore[arg-type]
        )
    except BadRequest as exc:
        if "not modified" in exc.message.lower():  # it already shows this question
            return
        log.info("could not edit the pressed message: %s", exc.message)  # too old, gone
        await _send(bot, op)


async def _file(bot: Bot, op: Op) -> None:
    send = {
        "photo": bot.send_photo,
        "voice": bot.send_voice,
        "audio": bot.send_audio,
        "video": bot.send_video,
    }.get(op["kind"], bot.send_document)
    await send(op["chat_id"], op["file_id"], caption=op.get("caption"))


async def _answer(bot: Bot, op: Op) -> None:
    try:
        await bot.answer_callback_query(op["query_id"], text=op.get("text"))
    except BadRequest as exc:  # pressed long ago: Telegram no longer accepts the answer
        log.info("callback answer refused: %s", exc.message)


async def _unbutton(bot: Bot, op: Op) -> None:
    try:
        await bot.edit_message_reply_markup(
            chat_id=op["chat_id"], message_id=op["message_id"], reply_markup=None
        )
    except BadRequest as exc:
        log.info("could not drop buttons: %s", exc.message)


_PERFORM: dict[str, Callable[[Bot, Op], Awaitable[None]]] = {
    "send": _send,
    "show": _show,
    "answer": _answer,
    "file": _file,
    "unbutton": _unbutton,
}


async def perform(bot: Bot, op: Op) -> None:
    """Make the Bot API call a reply stands for (errors other than a stale edit or press
    are raised: the caller decides what becomes of the reply)."""
    await _PERFORM[op["method"]](bot, op)


async def queue(bot: Bot, op: Op) -> None:
    """Say it as part of the update being handled, or at once outside an update."""
    scope = update_scope.get()
    if scope is None:
        await perform(bot, op)
        return
    scope.replies.append(op)


def withdraw_answer(query_id: str) -> None:
    """Take back the answer to this press decided so far (not sent yet): another one replaces
    it (a press found stale after it was answered plainly)."""
    scope = update_scope.get()
    if scope is not None:
        scope.replies[:] = [
            op
            for op in scope.replies
            if not (op["method"] == "answer" and op["query_id"] == query_id)
        ]


def forget_decided() -> None:
    """Drop the replies decided so far by this update (its replay went another way: a short
    'taken into account' answer replaces them)."""
    scope = update_scope.get()
    if scope is not None:
        scope.replies.clear()


# In bot_data: the intake's `flush(scope)`, which commits and sends what was decided so far.
FLUSH_KEY = "multaqa.flush"


async def flush(bot_data: dict[str, Any]) -> None:
    """Before a file is sent directly: send the replies decided before it, in order."""
    scope = update_scope.get()
    if scope is None or not scope.replies:
        return
    flusher = bot_data.get(FLUSH_KEY)
    if flusher is not None:
        await flusher(scope)
