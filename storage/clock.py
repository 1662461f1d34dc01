"""The one source of "now": injected so tests and the sandbox can move time."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until told to move (tests, sandbox). Like OffsetClock, it
    tells whoever waits on it (the bot's scheduler, through `on_move`) after every move."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
        self._waiting: list[Callable[[datetime], object]] = []

    def now(self) -> datetime:
        """The frozen current time."""
        return self._now

    def on_move(self, listener: Callable[[datetime], object]) -> Callable[[], None]:
        """Call `listener(new_now)` after each move; returns a function that unregisters it."""
        self._waiting.append(listener)
        return lambda: self._waiting.remove(listener) if listener in self._waiting else None

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward, tell the listeners, and return the new now."""
        self._now += delta
        for listener in list(self._waiting):
            listener(self._now)
        return self._now


class OffsetClock:
    """Wall-clock time plus an offset that only moves forward: `multaqa sandbox` uses it to
    rehearse an event (jump to the next reminder) while the bot runs as usual.

    Whoever waits on the clock (the bot's scheduler) registers a listener with `on_move` and
    is called after every move, so it can look for due rows at once instead of sleeping on.
    """

    def __init__(self, offset: timedelta = timedelta(0), base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = offset
        self._listeners: list[Callable[[datetime], object]] = []

    @property
    def offset(self) -> timedelta:
        """How far ahead of the base clock this clock is."""
        return self._offset

    def now(self) -> datetime:
        """The base clock's time plus the offset."""
        return self._base.now() + self._offset

    def on_move(self, listener: Callable[[datetime], object]) -> Callable[[], None]:
        """Call `listener(new_now)` after each move; returns a function that unregisters it."""
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by delta (never back: due rows already sent stay sent)."""
        if delta < timedelta(0):
            raise ValueError(f"the clock only moves forward, got {delta}")
        self._offset += delta
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        return now

    def advance_to(self, when: datetime) -> datetime:
        """Move time forward to `when` (no move when it is already past)."""
        return self.advance(max(when - self.now(), timedelta(0)))
