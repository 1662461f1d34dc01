"""Participants: who registered, how to reach them, and whether they still can be reached."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.clock import Clock
from storage.database import Database, Query


@dataclass(frozen=True, slots=True)
class Participant:
    """A registered person."""

    user_id: int
    chat_id: int
    locale: str
    consent_at: datetime
    full_name: str
    function_code: str
    function_other: str | None
    region_code: str
    unit: str
    phone: str | None
    reachable: bool
    registered_at: datetime
    updated_at: datetime
    username: str | None = None  # Telegram's, as last seen (without the @)
    first_name: str | None = None  # Telegram's, as last seen


@dataclass(frozen=True, slots=True)
class RegistrationFigures:
    """Counts an organizer sees."""

    registered: int
    unreachable: int
    by_region: dict[str, int]


def _participant(row: sqlite3.Row) -> Participant:
    return Participant(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        locale=row["locale"],
        consent_at=datetime.fromisoformat(row["consent_at"]),
        full_name=row["full_name"],
        function_code=row["function_code"],
        function_other=row["function_other"],
        region_code=row["region_code"],
        unit=row["unit"],
        phone=row["phone"],
        reachable=bool(row["reachable"]),
        registered_at=datetime.fromisoformat(row["registered_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        username=row["username"],
        first_name=row["first_name"],
    )


@dataclass(frozen=True, slots=True)
class ProfileFields:
    """What a participant answers during registration."""

    locale: str
    consent_at: datetime
    full_name: str
    function_code: str
    function_other: str | None
    region_code: str
    unit: str
    phone: str | None


class ParticipantRepository:
    """Reads and writes the participants table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    @staticmethod
    def get_query(user_id: int) -> Query[Participant | None]:
        """The participant with this Telegram id, if registered."""
        return Query(
            "SELECT * FROM participants WHERE user_id = ?",
            (user_id,),
            lambda rows: _participant(rows[0]) if rows else None,
        )

    async def get(self, user_id: int) -> Participant | None:
        """See `get_query`."""
        (participant,) = await self._db.read_together(self.get_query(user_id))
        return participant

    async def save_profile(self, user_id: int, chat_id: int, fields: ProfileFields) -> Participant:
        """Create the participant or update their profile; they are reachable again."""
        now = self._clock.now().isoformat()

        def save(conn: sqlite3.Connection) -> Participant:
            row = conn.execute(
                """
                INSERT INTO participants (user_id, chat_id, locale, consent_at, full_name,
                    function_code, function_other, region_code, unit, phone, reachable,
                    registered_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET
                    chat_id = excluded.chat_id, locale = excluded.locale,
                    full_name = excluded.full_name, function_code = excluded.function_code,
                    function_other = excluded.function_other,
                    region_code = excluded.region_code, unit = excluded.unit,
                    phone = excluded.phone, reachable = 1, updated_at = excluded.updated_at
                RETURNING *
                """,
                (
                    user_id,
                    chat_id,
                    fields.locale,
                    fields.consent_at.isoformat(),
                    fields.full_name,
                    fields.function_code,
                    fields.function_other,
                    fields.region_code,
                    fields.unit,
                    fields.phone,
                    now,
                    now,
                ),
            ).fetchone()
            return _participant(row)

        return await self._db.write(save)

    async def set_locale(self, user_id: int, locale: str) -> bool:
        """Change a participant's language; False if they are not registered."""
        changed = await self._db.execute(
            "UPDATE participants SET locale = ?, updated_at = ? WHERE user_id = ?",
            (locale, self._clock.now().isoformat(), user_id),
        )
        return changed > 0

    async def set_reachable(self, user_id: int, reachable: bool) -> bool:
        """Record that the bot can (or can no longer) message this person."""
        changed = await self._db.execute(
            "UPDATE participants SET reachable = ?, updated_at = ? "
            "WHERE user_id = ? AND reachable != ?",
            (int(reachable), self._clock.now().isoformat(), user_id, int(reachable)),
        )
        return changed > 0

    async def remember_telegram(
        self, user_id: int, first_name: str | None, username: str | None
    ) -> None:
        """Keep the Telegram first name and @username (to find a delegate by them)."""
        await self._db.execute(
            "UPDATE participants SET first_name = ?, username = ? WHERE user_id = ?",
            (first_name, username, user_id),
        )

    async def locale_of(self, user_id: int) -> str | None:
        """The language to write to this person in when they did not just write: a
        participant's, else the one an organizer last used with the bot; None if unknown."""
        row = await self._db.fetchone(
            "SELECT COALESCE((SELECT locale FROM participants WHERE user_id = ?), "
            "(SELECT locale FROM organizer_prefs WHERE user_id = ?)) AS locale",
            (user_id, user_id),
        )
        return row["locale"] if row is not None else None

    async def remember_username(self, user_id: int, username: str | None) -> None:
        """Keep the Telegram @username (to find owners named in imported tables)."""
        await self._db.execute(
            "UPDATE participants SET username = ? WHERE user_id = ?", (username, user_id)
        )

    async def find(self, query: str, limit: int = 10) -> list[Participant]:
        """By E.164 phone, @username, or part of the name (case-insensitive for Latin)."""
        query = query.strip()
        if query.startswith("+"):
            rows = await self._db.fetchall(
                "SELECT * FROM participants WHERE phone = ? LIMIT ?", (query, limit)
            )
        elif query.startswith("@"):
            rows = await self._db.fetchall(
                "SELECT * FROM participants WHERE username = ? COLLATE NOCASE LIMIT ?",
                (query[1:], limit),
            )
        else:
            pattern = "%" + query.replace("%", "").replace("_", "") + "%"
            rows = await self._db.fetchall(
                "SELECT * FROM participants WHERE full_name LIKE ? ORDER BY full_name LIMIT ?",
                (pattern, limit),
            )
        return [_participant(row) for row in rows]

    async def named(self) -> list[Participant]:
        """Every participant still known by name, by name (to search names in Python, where
        Arabic and Latin spellings can be compared)."""
        rows = await self._db.fetchall(
            "SELECT * FROM participants WHERE user_id > 0 ORDER BY full_name, user_id"
        )
        return [_participant(row) for row in rows]

    async def everyone(self) -> list[tuple[int, str]]:
        """(user id, locale) of every participant, in registration order."""
        rows = await self._db.fetchall(
            "SELECT user_id, locale FROM participants WHERE user_id > 0 "  # > 0: not erased
            "ORDER BY registered_at, user_id"
        )
        return [(row["user_id"], row["locale"]) for row in rows]

    async def figures(self) -> RegistrationFigures:
        """Registrations so far, in total and per region."""
        rows = await self._db.fetchall(
            "SELECT region_code, COUNT(*) AS n, SUM(1 - reachable) AS unreachable "
            "FROM participants GROUP BY region_code ORDER BY n DESC, region_code"
        )
        by_region = {row["region_code"]: int(row["n"]) for row in rows}
        return RegistrationFigures(
            registered=sum(by_region.values()),
            unreachable=sum(int(row["unreachable"] or 0) for row in rows),
            by_region=by_region,
        )
