"""Roles (organizer, delegate) and the audit log of what organizers do."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from storage.clock import Clock
from storage.database import Database, Query

Role = Literal["organizer", "delegate"]
# Where a grant came from (0007_role_source, 0013_role_sources): ORGANIZER_IDS, the terminal,
# an invite link, or (delegates) owning a recommendation.
Source = Literal["settings", "terminal", "invite", "assignment"]

# Rows of the clock addressed to someone because they are an organizer.
ORGANIZER_PROMPT_KINDS = ("escalation", "weekly_summary")


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """One role held by one person, and where it came from."""

    user_id: int
    role: str
    source: str
    granted_by: int | None
    granted_at: str


class RoleRepository:
    """Who holds which role; every grant is audited."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    @staticmethod
    def roles_of_query(user_id: int) -> Query[frozenset[str]]:
        """The roles this user holds now."""
        return Query(
            "SELECT role FROM roles WHERE user_id = ?",
            (user_id,),
            lambda rows: frozenset(row["role"] for row in rows),
        )

    async def roles_of(self, user_id: int) -> frozenset[str]:
        """See `roles_of_query`."""
        (roles,) = await self._db.read_together(self.roles_of_query(user_id))
        return roles

    async def holds(self, user_id: int, role: Role) -> bool:
        """Whether this user holds `role` now."""
        return role in await self.roles_of(user_id)

    async def holders(self, role: Role) -> list[int]:
        """Everyone holding a role."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM roles WHERE role = ? ORDER BY user_id", (role,)
        )
        return [row["user_id"] for row in rows]

    async def grants(self, role: Role | None = None) -> list[RoleGrant]:
        """Every role held, with where it came from (for `multaqa roles list`)."""
        rows = await self._db.fetchall(
            "SELECT user_id, role, source, granted_by, granted_at FROM roles "
            + ("WHERE role = ? " if role else "")
            + "ORDER BY role, user_id",
            (role,) if role else (),
        )
        return [RoleGrant(**dict(row)) for row in rows]

    async def sync_organizers(self, user_ids: Iterable[int]) -> tuple[list[int], list[int]]:
        """ORGANIZER_IDS is the truth at every start: the ids in it hold the organizer role,
        and those granted it from settings before but no longer in it lose it. A role granted
        on the terminal is left alone. Both are audited. Returns (granted, revoked)."""
        wanted = set(user_ids)
        now = self._clock.now().isoformat()

        def sync(conn: sqlite3.Connection) -> tuple[list[int], list[int]]:
            granted: list[int] = []
            revoked: list[int] = []
            for user_id in sorted(wanted):
                cur = conn.execute(
                    "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at, source) "
                    "VALUES (?, 'organizer', NULL, ?, 'settings')",
                    (user_id, now),
                )
                if cur.rowcount:
                    granted.append(user_id)
                    _audit(conn, now, None, "role.grant", f"user:{user_id}", _from("settings"))
            cur = conn.execute(
                "SELECT user_id FROM roles WHERE role = 'organizer' AND source = 'settings'"
            )
            for (user_id,) in cur.fetchall():
                if user_id in wanted:
                    continue
                conn.execute(
                    "DELETE FROM roles WHERE user_id = ? AND role = 'organizer'", (user_id,)
                )
                forget_organizer(conn, user_id)
                revoked.append(user_id)
                _audit(
                    conn,
                    now,
                    None,
                    "role.revoke",
                    f"user:{user_id}",
                    {**_from("settings"), "reason": "not in ORGANIZER_IDS"},
                )
            return granted, revoked

        return await self._db.write(sync)

    async def grant(self, user_id: int, role: Role, actor_id: int | None, source: Source) -> bool:
        """Grant a role (audited). An existing grant takes the new source: a role granted on
        the terminal to someone also in ORGANIZER_IDS stays when they leave ORGANIZER_IDS.
        False when it was already held from that source."""
        now = self._clock.now().isoformat()

        def grant(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT source FROM roles WHERE user_id = ? AND role = ?", (user_id, role)
            ).fetchone()
            if row is not None and row[0] == source:
                return False
            conn.execute(
                "INSERT INTO roles (user_id, role, granted_by, granted_at, source) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, role) DO UPDATE SET "
                "source = excluded.source, granted_by = excluded.granted_by, "
                "granted_at = excluded.granted_at",
                (user_id, role, actor_id, now, source),
            )
            details = {"role": role, "source": source}
            if row is not None:
                details["was"] = row[0]
            _audit(conn, now, actor_id, "role.grant", f"user:{user_id}", details)
            return True

        return await self._db.write(grant)

    async def revoke(self, user_id: int, role: Role, actor_id: int | None, source: Source) -> bool:
        """Take a role away (audited); False when it was not held."""
        now = self._clock.now().isoformat()

        def revoke(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM roles WHERE user_id = ? AND role = ?", (user_id, role))
            if not cur.rowcount:
                return False
            if role == "organizer":
                forget_organizer(conn, user_id)
            _audit(
                conn, now, actor_id, "role.revoke", f"user:{user_id}", {"role": role, "by": source}
            )
            return True

        return await self._db.write(revoke)


def forget_organizer(conn: sqlite3.Connection, user_id: int) -> None:
    """What someone had only as an organizer goes with the role: the messages planned for
    them (escalations, summaries, notices: recommendation texts, delegates' names) and their
    dashboard sessions and sign-in links. Granted again later, they start afresh."""
    kinds = ",".join("?" * len(ORGANIZER_PROMPT_KINDS))
    conn.execute(
        f"DELETE FROM prompts WHERE user_id = ? AND state = 'pending' AND kind IN ({kinds})",
        (user_id, *ORGANIZER_PROMPT_KINDS),
    )
    conn.execute(
        "DELETE FROM organizer_notices WHERE user_id = ? AND state = 'pending'", (user_id,)
    )
    conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM web_links WHERE user_id = ?", (user_id,))


def _from(source: str) -> dict[str, Any]:
    return {"role": "organizer", "source": source}


def _audit(
    conn: sqlite3.Connection,
    at: str,
    actor_id: int | None,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> None:
    conn.execute(
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
        at = self._clock.now().isoformat()

        def record(conn: sqlite3.Connection) -> None:
            _audit(conn, at, actor_id, action, subject, details or {})

        await self._db.write(record)

    async def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest entries first."""
        rows = await self._db.fetchall(
            "SELECT at, actor_id, action, subject, details FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [{**dict(row), "details": json.loads(row["details"])} for row in rows]
