"""Which databases `multaqa sandbox --db` may use: its own, or one with nobody and nothing in
it. A copy of a real database holds organizers and an event; the sandbox would revoke the real
organizers (its personas' ORGANIZER_IDS), load its example event and plan reminders in it, so
it is refused before anything is written, not even a migration."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from storage.clock import Clock
from storage.database import Database

MARK = "sandbox.db"  # the audit entry a database made by the sandbox carries


def made_elsewhere(path: Path) -> bool:
    """Whether an existing file holds organizers or an event and no sandbox mark. Read only;
    a file SQLite cannot read is left to the usual start-up checks (False)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if (
            "audit_log" in tables
            and conn.execute("SELECT 1 FROM audit_log WHERE action = ? LIMIT 1", (MARK,)).fetchone()
        ):
            return False
        organizers = (
            "roles" in tables
            and conn.execute("SELECT 1 FROM roles WHERE role = 'organizer' LIMIT 1").fetchone()
        )
        event = (
            "event_versions" in tables
            and conn.execute("SELECT 1 FROM event_versions LIMIT 1").fetchone()
        )
        return bool(organizers or event)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


async def mark_as_sandbox(db: Database, clock: Clock) -> None:
    """Mark a database as the sandbox's own (once), so a later `--db` of it is accepted."""
    at = clock.now().isoformat()

    def mark(conn: sqlite3.Connection) -> None:
        if (
            conn.execute("SELECT 1 FROM audit_log WHERE action = ? LIMIT 1", (MARK,)).fetchone()
            is None
        ):
            conn.execute(
                "INSERT INTO audit_log (at, actor_id, action, subject, details) "
                "VALUES (?, NULL, ?, '', '{}')",
                (at, MARK),
            )

    await db.write(mark)


async def clock_reached(db: Database) -> datetime | None:
    """How far the sandbox's clock had been moved when it last ran on this database (None:
    never moved), so a kept `--db` resumes there instead of going back in time."""
    row = await db.fetchone(
        "SELECT json_extract(details, '$.clock') AS at FROM audit_log WHERE action = ? "
        "ORDER BY id LIMIT 1",
        (MARK,),
    )
    return datetime.fromisoformat(row["at"]) if row and row["at"] else None


async def note_clock(db: Database, now: datetime) -> None:
    """Remember how far the sandbox's clock has been moved (with the sandbox's mark)."""
    await db.execute(
        "UPDATE audit_log SET details = json_set(details, '$.clock', ?) WHERE action = ?",
        (now.isoformat(), MARK),
    )
