"""The pending-update queue behind getUpdates, with long-poll wake-ups."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from itertools import islice
from typing import Any

# Telegram's default when allowed_updates was never set (or set to []).
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates waiting for the bot; ids increase monotonically and confirmed ones drop."""

    def __init__(self, first_id: int = 1) -> None:
        self._queue: deque[dict[str, Any]] = deque()
        self._next_id = first_id
        self._delivered_upto = first_id - 1
        self._allowed: frozenset[str] | None = None
        # Replaced on every push so waiters never race with clear().
        self._arrived = asyncio.Event()
        self.delivered = 0
        self.waiting = 0  # long polls parked right now
        # Set while at least one long poll is parked, so tests can sync without sleeping.
        self.parked = asyncio.Event()
        self.closed = False
        self._poll_seq = 0  # the newest getUpdates call; older waiting ones get 409

    def start_poll(self) -> int:
        """Register a getUpdates call; wakes an older one still waiting (it is superseded)."""
        self._poll_seq += 1
        if self.waiting:
            self._arrived.set()
            self._arrived = asyncio.Event()
        return self._poll_seq

    def superseded(self, poll: int) -> bool:
        """Whether a newer getUpdates call came in after this one."""
        return poll != self._poll_seq

    def __len__(self) -> int:
        return len(self._queue)

    def set_allowed(self, allowed: list[str]) -> None:
        """Remember allowed_updates like Telegram does (an empty list restores the default)."""
        self._allowed = frozenset(allowed) if allowed else None

    def accepts(self, kind: str) -> bool:
        """Whether an update of this type would be queued under allowed_updates."""
        if self._allowed is None:
            return kind not in _NOT_BY_DEFAULT
        return kind in self._allowed

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update of one type; returns it, or None if allowed_updates filters it."""
        if not self.accepts(kind):
            return None
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._queue.append(update)
        self._arrived.set()
        self._arrived = asyncio.Event()
        return update

    def confirm(self, offset: int) -> None:
        """Drop updates below offset; a negative offset keeps only the last -offset."""
        queue = self._queue
        if offset < 0:
            while len(queue) > -offset:
                queue.popleft()
            return
        while queue and queue[0]["update_id"] < offset:
            queue.popleft()

    def peek(self, limit: int) -> list[dict[str, Any]]:
        """The oldest pending updates, counted as delivered the first time they go out."""
        batch = list(islice(self._queue, limit))
        if batch and batch[-1]["update_id"] > self._delivered_upto:
            first_new = max(self._delivered_upto + 1, batch[0]["update_id"])
            self.delivered += batch[-1]["update_id"] - first_new + 1
            self._delivered_upto = batch[-1]["update_id"]
        return batch

    def clear(self) -> None:
        """Drop everything pending (deleteWebhook drop_pending_updates)."""
        self._queue.clear()

    async def wait(self, seconds: float, poll: int | None = None) -> None:
        """Sleep until an update arrives, the queue closes, a newer poll comes, or `seconds`
        pass."""
        deadline = time.monotonic() + seconds
        self.waiting += 1
        self.parked.set()
        try:
            while not self._queue and not self.closed:
                if poll is not None and self.superseded(poll):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                try:  # not wait_for: on Python 3.11 it can swallow a cancellation
                    async with asyncio.timeout(remaining):
                        await self._arrived.wait()
                except TimeoutError:
                    return
        finally:
            self.waiting -= 1
            if not self.waiting:
                self.parked.clear()

    def close(self) -> None:
        """Wake every long poll so the server can stop promptly."""
        self.closed = True
        self._arrived.set()
