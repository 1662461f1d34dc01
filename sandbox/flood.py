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
    """Per-bot, per-private-chat and per-group send limits; off until enable() is called."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # monotonic seconds; tests inject a fake one
        self.enabled = False
        self.per_bot_per_second = 30
        self.per_chat_per_second = 1
        self.per_group_per_minute = 20
        self.rejected = 0
        self.rejected_by_chat: Counter[int] = Counter()
        # Accepted sends (flood control on or off), in clock order, for rate measurements.
        self.sent_times: deque[float] = deque()
        self._bot: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def enable(
        self,
        per_bot_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
    ) -> None:
        """Start refusing sends over these limits (windows start empty)."""
        limits = (per_bot_per_second, per_chat_per_second, per_group_per_minute)
        if min(limits) < 1:
            raise ValueError(f"flood limits must be positive, got {limits}")
        self.per_bot_per_second = per_bot_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self._reset_windows()
        self.enabled = True

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

    def _chat_limit(self, chat_id: int) -> tuple[int, float]:
        """(limit, window seconds) for one chat: per minute in groups, per second otherwise."""
        if is_group(chat_id):
            return self.per_group_per_minute, _MINUTE
        return self.per_chat_per_second, _SECOND

    def admit(self, chat_id: int) -> ApiError | None:
        """Record an accepted send to chat_id, or return the 429 it must get instead."""
        now = self.clock()
        if self.enabled:
            chat_stamps = self._chats.get(chat_id)
            if chat_stamps is None:
                chat_stamps = self._chats[chat_id] = deque()
            limit, window = self._chat_limit(chat_id)
            wait = max(
                wait_for_slot(self._bot, self.per_bot_per_second, _SECOND, now),
                wait_for_slot(chat_stamps, limit, window, now),
            )
            if wait > 0:
                self.rejected += 1
                self.rejected_by_chat[chat_id] += 1
                return too_many_requests(retry_after_seconds(wait))
            self._bot.append(now)
            chat_stamps.append(now)
        self.sent_times.append(now)
        return None

    def busiest(self, window: float = _SECOND) -> int:
        """Most accepted sends within any rolling window of `window` seconds."""
        return busiest_window(list(self.sent_times), window)  # lists index in O(1)

    def sustained_rate(self) -> float:
        """Accepted sends per second between the first and the last one (0 if under two)."""
        if len(self.sent_times) < 2:
            return 0.0
        span = self.sent_times[-1] - self.sent_times[0]
        return (len(self.sent_times) - 1) / span if span > 0 else math.inf
