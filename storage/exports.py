"""The organizers' export read: every table of the event, row by row, from one read snapshot.

Synchronous on purpose: the export runs in a worker thread (bot.documents.export) on its own
read-only connection, so that tens of thousands of rows stream into the file without passing
through the event loop or the bot's reader connection. The rows are `sqlite3.Row` (read by
column name), not models: the export writes each table as it is, one cell per column, and
a model per table would only repeat the schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

Rows = Iterator[sqlite3.Row]

# The follow-up timeline (storage.followup): status changes and progress reports, oldest first.
_HISTORY = (
    "SELECT u.*, p.full_name FROM status_updates u LEFT JOIN participants p "
    "ON p.user_id = u.by_user WHERE u.kind IN ('status', 'comment') {where} "
    "ORDER BY u.recommendation_id, u.at, u.id"
)


class ExportRepository:
    """Reads for the export, all within the snapshot `open` began."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    @contextmanager
    def open(cls, db_path: Path) -> Iterator[ExportRepository]:
        """A read-only connection holding one read snapshot for every table: the export is
        consistent even while the bot writes. Closed on leaving."""
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("BEGIN")
            yield cls(conn)
        finally:
            conn.close()

    def participants(self) -> Rows:
        """Registered people (anonymised ones left out) with their check-in and their seats
        as `workshop:state|…`, in the order they registered."""
        return self._conn.execute(
            "SELECT p.*, c.at AS checkin_at, (SELECT GROUP_CONCAT(s.workshop_id || ':' || "
            "s.state, '|') FROM signups s WHERE s.user_id = p.user_id) AS seats FROM "
            "participants p LEFT JOIN checkins c ON c.user_id = p.user_id WHERE p.user_id > 0 "
            "ORDER BY p.registered_at, p.user_id"
        )

    def signups(self) -> Rows:
        """Seats with the person's name, per workshop and state, in the order taken."""
        return self._conn.execute(
            "SELECT s.*, p.full_name FROM signups s LEFT JOIN participants p USING (user_id) "
            "ORDER BY s.workshop_id, s.state, s.id"
        )

    def checkins(self) -> Rows:
        """Check-ins with the person's name, in time order."""
        return self._conn.execute(
            "SELECT c.user_id, c.at, p.full_name FROM checkins c LEFT JOIN participants p "
            "USING (user_id) ORDER BY c.at"
        )

    def proposals(self) -> Rows:
        """Proposals with the author's name and their files (`kind: name` per line)."""
        return self._conn.execute(
            "SELECT pr.*, p.full_name, (SELECT GROUP_CONCAT(a.kind || ': ' || "
            "COALESCE(a.file_name, a.file_id), char(10)) FROM proposal_attachments a "
            "WHERE a.proposal_id = pr.id ORDER BY a.position) AS files FROM proposals pr "
            "LEFT JOIN participants p ON p.user_id = pr.author_id ORDER BY pr.id"
        )

    def recommendations(self) -> Rows:
        """Recommendations with the owner's name, oldest first."""
        return self._conn.execute(
            "SELECT r.*, p.full_name FROM recommendations r LEFT JOIN participants p "
            "ON p.user_id = r.owner_id ORDER BY r.id"
        )

    def history(self, recommendation_id: int | None = None) -> Rows:
        """Status changes and comments with the author's name, oldest first: of one
        recommendation (its own cursor: readable while `recommendations()` streams), or of
        all."""
        if recommendation_id is None:
            return self._conn.execute(_HISTORY.format(where=""))
        return self._conn.execute(
            _HISTORY.format(where="AND u.recommendation_id = ?"), (recommendation_id,)
        )

    def broadcasts(self) -> Rows:
        """Campaigns with their deliveries counted by outcome."""
        return self._conn.execute(
            "SELECT c.*, SUM(d.state = 'sent') AS sent, SUM(d.state = 'failed') AS failed, "
            "SUM(d.state = 'unreachable') AS unreachable, SUM(d.state IN ('pending', "
            "'sending')) AS pending FROM campaigns c LEFT JOIN deliveries d "
            "ON d.campaign_id = c.id GROUP BY c.id ORDER BY c.id"
        )

    def deliveries(self) -> Rows:
        """Each campaign's deliveries with the recipient's name."""
        return self._conn.execute(
            "SELECT d.*, p.full_name FROM deliveries d LEFT JOIN participants p "
            "ON p.user_id = d.user_id ORDER BY d.campaign_id, d.user_id"
        )

    def audit(self) -> Rows:
        """The audit log with the actor's name, oldest first."""
        return self._conn.execute(
            "SELECT a.*, p.full_name FROM audit_log a LEFT JOIN participants p "
            "ON p.user_id = a.actor_id ORDER BY a.id"
        )
