"""Migration 0013 (role sources) on a database holding the rows the old code wrote: each role
gets the source it truly came from, and what revoked organizers left behind goes."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database, bundled_migrations

STAMP = "2019-02-01T10:00:00+00:00"


async def test_role_sources_are_inferred_and_revoked_organizers_leftovers_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    shipped = bundled_migrations()
    before = [m for m in shipped if m.version < 13]
    db = await Database(path, before).open()
    try:
        rows = [
            (1, "organizer", None, "2019-01-01T00:00:00+00:00"),  # from ORGANIZER_IDS
            (2, "organizer", 1, STAMP),  # opened an organizer invite
            (3, "delegate", 1, STAMP),  # opened a delegate invite
            (4, "delegate", 1, "2019-01-05T00:00:00+00:00"),  # was assigned a recommendation
        ]
        for row in rows:
            await db.execute(
                "INSERT INTO roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)",
                row,
            )
        for n, (user_id, role) in enumerate([(2, "organizer"), (3, "delegate")]):
            await db.execute(
                "INSERT INTO invites (token_hash, role, created_by, created_at, expires_at, "
                "used_at, used_by) VALUES (?, ?, 1, ?, ?, ?, ?)",
                (f"h{n}", role, STAMP, STAMP, STAMP, user_id),
            )
        for user_id in (1, 5):  # 5 was an organizer once: revoked before this version
            await db.execute(
                "INSERT INTO web_sessions (token_hash, user_id, locale, created_at, expires_at) "
                "VALUES (?, ?, 'en', ?, ?)",
                (f"s{user_id}", user_id, STAMP, "2099-01-01T00:00:00+00:00"),
            )
            await db.execute(
                "INSERT INTO organizer_notices (key, user_id, text, due_at) VALUES (?, ?, '', ?)",
                (f"summary:{user_id}", user_id, STAMP),
            )
            await db.execute(
                "INSERT INTO prompts (key, kind, user_id, subject, due_at) "
                "VALUES (?, 'escalation', ?, '1', ?)",
                (f"overdue:{user_id}", user_id, STAMP),
            )
    finally:
        await db.close()

    db = await Database(path, shipped).open()
    try:
        sources = await db.fetchall("SELECT user_id, role, source FROM roles ORDER BY user_id")
        assert [tuple(r) for r in sources] == [
            (1, "organizer", "settings"),
            (2, "organizer", "invite"),
            (3, "delegate", "invite"),
            (4, "delegate", "assignment"),
        ]
        for table in ("web_sessions", "organizer_notices", "prompts"):
            left = await db.fetchall(f"SELECT user_id FROM {table}")
            assert [r["user_id"] for r in left] == [1], table
    finally:
        await db.close()
