"""One sending budget per bot: interactive replies and bulk sends share Telegram's limits, and
replies go first.

Telegram counts every message a bot sends (~30/s for the bot, 1/s per private chat, 20/min
per group) no matter which part of our code sent it. Two limiters that each think they own
the budget (PTB's for replies, ours for broadcasts) together exceed it: a broadcast at full
rate then makes replies meet 429s. So there is one `SendBudget` per process:

- `async with budget.turn(chat_id, INTERACTIVE | BULK):` holds a turn while the request is
  made. At most `per_second` (rounded) sends are counted at once: those in flight, and those
  answered less than a second ago. A send reaches Telegram between its turn and its answer,
  so no rolling second at Telegram ever holds more, however late a request travels; yet up to
  that many replies to people who write at the same moment go at once, instead of being
  spread over a second (a leaky bucket's smoothing made the 20th reply of a burst wait
  ~0.7 s). A waiting interactive send always gets the next turn before any waiting bulk
  send, so a broadcast slows by exactly the replies sent meanwhile.
- `budget.pause(seconds)` after a 429 stops every send until then (a deadline only ever moved
  later: no concurrent success ends it early, python-telegram-bot #5338).
- Per chat, bulk sends are spaced (1.05 s private, 3.05 s group). A reply waits for that
  spacing only when the chat's previous message was a bulk one (the mix must not cause a
  429); replies in a dialog follow each other at the person's pace, as Telegram allows short
  bursts in a chat.

`InteractiveLimiter` plugs the budget into PTB (`ApplicationBuilder.rate_limiter`): sends of
the Application's bot take an interactive turn, and every request (sends, edits, callback
answers) is retried after a 429 (after retry_after) and after 5xx/network errors a bounded
number of times, so an answer that was saved gets its reply.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

INTERACTIVE = 0
BULK = 1

# Bot API methods that create a message: what Telegram's flood limits count. Edits, callback
# answers, chat actions and getUpdates are not sends.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVideoNote",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendMediaGroup",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)

WINDOW_SECONDS = 1.0  # Telegram's limits are per rolling second


async def woken(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until `event` is set (True) or `seconds` pass (False; None: no limit).

    Not `asyncio.wait_for(event.wait(), ...)`: on Python 3.11 it swallows a cancellation
    that arrives as the event is set, so a clock being stopped just as it was woken kept
    running, and its `stop()` waited forever."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


def retry_after_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whether PTB gives an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class SendBudget:
    """Telegram's sending budget for one bot, shared by every sender in this process."""

    def __init__(
        self,
        per_second: float = 28.8,
        per_chat_seconds: float = 1.05,
        per_group_seconds: float = 3.05,
    ) -> None:
        self.per_second = per_second
        self.per_chat_seconds = per_chat_seconds
        self.per_group_seconds = per_group_seconds
        self.limit = max(1, round(per_second))  # sends counted at once (28.8/s: 29 < 30)
        self._in_flight = 0  # turns taken whose request has not been answered yet
        self._answered: deque[float] = deque()  # when recent sends were answered (loop time)
        self._freed = asyncio.Event()  # a send was answered: a waiting one may take its turn
        self._paused_until = 0.0
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._pump: asyncio.Task[None] | None = None
        # chat id -> (loop time from which the chat may get its next bulk send, was the last
        # send a bulk one)
        self._chats: dict[int, tuple[float, bool]] = {}
        self.turns = [0, 0]  # turns granted, by priority (figures for tests and benchmarks)
        self.retry_after_received = 0

    # --- the 429 pause ------------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (a 429 applies to the whole bot)."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)

    def retry_after(self, exc: RetryAfter) -> float:
        """Record a 429 and pause for it; returns the seconds to wait."""
        self.retry_after_received += 1
        seconds = retry_after_seconds(exc)
        self.pause(seconds)
        return seconds

    async def wait_pause(self) -> None:
        """Until no 429 pause is running."""
        loop = asyncio.get_running_loop()
        # A deadline, not an event: another 429 during the sleep may move it later.
        while (left := self._paused_until - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    # --- turns ----------------------------------------------------------------------------

    @asynccontextmanager
    async def turn(self, chat_id: int | None, priority: int) -> AsyncIterator[None]:
        """Hold this send's turn while its request is made: after the 429 pause, the chat's
        spacing and the bot's rate; the send counts until a second after its answer."""
        await self.wait_pause()
        if chat_id is not None:
            await self._chat_turn(chat_id, priority)
        await self._bot_turn(priority)
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._in_flight -= 1
        self._answered.append(asyncio.get_running_loop().time())
        self._freed.set()

    async def _chat_turn(self, chat_id: int, priority: int) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        free_at, last_bulk = self._chats.get(chat_id, (0.0, False))
        spacing = self.per_chat_seconds if chat_id > 0 else self.per_group_seconds
        # Bulk sends (and anything after one, and groups) reserve the chat's next slot
        # before sleeping, so two of them never race for it.
        spaced = priority == BULK or last_bulk or chat_id < 0
        slot = max(now, free_at) if spaced else now
        if len(self._chats) > 50_000:  # forget chats whose turn is long free
            self._chats = {k: v for k, v in self._chats.items() if v[0] > now}
        self._chats[chat_id] = (max(free_at, slot + spacing), priority == BULK)
        if slot > now:
            await asyncio.sleep(slot - now)

    def _counted(self, now: float) -> int:
        """Sends that count now: in flight, or answered within the last window."""
        while self._answered and self._answered[0] + WINDOW_SECONDS <= now:
            self._answered.popleft()
        return self._in_flight + len(self._answered)

    def _take(self, now: float) -> bool:
        """Take a turn if one is free now."""
        if now < self._paused_until or self._counted(now) >= self.limit:
            return False
        self._in_flight += 1
        return True

    def _delay(self, now: float) -> float | None:
        """Seconds until `_take` may succeed; None: when an answer comes (all in flight)."""
        if now < self._paused_until:
            return self._paused_until - now
        if self._counted(now) < self.limit:
            return 0.0
        return self._answered[0] + WINDOW_SECONDS - now if self._answered else None

    def _ahead(self, priority: int) -> bool:
        """Whether someone of this priority or higher is already waiting."""
        return any(self._waiting[p] for p in range(priority + 1))

    async def _bot_turn(self, priority: int) -> None:
        loop = asyncio.get_running_loop()
        if not self._ahead(priority) and self._take(loop.time()):
            self.turns[priority] += 1
            return
        future: asyncio.Future[None] = loop.create_future()
        self._waiting[priority].append(future)
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self._hand_out(), name="send budget")
        try:
            await future  # cancelled with its caller: the pump skips it
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # given a turn it will not use
                self._release()
            raise

    def _next_waiting(self) -> tuple[int, asyncio.Future[None]] | None:
        for priority, queue in enumerate(self._waiting):
            while queue and queue[0].done():
                queue.popleft()
            if queue:
                return priority, queue[0]
        return None

    async def _hand_out(self) -> None:
        """Give turns to waiting sends, interactive ones first, as turns free up."""
        loop = asyncio.get_running_loop()
        while (head := self._next_waiting()) is not None:
            priority, future = head
            now = loop.time()
            if self._take(now):
                self._waiting[priority].popleft()
                self.turns[priority] += 1
                future.set_result(None)
                continue
            self._freed.clear()
            await woken(self._freed, self._delay(now))


def _chat_of(data: dict[str, Any]) -> int | None:
    chat_id = data.get("chat_id")
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return None  # @channelname: no per-chat spacing known


class InteractiveLimiter(BaseRateLimiter[None]):
    """PTB's rate-limiter hook for the Application's bot: interactive turns, bounded retries."""

    def __init__(
        self,
        budget: SendBudget,
        max_retry_after: int = 3,
        max_attempts: int = 4,
        backoff_seconds: float = 0.5,
    ) -> None:
        self.budget = budget
        self.max_retry_after = max_retry_after  # 429s waited out before giving up
        self.max_attempts = max_attempts  # tries on 5xx/network errors (0.5 + 1 + 2 s apart)
        self.backoff_seconds = backoff_seconds
        self.retried = 0  # requests sent again (figures for tests)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Take an interactive turn for a send, call Telegram, retry what can be retried.

        A send retried after a timeout may reach the person twice (Telegram may have carried
        out the first one); a reply twice is better than a saved answer with no reply."""
        sending = endpoint in SENDING_METHODS
        chat_id = _chat_of(data) if sending else None
        waited_429 = failed = 0
        backoff = self.backoff_seconds
        while True:
            try:
                if not sending:
                    return await callback(*args, **kwargs)
                async with self.budget.turn(chat_id, INTERACTIVE):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # A send's 429 holds every send (they wait in `turn`); an edit's or a
                # callback answer's only holds this request.
                seconds = self.budget.retry_after(exc) if sending else retry_after_seconds(exc)
                waited_429 += 1
                if waited_429 > self.max_retry_after:
                    raise
                if not sending:
                    await asyncio.sleep(seconds)
                log.info("%s got 429, retrying after %.0f s", endpoint, seconds)
            except BadRequest:  # a NetworkError subclass, but final: the request is wrong
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                failed += 1
                if failed >= self.max_attempts:
                    raise
                log.info(
                    "%s failed (%s), retrying in %.1f s", endpoint, type(exc).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff *= 2
            self.retried += 1
