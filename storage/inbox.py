"""The durable inbox: every incoming update, as Telegram sent it, until it has been handled.

An update is committed here before Telegram is told it was received (the offset of the next
getUpdates, or a webhook's 200), and marked handled when its handler has finished. At start
the unhandled ones are handled again, oldest first. Handlers stay idempotent by update_id
through `storage.database.update_scope`: a replayed update whose writes had committed is
refused further writes (AlreadyApplied), so a press never takes two seats.

Telegram numbers updates per bot, so rows are keyed by (update_id, bot_id): a database reused
with another bot's token (a new bot for the next event) takes that bot's first updates as new,
and the updates the other bot left unhandled wait for it instead of being answered by the wrong
bot. The bot that starts is recorded (`claim`); a token renewed for the same bot keeps its id.
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
class BotChange:
    """Another bot used this database before the one starting now."""

    previous_bot_id: int
    left_unhandled: int  # updates the previous bot received and did not handle (kept for it)


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One stored update not yet handled."""

    update_id: int
    payload: dict[str, Any]
    applied: bool
    attempts: int


class InboxRepository:
    """Reads and writes the inbox rows of one bot (its Telegram id: the number before ':' in
    its token, or getMe's id)."""

    def __init__(self, db: Database, *, bot_id: int) -> None:
        self._db = db
        self.bot_id = bot_id

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
        bot_id = self.bot_id

        def store(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            seen = {
                row[0]
                for row in conn.execute(
                    f"SELECT update_id FROM inbox WHERE bot_id = ? AND update_id IN ({places})",
                    [bot_id, *ids],
                )
            }
            fresh = []
            for update_id, raw in zip(ids, updates, strict=True):
                if update_id not in seen:
                    seen.add(update_id)
                    fresh.append(raw)
            conn.executemany(
                "INSERT INTO inbox (update_id, bot_id, payload, received_at) VALUES (?, ?, ?, ?)",
                [
                    (int(r["update_id"]), bot_id, json.dumps(r, ensure_ascii=False), now)
                    for r in fresh
                ],
            )
            return fresh

        return await self._db.write(store)

    async def unhandled(self) -> list[InboxRow]:
        """Updates this bot received but did not handle (at start: to replay), oldest first."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload, applied, attempts FROM inbox "
            "WHERE state = 'new' AND bot_id = ? ORDER BY update_id",
            (self.bot_id,),
        )
        return [
            InboxRow(r["update_id"], json.loads(r["payload"]), bool(r["applied"]), r["attempts"])
            for r in rows
        ]

    async def count_attempt(self, update_ids: Iterable[int]) -> None:
        """One more try of these updates (counted before it starts, so a crash counts too)."""
        rows = [(i, self.bot_id) for i in update_ids]
        if rows:
            await self._db.write(
                lambda conn: conn.executemany(
                    "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ? AND bot_id = ?",
                    rows,
                )
            )

    async def mark(self, update_ids: Iterable[int], state: str = "handled") -> None:
        """Handled (or skipped): never replayed."""
        now = int(time.time())
        rows = [(state, now, i, self.bot_id) for i in update_ids]
        if rows:
            await self._db.write(
                lambda conn: conn.executemany(
                    "UPDATE inbox SET state = ?, handled_at = ? WHERE update_id = ? AND bot_id = ?",
                    rows,
                )
            )

    async def prune(self, keep_seconds: int = KEEP_HANDLED_SECONDS) -> int:
        """Forget handled rows older than `keep_seconds`, every bot's (the table stays
        bounded)."""
        return await self._db.execute(
            "DELETE FROM inbox WHERE state != 'new' AND handled_at < ?",
            (int(time.time()) - keep_seconds,),
        )

    async def counts(self) -> dict[str, int]:
        """Rows per state, every bot's (tests, diagnostics)."""
        rows = await self._db.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    async def claim(self) -> BotChange | None:
        """Record this bot as the one using the database (at start, before any update is
        handled). Returns what changed if another bot used it before.

        On a change, the update ids that other bot left in drafts and status updates (kept
        there to recognise a replayed update) are forgotten: this bot numbers its updates on
        its own, and its first ones would otherwise look like replays of the other's. Rows
        stored before the inbox recorded bots (bot_id 0) are taken as this bot's."""
        bot_id, now = self.bot_id, int(time.time())

        def record(conn: sqlite3.Connection) -> BotChange | None:
            row = conn.execute("SELECT bot_id FROM bot_identity WHERE id = 1").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO bot_identity (id, bot_id, since) VALUES (1, ?, ?)", (bot_id, now)
                )
                conn.execute("UPDATE inbox SET bot_id = ? WHERE bot_id = 0", (bot_id,))
                return None
            if row[0] == bot_id:
                return None
            conn.execute(
                "UPDATE bot_identity SET bot_id = ?, since = ? WHERE id = 1", (bot_id, now)
            )
            conn.execute("UPDATE drafts SET update_id = NULL WHERE update_id IS NOT NULL")
            conn.execute("UPDATE status_updates SET update_id = NULL WHERE update_id IS NOT NULL")
            (left,) = conn.execute(
                "SELECT COUNT(*) FROM inbox WHERE bot_id = ? AND state = 'new'", (row[0],)
            ).fetchone()
            return BotChange(int(row[0]), int(left))

        return await self._db.write(record)


async def highest_update_id(db: Database) -> int:
    """The highest update id this database remembers, whichever bot's (inbox rows, drafts,
    status updates), 0 if none: an emulator reusing the database numbers after it."""
    row = await db.fetchone(
        "SELECT MAX(COALESCE((SELECT MAX(update_id) FROM inbox), 0), "
        "COALESCE((SELECT MAX(update_id) FROM drafts), 0), "
        "COALESCE((SELECT MAX(update_id) FROM status_updates), 0)) AS highest"
    )
    return int(row["highest"]) if row is not None else 0
