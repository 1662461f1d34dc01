"""Concurrent across people, ordered per person: a PTB update processor.

PTB runs each update in its own task. Tasks start in arrival order; each first takes its
chat's lock (asyncio locks are FIFO), and only then a slot of the concurrency budget, so a
chat's updates run one after the other while different chats run side by side, and a chat
waiting for its own previous update never holds a slot someone else could use.

With the durable inbox (bot/intake.py) as `tracker`, each handler runs inside its update's
scope (storage.database.update_scope: its journal, its replies) and the update is settled
once its handler returned (PTB has already run the error handler if it raised): its replies
are committed with its effects and sent (bot.replies), still within the chat's turn, so a
person's answers keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from storage.database import UpdateScope, update_scope

# PTB's own semaphore is set this high so it never makes a task wait before it has queued
# on its chat's lock: waiting there first could let a later update of a chat overtake.
_UNBOUNDED = 1_000_000


def ordering_key(update: object) -> int | None:
    """The chat (else user) whose updates must stay in order; None: no ordering needed."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class Tracker(Protocol):
    """Who wants to know when an update starts and finishes (the inbox)."""

    def begin(self, update: object) -> UpdateScope | None:
        """The scope to run the update's handler in."""

    async def finish(self, scope: UpdateScope) -> None:
        """The handler of this update has finished: commit and send its replies."""

    async def settle_applied(self, update: object, scope: UpdateScope) -> None:
        """A replayed update whose effects were saved: answer it without handling it again."""


async def _run(tracker: Tracker | None, update: object, coroutine: Awaitable[Any]) -> None:
    scope = tracker.begin(update) if tracker is not None else None
    if scope is None:
        await coroutine
        return
    assert tracker is not None
    token = update_scope.set(scope)
    try:
        if scope.applied_before and not scope.journal.replaying:
            # Replayed after a crash, its writes committed, and nothing noted to replay them
            # with (an older release, or a write that could not be noted): its handler must
            # not run again (two seats, a part appended twice). The error handler answers.
            coroutine.close()  # type: ignore[attr-defined]
            await tracker.settle_applied(update, scope)
        else:
            # Replayed with its journal, the handler takes the same path as the run that
            # died and decides the same replies (storage.journal).
            await coroutine
    finally:
        update_scope.reset(token)
    await tracker.finish(scope)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `max_concurrent` updates at once; one at a time per chat, in arrival order."""

    def __init__(self, max_concurrent: int) -> None:
        super().__init__(_UNBOUNDED)
        self._budget = asyncio.BoundedSemaphore(max_concurrent)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.limit = max_concurrent
        self.tracker: Tracker | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update after the previous one of its chat, within the budget."""
        key = ordering_key(update)
        if key is None:
            async with self._budget:
                await _run(self.tracker, update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._budget:
                await _run(self.tracker, update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued on this chat: forget its lock
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
