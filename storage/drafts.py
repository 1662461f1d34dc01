"""Conversations in progress (the drafts table), saved on every answer so a restart loses
nothing. One row per (person, flow); at most one of a person's rows is active, the others
are put aside; every row has an expiry: an expired row is never read, and the clock deletes
it (`sweep`). The
rules that use these rows (which flow gets a message, what is said) are in
handlers/conversation.py."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.clock import Clock
from storage.database import Database, Query

DEFAULT_TTL = timedelta(hours=24)


def stamp(moment: datetime) -> str:
    """A UTC time as stored in drafts (fixed width, so text order is time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(slots=True)
class Draft:
    """Where one user is in one flow, and what they answered so far."""

    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    active: bool = True  # False: put aside (another flow was started); /resume takes it back
    update_id: int | None = None  # the last update that moved it: a replay is recognised
    expires_at: str = ""  # see `stamp`


_COLUMNS = "user_id, flow, step, data, active, update_id, expires_at"


def _draft(row: Any) -> Draft:
    return Draft(
        row["user_id"],
        row["flow"],
        row["step"],
        json.loads(row["data"]),
        bool(row["active"]),
        row["update_id"],
        row["expires_at"],
    )


class DraftRepository:
    """Reads and writes the drafts table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def of_user_query(self, user_id: int) -> Query[list[Draft]]:
        """The person's live drafts, the active one first, then the most recently put aside.
        Expired drafts are never returned; the clock deletes them (`sweep`). Reading never
        writes: it runs for every update, replays included."""
        return Query(
            f"SELECT {_COLUMNS} FROM drafts WHERE user_id = ? AND expires_at > ? "
            "ORDER BY active DESC, updated_at DESC",
            (user_id, stamp(self._clock.now())),
            lambda rows: [_draft(row) for row in rows],
        )

    async def of_user(self, user_id: int) -> list[Draft]:
        """See `of_user_query`."""
        (drafts,) = await self._db.read_together(self.of_user_query(user_id))
        return drafts

    async def get(self, user_id: int, flow: str) -> Draft | None:
        """The user's live draft in this flow (active or put aside), if any."""
        return next((d for d in await self.of_user(user_id) if d.flow == flow), None)

    async def save(self, draft: Draft, ttl: timedelta = DEFAULT_TTL) -> list[str]:
        """Write the draft as the person's active one, expiring `ttl` from now; any other
        active draft of theirs is put aside in the same transaction. Committed before the
        bot answers. Returns the flows put aside."""
        now = self._clock.now()
        draft.active, draft.expires_at = True, stamp(now + ttl)
        row = (
            draft.user_id,
            draft.flow,
            draft.step,
            json.dumps(draft.data, ensure_ascii=False),
            draft.update_id,
            draft.expires_at,
            now.isoformat(),
        )

        def write(conn: sqlite3.Connection) -> list[str]:
            put_aside = conn.execute(
                "UPDATE drafts SET active = 0 WHERE user_id = ? AND active = 1 AND flow <> ? "
                "RETURNING flow, expires_at",
                (draft.user_id, draft.flow),
            ).fetchall()
            conn.execute(
                f"INSERT INTO drafts ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?) "
                "ON CONFLICT (user_id, flow) DO UPDATE SET step = excluded.step, "
                "data = excluded.data, active = 1, update_id = excluded.update_id, "
                "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                row,
            )
            # an expired one is deactivated too, but was not "put aside"
            return [flow for flow, expires_at in put_aside if expires_at > stamp(now)]

        return await self._db.write(write)

    async def delete(self, user_id: int, flow: str) -> bool:
        """Forget the draft; True if there was one."""
        return (
            await self._db.execute(
                "DELETE FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
            )
            > 0
        )

    async def sweep(self) -> int:
        """Delete every expired draft (the clock calls this); returns how many."""
        return await self._db.execute(
            "DELETE FROM drafts WHERE expires_at <= ?", (stamp(self._clock.now()),)
        )
