"""Sending to many people within Telegram's limits, with a ledger so that nobody is skipped.

What PTB's own AIORateLimiter does not give us, and this does:
- a per-private-chat limit (1 message per second per chat; 20 per minute per group);
- one pause for the whole bot on 429 that no concurrent success can end early
  (python-telegram-bot #5338): the pause is a deadline, only ever moved later;
- one budget shared with the interactive replies, which go first (bot.outbound.limiter);
- its own connection pool, so interactive replies of the Application never queue behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.outbound.limiter import BULK, SendBudget

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """Limits and retry rules of the bulk sender."""

    # Telegram allows ~30/s per bot, counted over any rolling second. The budget
    # (bot.outbound.limiter) counts round(28.8) = 29 sends at once, from each turn until a
    # second after its answer, so no rolling second at Telegram holds more than 29.
    per_second: float = 28.8
    # Private chats: 1 message per second; groups: 20 per minute. The extra 50 ms keeps two
    # sends that left a second apart from arriving less than a second apart.
    per_chat_seconds: float = 1.05
    per_group_seconds: float = 3.05
    max_attempts: int = 5  # network errors and 5xx, before a delivery fails
    backoff_seconds: float = 1.0  # doubled after each failed attempt
    concurrency: int = 16  # requests in flight at once


class Outcome(Enum):
    """How one delivery ended."""

    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of sending one message, with what the ledger keeps."""

    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    attempts: int = 1


Send = Callable[[Bot, int], Awaitable[Message]]


class BulkSender:
    """Sends one message per call, waiting for its turn under every limit.

    Its turns come from a `SendBudget` (bot.outbound.limiter) shared with the interactive
    replies of the Application, which go first; without one (the CLI) it has its own."""

    def __init__(
        self, bot: Bot, policy: SendPolicy | None = None, budget: SendBudget | None = None
    ) -> None:
        self.bot = bot
        self.policy = policy or SendPolicy()
        self.budget = budget or SendBudget(
            self.policy.per_second, self.policy.per_chat_seconds, self.policy.per_group_seconds
        )

    @property
    def retry_after_received(self) -> int:
        """429 answers met by any sender of this budget."""
        return self.budget.retry_after_received

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (a 429 applies to the whole bot)."""
        self.budget.pause(seconds)

    async def deliver(self, chat_id: int, send: Send, attempts_before: int = 0) -> Result:
        """Send with retries: 429 waits and retries, 403 is final, 5xx/network back off."""
        attempts = attempts_before
        backoff = self.policy.backoff_seconds
        while True:
            attempts += 1
            try:
                async with self.budget.turn(chat_id, BULK):
                    message = await send(self.bot, chat_id)
            except RetryAfter as exc:
                attempts -= 1  # Telegram refused before trying: not an attempt
                self.budget.retry_after(exc)  # every send waits it out in `turn`
                continue
            except Forbidden as exc:
                return Result(Outcome.UNREACHABLE, error=exc.message, attempts=attempts)
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    return Result(Outcome.UNREACHABLE, error=exc.message, attempts=attempts)
                return Result(Outcome.FAILED, error=exc.message, attempts=attempts)
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                if attempts >= self.policy.max_attempts:
                    return Result(Outcome.FAILED, error=exc.message, attempts=attempts)
                log.info(
                    "send to chat %s failed (%s), retrying in %.1f s",
                    chat_id,
                    type(exc).__name__,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff *= 2
                continue
            except TelegramError as exc:
                return Result(Outcome.FAILED, error=exc.message, attempts=attempts)
            return Result(Outcome.SENT, message_id=message.message_id, attempts=attempts)


def html_sender(text: str, media_kind: str | None = None, media_file_id: str | None = None) -> Send:
    """A `Send` for a text, or a photo/document with the text as caption."""

    async def send(bot: Bot, chat_id: int) -> Message:
        if media_kind == "photo" and media_file_id:
            return await bot.send_photo(
                chat_id, media_file_id, caption=text, parse_mode=ParseMode.HTML
            )
        if media_kind == "document" and media_file_id:
            return await bot.send_document(
                chat_id, media_file_id, caption=text, parse_mode=ParseMode.HTML
            )
        return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

    return send
