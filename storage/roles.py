"""Roles (organizer, delegate) and the audit log of what organizers do."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from storage.clock import Clock
from storage.database import Database

Role = Literal["organizer", "delegate"]


class RoleRepository:
    """Who holds which role; every grant is audited."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def roles_of(self, user_id: int) -> frozenset[str]:
        """The roles this user holds now."""
        rows = await self._db.fetchall("SELECT role FROM roles WHERE user_id = ?", (user_id,))
        return frozenset(row["role"] for row in rows)

    async def holders(self, role: Role) -> list[int]:
        """Everyone holding a role."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM roles WHERE role = ? ORDER BY user_id", (role,)
        )
        return [row["user_id"] for row in rows]

    async def bootstrap_organizers(self, user_ids: Iterable[int]) -> list[int]:
        """Make sure the organizers named in settings hold the role; returns the new ones."""
        now = self._clock.now().isoformat()
        added = []
        async with self._db.transaction() as conn:
            for user_id in user_ids:
                cur = await conn.execute(
                    "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at) "
                    "VALUES (?, 'organizer', NULL, ?)",
                    (user_id, now),
                )
                if cur.rowcount:
                    added.append(user_id)
                    await _audit(
                        conn,
                        now,
                        None,
                        "role.grant",
                        f"user:{user_id}",
                        {"role": "organizer", "source": "settings"},
                    )
        return added


async def _audit(
    conn: Any, at: str, actor_id: int | None, action: str, subject: str, details: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (at, actor_id, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        (at, actor_id, action, subject, json.dumps(details, ensure_ascii=False)),
    )


class AuditLog:
    """Append-only record of organizer actions."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self,
        actor_id: int | None,
        action: str,
        subject: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Write one entry."""
        async with self._db.transaction() as conn:
            await _audit(
                conn, self._clock.now().isoformat(), actor_id, action, subject, details or {}
            )

    async def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest entries first."""
        rows = await self._db.fetchall(
            "SELECT at, actor_id, action, subject, details FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [{**dict(row), "details": json.loads(row["details"])} for row in rows]
