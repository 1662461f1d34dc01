"""The method table: Bot API method name -> handler, plus the non-messaging methods."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import messaging
from .commands import check_commands, normalise_scope
from .errors import ApiError, bad_request
from .html import utf16_len
from .messaging import target_chat
from .params import Params
from .state import CallbackAnswer

if TYPE_CHECKING:
    from .emulator import BotApiEmulator

_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files


@dataclass(frozen=True)
class Method:
    """A registered Bot API method."""

    name: str
    func: Callable[..., Any]
    is_async: bool


def get_me(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """getMe."""
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def always_true(emu: BotApiEmulator, p: Params) -> bool:
    """logOut / close: nothing to do in memory."""
    return True


async def get_updates(emu: BotApiEmulator, p: Params) -> list[dict[str, Any]]:
    """getUpdates with offset confirmation and long polling."""
    queue = emu.updates
    allowed = p.obj("allowed_updates")
    if isinstance(allowed, list):
        queue.set_allowed(allowed)
    offset = p.integer("offset")
    if offset:
        queue.confirm(offset)
    limit = min(max(p.integer("limit", 100) or 100, 1), 100)
    timeout = p.number("timeout")
    # A newer getUpdates ends the one still waiting, as Telegram does with two pollers.
    poll = queue.start_poll()
    if not len(queue) and timeout > 0:
        await queue.wait(timeout, poll)
    if queue.superseded(poll):
        raise ApiError(409, _CONFLICT)
    return queue.peek(limit)


def delete_webhook(emu: BotApiEmulator, p: Params) -> bool:
    """deleteWebhook (there is never a webhook; may drop pending updates)."""
    if p.flag("drop_pending_updates"):
        emu.updates.clear()
    return True


def get_webhook_info(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """getWebhookInfo."""
    return {"url": "", "has_custom_certificate": False, "pending_update_count": len(emu.updates)}


def _scope_and_language(emu: BotApiEmulator, p: Params) -> tuple[dict[str, Any], str]:
    scope = normalise_scope(p.obj("scope"))
    per_chat = scope["type"] in ("chat", "chat_administrators", "chat_member")
    if per_chat and scope.get("chat_id") not in emu.chats:
        raise bad_request("chat not found")
    return scope, p.text("language_code") or ""


def set_my_commands(emu: BotApiEmulator, p: Params) -> bool:
    """setMyCommands."""
    commands = check_commands(p.obj("commands"))
    scope, language = _scope_and_language(emu, p)
    emu.command_store.set(scope, language, commands)
    return True


def get_my_commands(emu: BotApiEmulator, p: Params) -> list[dict[str, str]]:
    """getMyCommands."""
    scope, language = _scope_and_language(emu, p)
    return emu.command_store.get(scope, language)


def delete_my_commands(emu: BotApiEmulator, p: Params) -> bool:
    """deleteMyCommands."""
    scope, language = _scope_and_language(emu, p)
    emu.command_store.delete(scope, language)
    return True


def answer_callback_query(emu: BotApiEmulator, p: Params) -> bool:
    """answerCallbackQuery: each query can be answered once."""
    query_id = p.text("callback_query_id") or ""
    pending = emu.callbacks.get(query_id)
    expired = pending is not None and emu.monotonic() - pending.asked_at > emu.callback_timeout
    if pending is None or pending.answer is not None or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.text("text") or ""
    if utf16_len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = CallbackAnswer(query_id, text, p.flag("show_alert"), p.text("url"))
    pending.answer = answer
    chat = emu.chats[pending.chat_id]
    chat.answered_callbacks.append(answer)
    chat.touch()
    if pending.waiter is not None and not pending.waiter.done():
        pending.waiter.set_result(answer)
    return True


def get_file(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """getFile."""
    record = emu.files.get(p.text("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    if record.size > _MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return record.as_file()


def get_chat(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """getChat (private chats only)."""
    chat = target_chat(emu, p, "getChat", sending=False)
    gifts = dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        False,
    )
    return {
        **chat.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


def _table() -> dict[str, Method]:
    handlers: dict[str, Callable[..., Any]] = {
        "getMe": get_me,
        "logOut": always_true,
        "close": always_true,
        "getUpdates": get_updates,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "answerCallbackQuery": answer_callback_query,
        "getFile": get_file,
        "getChat": get_chat,
        "sendMessage": messaging.send_message,
        "editMessageText": messaging.edit_message_text,
        "editMessageReplyMarkup": messaging.edit_message_reply_markup,
        "deleteMessage": messaging.delete_message,
        "sendDocument": messaging.send_document,
        "sendPhoto": messaging.send_photo,
        "sendVoice": messaging.send_voice,
        "sendAudio": messaging.send_audio,
        "sendVideo": messaging.send_video,
        "sendChatAction": messaging.send_chat_action,
    }
    # Telegram matches method names case-insensitively.
    return {
        name.lower(): Method(name, func, inspect.iscoroutinefunction(func))
        for name, func in handlers.items()
    }


METHODS: dict[str, Method] = _table()
