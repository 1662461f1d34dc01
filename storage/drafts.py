"""Conversations in progress, saved on every answer so that a restart loses nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from storage.clock import Clock
from storage.database import Database


@dataclass(slots=True)
class Draft:
    """Where one user is in one flow, and what they answered so far."""

    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


class DraftRepository:
    """Reads and writes the drafts table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, user_id: int, flow: str) -> Draft | None:
        """The user's draft in this flow, if any."""
        row = await self._db.fetchone(
            "SELECT step, data FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
        )
        if row is None:
            return None
        return Draft(user_id, flow, row["step"], json.loads(row["data"]))

    async def save(self, draft: Draft) -> None:
        """Write the draft (insert or replace); committed before the bot answers."""
        await self._db.execute(
            "INSERT INTO drafts (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id, flow) DO UPDATE SET step = excluded.step, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (
                draft.user_id,
                draft.flow,
                draft.step,
                json.dumps(draft.data, ensure_ascii=False),
                self._clock.now().isoformat(),
            ),
        )

    async def delete(self, user_id: int, flow: str) -> bool:
        """Forget the draft; True if there was one."""
        return (
            await self._db.execute(
                "DELETE FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
            )
            > 0
        )
