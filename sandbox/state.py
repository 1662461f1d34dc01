"""Per-chat state: stored messages, the reply keyboard, and what the test side observes."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from .botmessage import BotMessage


@dataclass(slots=True)
class StoredMessage:
    """A message as the emulator holds it; data is the Message JSON in its current state."""

    message_id: int
    data: dict[str, Any]
    from_bot: bool
    kind: str = "message"
    html: str | None = None  # text or caption exactly as the bot sent it
    parse_mode: str | None = None
    # reply_markup as sent: Message JSON only echoes inline keyboards, tests need all kinds.
    markup: dict[str, Any] | None = None

    @property
    def visible_text(self) -> str:
        """Plain text, or the caption of a media message."""
        return self.data.get("text") or self.data.get("caption") or ""


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to one callback query."""

    query_id: str
    text: str
    show_alert: bool
    url: str | None = None


@dataclass
class PendingCallback:
    """A callback query sent to the bot, answered or not."""

    query_id: str
    chat_id: int
    answer: CallbackAnswer | None = None
    waiter: asyncio.Future[CallbackAnswer] | None = None
    asked_at: float = 0.0  # monotonic seconds: Telegram lets a query be answered for ~15 s


@dataclass
class ChatState:
    """One private chat between a simulated user and the bot (chat id == user id)."""

    user: dict[str, Any]  # User JSON as it appears in "from"
    chat: dict[str, Any]  # Chat JSON as it appears in messages
    phone: str
    blocked: bool = False
    started: bool = False  # Telegram refuses bot messages until the user wrote first
    reply_keyboard: dict[str, Any] | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)  # send order, for press()
    inbox: list[BotMessage] = field(default_factory=list)
    events: asyncio.Queue[BotMessage] = field(default_factory=asyncio.Queue)
    chat_actions: list[str] = field(default_factory=list)
    action_at: float = 0.0  # monotonic time of the last chat action ("typing…" for 5 s)
    answered_callbacks: list[CallbackAnswer] = field(default_factory=list)
    last_message_id: int = 0
    # Bumped on every visible change (new message, edit, deletion, toast, block), so a web
    # page can wait for the next change instead of polling.
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        """Note a visible change and wake whoever waits for one."""
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    async def wait_change(self, after: int, seconds: float) -> None:
        """Return once version > after, or after `seconds`."""
        if self.version > after:
            return
        with contextlib.suppress(TimeoutError):  # not wait_for: on 3.11 it can eat a cancel
            async with asyncio.timeout(seconds):
                await self.changed.wait()

    @property
    def chat_id(self) -> int:
        """The chat id, equal to the user id for private chats."""
        return int(self.chat["id"])

    def next_message_id(self) -> int:
        """Message ids are shared by both sides of a private chat, as in Telegram."""
        self.last_message_id += 1
        return self.last_message_id

    def store(self, message: StoredMessage) -> None:
        """Keep a new message; bot messages also track the reply keyboard they set."""
        self.messages[message.message_id] = message
        self.touch()
        if not message.from_bot:
            return
        self.bot_message_ids.append(message.message_id)
        markup = message.markup
        if markup is not None:
            if "keyboard" in markup:
                self.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                self.reply_keyboard = None

    def emit(self, message: StoredMessage, kind: str) -> BotMessage:
        """Record a bot-side event (new message or edit) for inbox and next_message()."""
        message.kind = kind
        self.touch()
        event = BotMessage.from_stored(self.chat_id, message)
        self.inbox.append(event)
        self.events.put_nowait(event)
        return event
