"""Organizers' side tables: dashboard sign-in links and sessions, daily jobs claimed once per
day, preferences, and messages to organizers that the clock delivers."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.clock import Clock
from storage.database import Database

LINK_TTL = timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in organizer in the browser."""

    user_id: int
    locale: str
    expires_at: datetime


class WebAccess:
    """Sign-in links (single use, 15 minutes) and sessions; only token hashes are stored.
    A session is valid only while its owner still holds the organizer role."""

    def __init__(self, db: Database, clock: Clock, session_ttl: timedelta) -> None:
        self._db = db
        self._clock = clock
        self.session_ttl = session_ttl

    async def new_link(self, user_id: int, locale: str) -> str:
        """A fresh sign-in token for this organizer (the dashboard opens in `locale`)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        await self._db.execute(
            "INSERT INTO web_links (token_hash, user_id, locale, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (_hash(token), user_id, locale, now.isoformat(), (now + LINK_TTL).isoformat()),
        )
        return token

    async def link_valid(self, token: str) -> bool:
        """Whether a sign-in link can still be used (read only: looking does not use it)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM web_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (_hash(token), self._clock.now().isoformat()),
        )
        return row is not None

    async def redeem(self, token: str) -> str | None:
        """Use a link once: a new session token, or None (unknown, used, expired, no role)."""
        now = self._clock.now()
        stamp = now.isoformat()
        expires = (now + self.session_ttl).isoformat()
        session = secrets.token_urlsafe(32)  # drawn outside the write: a replay returns it

        def redeem(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
                "AND expires_at > ? RETURNING user_id, locale",
                (stamp, _hash(token), stamp),
            ).fetchone()
            if row is None:
                return None
            user_id, locale = int(row[0]), str(row[1])
            if (
                conn.execute(
                    "SELECT 1 FROM roles WHERE user_id = ? AND role = 'organizer'", (user_id,)
                ).fetchone()
                is None
            ):
                return None
            conn.execute(
                "INSERT INTO web_sessions (token_hash, user_id, locale, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (_hash(session), user_id, locale, stamp, expires),
            )
            # Old links and sessions are of no use to anyone: keep the tables small.
            conn.execute("DELETE FROM web_links WHERE expires_at <= ?", (stamp,))
            conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (stamp,))
            return session

        return await self._db.write(redeem)

    async def session(self, token: str | None) -> WebSession | None:
        """The live session behind a cookie, if its owner is still an organizer."""
        if not token:
            return None
        row = await self._db.fetchone(
            "SELECT s.user_id, s.locale, s.expires_at FROM web_sessions s JOIN roles r "
            "ON r.user_id = s.user_id AND r.role = 'organizer' "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (_hash(token), self._clock.now().isoformat()),
        )
        if row is None:
            return None
        return WebSession(row["user_id"], row["locale"], datetime.fromisoformat(row["expires_at"]))

    async def set_locale(self, token: str, locale: str) -> None:
        """The dashboard's language for this session."""
        await self._db.execute(
            "UPDATE web_sessions SET locale = ? WHERE token_hash = ?", (locale, _hash(token))
        )

    async def end(self, token: str) -> None:
        """Sign out."""
        await self._db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_hash(token),))


@dataclass(frozen=True, slots=True)
class OrganizerNotice:
    """A message to one organizer, due now or later."""

    id: int
    user_id: int
    text: str
    buttons: list[list[tuple[str, str]]]


class OrganizerDesk:
    """Daily runs (once per job and day), preferences, and the organizers' notice rows."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def claim_day(self, job: str, day: str) -> bool:
        """True for the first caller of this job on this day (a restart does not repeat it).
        Read first: the clock asks every few seconds, and a write each time would be waste."""
        done = await self._db.fetchone(
            "SELECT 1 FROM daily_runs WHERE job = ? AND day = ?", (job, day)
        )
        if done is not None:
            return False
        return (
            await self._db.execute(
                "INSERT OR IGNORE INTO daily_runs (job, day, started_at) VALUES (?, ?, ?)",
                (job, day, self._clock.now().isoformat()),
            )
            > 0
        )

    async def record_day(self, job: str, day: str, details: dict[str, Any]) -> None:
        """Counts of what a daily run did."""
        await self._db.execute(
            "UPDATE daily_runs SET details = ? WHERE job = ? AND day = ?",
            (json.dumps(details), job, day),
        )

    async def wants_summary(self, user_id: int) -> bool:
        """Whether this organizer receives the daily summary (on unless switched off)."""
        row = await self._db.fetchone(
            "SELECT daily_summary FROM organizer_prefs WHERE user_id = ?", (user_id,)
        )
        return row is None or bool(row["daily_summary"])

    async def language(self, user_id: int) -> tuple[str | None, bool]:
        """(the language this organizer last used, whether they picked it with /language)."""
        row = await self._db.fetchone(
            "SELECT locale, locale_chosen FROM organizer_prefs WHERE user_id = ?", (user_id,)
        )
        return (row["locale"], bool(row["locale_chosen"])) if row is not None else (None, False)

    async def remember_language(self, user_id: int, locale: str, chosen: bool) -> None:
        """The language an organizer uses with the bot (see `language`)."""
        await self._db.execute(
            "INSERT INTO organizer_prefs (user_id, locale, locale_chosen) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale, "
            "locale_chosen = excluded.locale_chosen",
            (user_id, locale, int(chosen)),
        )

    async def set_summary(self, user_id: int, on: bool) -> None:
        """Switch the daily summary on or off for this organizer."""
        await self._db.execute(
            "INSERT INTO organizer_prefs (user_id, daily_summary) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET daily_summary = excluded.daily_summary",
            (user_id, int(on)),
        )

    async def add_notices(
        self, notices: list[tuple[str, int, str, list[list[tuple[str, str]]]]]
    ) -> None:
        """(key, user id, HTML text, buttons) rows due now; an existing key is left alone."""
        now = self._clock.now().isoformat()
        rows = [(k, u, text, json.dumps(b), now) for k, u, text, b in notices]

        def add_notices(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR IGNORE INTO organizer_notices (key, user_id, text, buttons, due_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

        await self._db.write(add_notices)

    async def notice_exists(self, key: str) -> bool:
        """Whether a notice with this key was ever queued (sent or not)."""
        row = await self._db.fetchone("SELECT 1 FROM organizer_notices WHERE key = ?", (key,))
        return row is not None

    async def claim_due(self, limit: int = 50) -> list[OrganizerNotice]:
        """Due notices, marked sending (a crash may at most repeat these). A notice for
        someone who no longer holds the organizer role is deleted instead: it was planned
        for an organizer (figures, a purge report), not for them."""
        now = self._clock.now().isoformat()

        def claim_due(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            conn.execute(
                "DELETE FROM organizer_notices WHERE state = 'pending' AND due_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.user_id = "
                "organizer_notices.user_id AND r.role = 'organizer')",
                (now,),
            )
            return conn.execute(
                "UPDATE organizer_notices SET state = 'sending' WHERE id IN (SELECT id FROM "
                "organizer_notices WHERE state = 'pending' AND due_at <= ? ORDER BY id LIMIT ?) "
                "RETURNING id, user_id, text, buttons",
                (now, limit),
            ).fetchall()

        rows = await self._db.write(claim_due)
        return [
            OrganizerNotice(
                r[0], r[1], r[2], [[(a, b) for a, b in row] for row in json.loads(r[3])]
            )
            for r in rows
        ]

    async def settle(self, notice_id: int, state: str) -> None:
        """How a notice ended."""
        await self._db.execute(
            "UPDATE organizer_notices SET state = ?, done_at = ? WHERE id = ?",
            (state, self._clock.now().isoformat(), notice_id),
        )

    async def release_in_flight(self) -> int:
        """At start: notices claimed by a process that died go back to pending."""
        return await self._db.execute(
            "UPDATE organizer_notices SET state = 'pending' WHERE state = 'sending'"
        )
