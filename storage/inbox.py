"""The durable inbox: every incoming update, as Telegram sent it, until it has been handled.

An update is committed here before Telegram is told it was received (the offset of the next
getUpdates, or a webhook's 200), and marked handled when its handler has finished. At start
the unhandled ones are handled again, oldest first. Handlers stay idempotent by update_id
through `storage.database.update_scope`: a replayed update whose writes had committed is
refused further writes (AlreadyApplied), so a press never takes two seats.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import Database

# Handled rows are kept this long (Telegram itself keeps an unconfirmed update 24 h, so a row
# younger than that may still come back from getUpdates after a crash and must be recognised).
KEEP_HANDLED_SECONDS = 2 * 24 * 3600
# A parse or a handling that died this many times is skipped (logged once), never retried
# forever: one poisonous update must not stop the bot at every start.
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One stored update not yet handled."""

    update_id: int
    payload: dict[str, Any]
    applied: bool
    attempts: int


class InboxRepository:
    """Reads and writes the inbox table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        """The database (handled marks ride on its commits: `Database.mark_handled`)."""
        return self._db

    async def accept(self, updates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Commit a batch of raw updates in one transaction; returns those not seen before
        (a crash before the offset was confirmed makes Telegram send some again)."""
        if not updates:
            return []
        now = int(time.time())
        ids = [int(raw["update_id"]) for raw in updates]
        places = ",".join("?" * len(ids))

        def store(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            seen = {
                row[0]
                for row in conn.execute(
                    f"SELECT update_id FROM inbox WHERE update_id IN ({places})", ids
                )
            }
            fresh = []
            for update_id, raw in zip(ids, updates, strict=True):
                if update_id not in seen:
                    seen.add(update_id)
                    fresh.append(raw)
            conn.executemany(
                "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                [(int(r["update_id"]), json.dumps(r, ensure_ascii=False), now) for r in fresh],
            )
            return fresh

        return await self._db.write(store)

    async def unhandled(self) -> list[InboxRow]:
        """Updates received but not handled (at start: to replay), oldest first."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload, applied, attempts FROM inbox WHERE state = 'new' "
            "ORDER BY update_id"
        )
        return [
            InboxRow(r["update_id"], json.loads(r["payload"]), bool(r["applied"]), r["attempts"])
            for r in rows
        ]

    async def count_attempt(self, update_ids: Iterable[int]) -> None:
        """One more try of these updates (counted before it starts, so a crash counts too)."""
        ids = list(update_ids)
        if not ids:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
                [(i,) for i in ids],
            )

    async def mark(self, update_ids: Iterable[int], state: str = "handled") -> None:
        """Handled (or skipped): never replayed."""
        ids = list(update_ids)
        if not ids:
            return
        now = int(time.time())
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE inbox SET state = ?, handled_at = ? WHERE update_id = ?",
                [(state, now, i) for i in ids],
            )

    async def prune(self, keep_seconds: int = KEEP_HANDLED_SECONDS) -> int:
        """Forget handled rows older than `keep_seconds` (the table stays bounded)."""
        return await self._db.execute(
            "DELETE FROM inbox WHERE state != 'new' AND handled_at < ?",
            (int(time.time()) - keep_seconds,),
        )

    async def counts(self) -> dict[str, int]:
        """Rows per state (tests, diagnostics)."""
        rows = await self._db.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}
