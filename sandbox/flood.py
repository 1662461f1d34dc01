"""Switchable flood control like Telegram's: rolling-window send limits answered with 429."""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence

from .errors import ApiError

# Methods that create messages. Only these count towards (and are refused by) flood control,
# and they are what random faults hit by default. Edits, chat actions, callback answers and
# getUpdates are not sends. Names not emulated yet are listed so new senders count at once.
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

_SECOND = 1.0
_MINUTE = 60.0
_EPSILON = 1e-9  # float noise must not turn an exact 60.0 s wait into retry_after=61


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats positive ones."""
    return chat_id < 0


def wait_for_slot(stamps: deque[float], limit: int, window: float, now: float) -> float:
    """Seconds until `stamps` has a free slot in its rolling window (0: free now); prunes."""
    cutoff = now - window
    while stamps and stamps[0] <= cutoff:
        stamps.popleft()
    if len(stamps) < limit:
        return 0.0
    return stamps[-limit] + window - now


def retry_after_seconds(wait: float) -> int:
    """Telegram's retry_after: whole seconds until a slot frees, at least 1."""
    return max(1, math.ceil(wait - _EPSILON))


def too_many_requests(retry_after: int) -> ApiError:
    """The 429 answer Telegram gives when a flood limit is hit."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def busiest_window(stamps: Sequence[float], window: float) -> int:
    """The largest number of stamps (sorted ascending) inside any window of `window` seconds."""
    best = 0
    start = 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class FloodControl:
    """Per-bot, per-private-chat and per-group send limits; off until enable() is called.

    A private chat is a token bucket, as Telegram's "avoid more than one message per second;
    we may allow short bursts" behaves: `private_burst` messages at once (20: a dialog at
    machine speed passes, a loop of messages to one person does not), then one per second.
    Edits take from the same bucket (Telegram limits them too); the bot-wide 30/s counts new
    messages only.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # monotonic seconds; tests inject a fake one
        self.enabled = False
        self.per_bot_per_second = 30
        self.per_chat_per_second = 1
        self.per_group_per_minute = 20
        self.private_burst = 20
        self.rejected = 0
        self.rejected_by_chat: Counter[int] = Counter()
        # Accepted sends (flood control on or off), in clock order, for rate measurements.
        self.sent_times: deque[float] = deque()
        self._bot: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}  # private chat -> (tokens, at)
        self.edits = 0  # edits accepted (flood control on or off)

    def enable(
        self,
        per_bot_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        private_burst: int = 20,
    ) -> None:
        """Start refusing sends over these limits (windows start empty)."""
        limits = (per_bot_per_second, per_chat_per_second, per_group_per_minute, private_burst)
        if min(limits) < 1:
            raise ValueError(f"flood limits must be positive, got {limits}")
        self.per_bot_per_second = per_bot_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self.private_burst = private_burst
        self._reset_windows()
        self.enabled = True

    def status(self) -> dict[str, object]:
        """Limits and counters, for the control API."""
        return {
            "enabled": self.enabled,
            "per_bot_per_second": self.per_bot_per_second,
            "per_chat_per_second": self.per_chat_per_second,
            "private_burst": self.private_burst,
            "per_group_per_minute": self.per_group_per_minute,
            "rejected": self.rejected,
            "sent": len(self.sent_times),
            "edits": self.edits,
        }

    def disable(self) -> None:
        """Stop refusing sends (counters and sent_times are kept)."""
        self.enabled = False
        self._reset_windows()

    def reset_counters(self) -> None:
        """Forget rejections and recorded send times (e.g. between benchmark phases)."""
        self.rejected = 0
        self.rejected_by_chat.clear()
        self.sent_times.clear()

    def _reset_windows(self) -> None:
        """Drop the rolling windows."""
        self._bot.clear()
        self._chats.clear()
        self._buckets.clear()

    def _bucket_wait(self, chat_id: int, now: float) -> tuple[float, float]:
        """(seconds until a private chat has a token, tokens it has now)."""
        tokens, at = self._buckets.get(chat_id, (float(self.private_burst), now))
        tokens = min(float(self.private_burst), tokens + (now - at) * self.per_chat_per_second)
        if tokens >= 1.0 - _EPSILON:
            return 0.0, tokens
        return (1.0 - tokens) / self.per_chat_per_second, tokens

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if not is_group(chat_id):
            return self._bucket_wait(chat_id, now)[0]
        chat_stamps = self._chats.setdefault(chat_id, deque())
        return wait_for_slot(chat_stamps, self.per_group_per_minute, _MINUTE, now)

    def _take(self, chat_id: int, now: float) -> None:
        if is_group(chat_id):
            self._chats.setdefault(chat_id, deque()).append(now)
        else:
            tokens = self._bucket_wait(chat_id, now)[1]
            self._buckets[chat_id] = (tokens - 1.0, now)

    def _refuse(self, chat_id: int, wait: float) -> ApiError:
        self.rejected += 1
        self.rejected_by_chat[chat_id] += 1
        return too_many_requests(retry_after_seconds(wait))

    def admit(self, chat_id: int) -> ApiError | None:
        """Record an accepted send to chat_id, or return the 429 it must get instead."""
        now = self.clock()
        if self.enabled:
            wait = max(
                wait_for_slot(self._bot, self.per_bot_per_second, _SECOND, now),
                self._chat_wait(chat_id, now),
            )
            if wait > 0:
                return self._refuse(chat_id, wait)
            self._bot.append(now)
            self._take(chat_id, now)
        self.sent_times.append(now)
        return None

    def admit_edit(self, chat_id: int) -> ApiError | None:
        """Record an accepted edit in chat_id, or return the 429 it must get instead."""
        now = self.clock()
        if self.enabled:
            wait = self._chat_wait(chat_id, now)
            if wait > 0:
                return self._refuse(chat_id, wait)
            self._take(chat_id, now)
        self.edits += 1
        return None

    def credit(self, chat_id: int, seconds: float) -> None:
        """A person took `seconds` before acting in their private chat: its bucket refills as
        if that time had passed (BotApiEmulator.person_pace). Groups and the bot-wide limit are
        untouched."""
        if is_group(chat_id) or chat_id not in self._buckets:
            return  # a chat never sent to has its whole burst
        tokens, at = self._buckets[chat_id]
        self._buckets[chat_id] = (tokens + seconds * self.per_chat_per_second, at)

    def busiest(self, window: float = _SECOND) -> int:
        """Most accepted sends within any rolling window of `window` seconds."""
        return busiest_window(list(self.sent_times), window)  # lists index in O(1)

    def sustained_rate(self) -> float:
        """Accepted sends per second between the first and the last one (0 if under two)."""
        if len(self.sent_times) < 2:
            return 0.0
        span = self.sent_times[-1] - self.sent_times[0]
        return (len(self.sent_times) - 1) / span if span > 0 else math.inf
