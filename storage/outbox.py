"""The reply outbox: what a handler decided to say, committed before it is sent.

An update whose handler saved something (its effects) has its replies written here in one
transaction with the inbox's handled mark and the end of its journal (storage.journal), then
sent (bot.replies) and marked sent. So a crash after the effects can at most repeat a reply
that was being sent, never leave the person without one: at start the pending rows are sent
first, and an update that died before its replies were committed is replayed from its journal
and decides the same replies again. An update with no effects needs no row: replayed, it
simply answers again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import THIS_BOT, Database

# Sent rows are kept as long as the inbox keeps handled updates (diagnostics), then pruned.
KEEP_SENT_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Reply:
    """One committed reply: the Bot API call to make."""

    id: int
    update_id: int
    chat_id: int | None
    op: dict[str, Any]


def _reply(row: sqlite3.Row | tuple[Any, ...]) -> Reply:
    return Reply(int(row[0]), int(row[1]), row[2], json.loads(row[3]))


class OutboxRepository:
    """Reads and writes the outbox table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def commit(
        self, update_id: int, first: int, ops: Sequence[dict[str, Any]], *, last: bool
    ) -> list[Reply]:
        """Keep `ops` (positions `first`…) as the replies of `update_id`; when `last`, the
        update is handled (its inbox row is marked so, its journal deleted) in the same
        transaction. Returns this update's replies from `first` on that are still to send, in
        order: those before `first` went with an earlier flush of this run (a replay starts
        again from 0, so a dead run's unsent ones come back). A replay that decides replies
        already kept does not keep them twice."""
        now = int(time.time())

        def keep(conn: sqlite3.Connection) -> list[Reply]:
            conn.executemany(
                "INSERT OR IGNORE INTO outbox (update_id, seq, chat_id, op, created_at, bot_id) "
                f"VALUES (?, ?, ?, ?, ?, {THIS_BOT})",
                [
                    (
                        update_id,
                        first + i,
                        op.get("chat_id"),
                        json.dumps(op, ensure_ascii=False),
                        now,
                    )
                    for i, op in enumerate(ops)
                ],
            )
            if last:  # handled: its journal (what it read: names...) is no longer needed
                conn.execute(
                    f"DELETE FROM update_journal WHERE update_id = ? AND bot_id = {THIS_BOT}",
                    (update_id,),
                )
                conn.execute(
                    "UPDATE inbox SET state = 'handled', handled_at = ? "
                    f"WHERE update_id = ? AND bot_id = {THIS_BOT}",
                    (now, update_id),
                )
            rows = conn.execute(
                "SELECT id, update_id, chat_id, op FROM outbox "
                f"WHERE update_id = ? AND bot_id = {THIS_BOT} AND seq >= ? AND state = 'pending' "
                "ORDER BY seq",
                (update_id, first),
            ).fetchall()
            return [_reply(row) for row in rows]

        return await self._db.write_unnoted(keep)

    async def pending(self) -> list[Reply]:
        """Every reply committed and not yet sent (at start: to send first), oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, update_id, chat_id, op FROM outbox WHERE state = 'pending' ORDER BY id"
        )
        return [_reply(row) for row in rows]

    def settled(self, reply_id: int, state: str = "sent") -> None:
        """A reply was sent (or given up on): written with the next commit, whoever makes it."""
        self._db.mark_reply(reply_id, state)

    async def journal_of(self, update_id: int) -> list[tuple[str, str, bytes]]:
        """The notes kept for an update (storage.journal), in order."""
        rows = await self._db.fetchall(
            "SELECT kind, what, payload FROM update_journal "
            f"WHERE update_id = ? AND bot_id = {THIS_BOT} ORDER BY seq",
            (update_id,),
        )
        return [(row["kind"], row["what"], bytes(row["payload"])) for row in rows]

    async def replied_so_far(self, update_id: int) -> int:
        """How many replies of this update are kept (the position of its next one)."""
        row = await self._db.fetchone(
            "SELECT COALESCE(MAX(seq) + 1, 0) AS n FROM outbox "
            f"WHERE update_id = ? AND bot_id = {THIS_BOT}",
            (update_id,),
        )
        return int(row["n"]) if row else 0

    async def prune(self, keep_seconds: int = KEEP_SENT_SECONDS) -> int:
        """Forget replies sent long ago, and the journal of updates no longer pending."""
        cutoff = int(time.time()) - keep_seconds

        def forget(conn: sqlite3.Connection) -> int:
            gone = conn.execute(
                "DELETE FROM outbox WHERE state != 'pending' AND created_at < ?", (cutoff,)
            ).rowcount
            conn.execute(
                "DELETE FROM update_journal WHERE (update_id, bot_id) NOT IN "
                "(SELECT update_id, bot_id FROM inbox WHERE state = 'new')"
            )
            return int(gone)

        return await self._db.write_unnoted(forget)

    async def counts(self) -> dict[str, int]:
        """Rows per state (tests, diagnostics)."""
        rows = await self._db.fetchall("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}
