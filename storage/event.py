"""The event's stored versions, workshop sign-ups (seats and waiting lists), check-ins, and
the clock's due rows (reminders, change notices)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from storage.clock import Clock
from storage.database import Database, Query, in_writer_thread

SeatState = Literal["confirmed", "waiting"]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One loaded version of the event file."""

    version: int
    definition_json: str


class EventStore:
    """Every version of the event definition; the newest is the event."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def latest(self) -> StoredEvent | None:
        """The event as last loaded."""
        row = await self._db.fetchone(
            "SELECT id, definition FROM event_versions ORDER BY id DESC LIMIT 1"
        )
        return StoredEvent(row["id"], row["definition"]) if row else None

    @staticmethod
    def latest_version_query() -> Query[int]:
        """The newest version number (0 if none): cheap, to know when to re-read."""
        return Query(
            "SELECT COALESCE(MAX(id), 0) AS v FROM event_versions",
            (),
            lambda rows: int(rows[0]["v"]) if rows else 0,
        )

    async def latest_version(self) -> int:
        """See `latest_version_query`."""
        (version,) = await self._db.read_together(self.latest_version_query())
        return version

    @asynccontextmanager
    async def loading(self) -> AsyncIterator[EventLoad]:
        """One transaction for everything loading a version does (see `EventLoad`)."""
        async with self._db.transaction() as conn:
            yield EventLoad(conn, self._clock)

    async def file_seen(self, path: str) -> FileSeen | None:
        """What was last decided about the event file at `path` (loaded or kept aside)."""
        row = await self._db.fetchone(
            "SELECT path, sha256, version, told_version FROM event_file_seen WHERE path = ?",
            (path,),
        )
        if row is None:
            return None
        return FileSeen(row["path"], row["sha256"], row["version"], row["told_version"])

    async def remember_file(
        self, path: str, sha256: str, version: int | None, told_version: int | None = None
    ) -> None:
        """Record the content of the event file last decided about."""
        at = self._clock.now().isoformat()
        await self._db.write(
            lambda conn: _remember_file(conn, at, path, sha256, version, told_version),
            "EventStore.remember_file",
        )

    async def loaded_through_bot(self, version: int) -> bool:
        """Whether a version was loaded by an organizer through the bot."""
        row = await self._db.fetchone(
            "SELECT loaded_by FROM event_versions WHERE id = ?", (version,)
        )
        return row is not None and row["loaded_by"] is not None


@dataclass(frozen=True, slots=True)
class FileSeen:
    """The event file's content (hash) when it was last loaded or deliberately kept aside."""

    path: str
    sha256: str
    version: int | None  # the version it became, None when it was kept aside
    told_version: int | None  # the version organizers were told was kept over the file


def _remember_file(
    conn: sqlite3.Connection,
    at: str,
    path: str,
    sha256: str,
    version: int | None,
    told_version: int | None,
) -> None:
    conn.execute(
        "INSERT INTO event_file_seen (path, sha256, version, told_version, seen_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, "
        "version = excluded.version, told_version = excluded.told_version, "
        "seen_at = excluded.seen_at",
        (path, sha256, version, told_version, at),
    )


# A due row as written: (key, kind, user_id, subject, due_at in UTC ISO, payload JSON).
PromptRow = tuple[str, str, int, str | None, str, str]


class EventLoad:
    """The reads and writes of loading an event version, inside one BEGIN IMMEDIATE
    transaction: the version, the seats it releases or gives, the notices and everyone's
    reminders commit together or not at all. Set-wise: a handful of statements whatever the
    number of participants."""

    def __init__(self, conn: Any, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def latest(self) -> StoredEvent | None:
        """The current version, read under the write lock (no other load can interleave)."""
        rows = await self._rows(
            "SELECT id, definition FROM event_versions ORDER BY id DESC LIMIT 1"
        )
        return StoredEvent(rows[0][0], rows[0][1]) if rows else None

    async def counts(self) -> dict[str, tuple[int, int]]:
        """workshop id -> (confirmed, waiting)."""
        rows = await self._rows(
            "SELECT workshop_id, SUM(state = 'confirmed'), SUM(state = 'waiting') "
            "FROM signups GROUP BY workshop_id"
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    async def members(self, workshop_ids: Iterable[str]) -> dict[str, list[int]]:
        """Everyone signed up (confirmed or waiting) to these workshops, in arrival order."""
        wanted = sorted(set(workshop_ids))
        found: dict[str, list[int]] = {w: [] for w in wanted}
        if wanted:
            marks = ",".join("?" * len(wanted))
            for workshop_id, user_id in await self._rows(
                f"SELECT workshop_id, user_id FROM signups WHERE workshop_id IN ({marks}) "
                "ORDER BY id",
                wanted,
            ):
                found[workshop_id].append(user_id)
        return found

    async def save(
        self, slug: str, definition_json: str, loaded_by: int | None, file: FileStamp | None
    ) -> int:
        """Store the new version (and, loaded from a file, that file's content hash)."""
        cur = await self._conn.execute(
            "INSERT INTO event_versions (slug, definition, loaded_at, loaded_by) "
            "VALUES (?, ?, ?, ?)",
            (slug, definition_json, self._clock.now().isoformat(), loaded_by),
        )
        version = int(cur.lastrowid or 0)
        if file is not None:
            at, path, sha256 = self._clock.now().isoformat(), file.path, file.sha256
            await in_writer_thread(
                self._conn, lambda raw: _remember_file(raw, at, path, sha256, version, None)
            )
        return version

    async def drop_workshop(self, workshop_id: str) -> None:
        """Release every seat of a workshop that no longer exists."""
        await self._conn.execute("DELETE FROM signups WHERE workshop_id = ?", (workshop_id,))

    async def promote(self, workshop_id: str, seating: Seating) -> list[Promotion]:
        """Fill free seats from the waiting list, in arrival order (see `_promote`), in this
        load's transaction (run in the writer's thread, like every other write of seats)."""
        return await in_writer_thread(self._conn, lambda raw: _promote(raw, workshop_id, seating))

    async def people(self) -> list[tuple[int, str]]:
        """(user id, locale) of every participant."""
        return [(r[0], r[1]) for r in await self._rows("SELECT user_id, locale FROM participants")]

    async def add_prompts(self, rows: list[PromptRow]) -> None:
        """Add notices; an existing key is left alone."""
        await self._conn.executemany(
            "INSERT OR IGNORE INTO prompts (key, kind, user_id, subject, due_at, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    async def replan_reminders(self, plan: ReminderPlan) -> None:
        """Make everyone's pending reminders match `plan`, in a few set-wise statements:
        rows no longer wanted are deleted, the others inserted or moved (only where their time
        differs). The keys are those `PromptRepository.plan` uses for one person."""
        kept = [s for _, kind, s, due in plan.common if kind == "session" and due is not None]
        kept += [w for w, (_, due) in plan.workshops.items() if due is not None]
        marks = ",".join("?" * len(kept)) or "''"
        await self._conn.execute(
            f"DELETE FROM prompts WHERE state = 'pending' AND kind = 'session' "
            f"AND (subject IS NULL OR subject NOT IN ({marks}))",
            kept,
        )
        for _, kind, _subject, due in plan.common:
            if due is None and kind != "session":
                await self._conn.execute(
                    "DELETE FROM prompts WHERE state = 'pending' AND kind = ?", (kind,)
                )
        workshops = list(plan.workshops)
        if workshops:
            await self._conn.execute(
                f"DELETE FROM prompts WHERE state = 'pending' AND kind = 'session' "
                f"AND subject IN ({','.join('?' * len(workshops))}) AND NOT EXISTS ("
                "SELECT 1 FROM signups s WHERE s.user_id = prompts.user_id "
                "AND s.workshop_id = prompts.subject AND s.state = 'confirmed')",
                workshops,
            )
        upsert = (
            " ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, payload = '{}' "
            "WHERE prompts.state = 'pending' AND prompts.due_at != excluded.due_at"
        )
        for prefix, kind, subject, due in plan.common:
            if due is not None:
                await self._conn.execute(
                    "INSERT INTO prompts (key, kind, user_id, subject, due_at, payload) "
                    "SELECT ? || user_id, ?, user_id, ?, ?, '{}' FROM participants WHERE true"
                    + upsert,
                    (prefix, kind, subject, due),
                )
        for workshop_id, (prefix, due) in plan.workshops.items():
            if due is not None:
                await self._conn.execute(
                    "INSERT INTO prompts (key, kind, user_id, subject, due_at, payload) "
                    "SELECT ? || user_id, 'session', user_id, ?, ?, '{}' FROM signups "
                    "WHERE workshop_id = ? AND state = 'confirmed'" + upsert,
                    (prefix, workshop_id, due, workshop_id),
                )


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """Everyone's reminders as a template: the same for every participant (`common`:
    key prefix, kind, subject, due in UTC ISO or None when already past), and per workshop
    for those holding a confirmed seat (`workshops`: id -> (key prefix, due or None))."""

    common: list[tuple[str, str, str | None, str | None]]
    workshops: dict[str, tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class FileStamp:
    """Where a loaded version came from on disk, and that file's content hash."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Seat:
    """Someone's place in a workshop: confirmed, or waiting at `position` (1 = next)."""

    workshop_id: str
    state: SeatState
    position: int


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """What asking for a seat did."""

    seat: Seat | None  # None: refused because of `conflict`
    already: bool = False
    conflict: Seat | None = None  # the person's place in another workshop of the same slot
    full: bool = False  # the workshop asked for had no free seat
    kept: str | None = None  # a seat kept in the same slot until this one is theirs


@dataclass(frozen=True, slots=True)
class Seating:
    """What the seat rules need of the event: each workshop's capacity and time slot."""

    capacity: Mapping[str, int]
    slot: Mapping[str, str]

    @classmethod
    def one(cls, workshop_id: str, capacity: int, same_slot: Iterable[str] = ()) -> Seating:
        """The seating of one workshop known by its capacity (and the ids of the others of
        its slot, whose capacities do not matter here): for tools and tests."""
        slot = {w: "slot" for w in (*same_slot, workshop_id)}
        return cls({workshop_id: capacity}, slot)

    def same_slot(self, workshop_id: str) -> list[str]:
        """The other workshops held at the same time as `workshop_id`."""
        slot = self.slot.get(workshop_id)
        return [w for w, s in self.slot.items() if s == slot and w != workshop_id]


@dataclass(frozen=True, slots=True)
class Promotion:
    """Someone waiting who got a freed seat; `released` is the seat they held in the same
    slot until then (a switch to a full workshop, completed), given to the next in line."""

    user_id: int
    workshop_id: str
    released: str | None = None


def _prompt_row(p: PlannedPrompt) -> tuple[str, str, int, str | None, str, str]:
    """A planned prompt as the values of its row (key, kind, user, subject, payload, due)."""
    return (
        p.key,
        p.kind,
        p.user_id,
        p.subject,
        json.dumps(p.payload or {}, ensure_ascii=False),
        p.due_at.astimezone(UTC).isoformat(),
    )


def _position(conn: sqlite3.Connection, user_id: int, workshop_id: str) -> Seat | None:
    row = conn.execute(
        "SELECT id, state FROM signups WHERE user_id = ? AND workshop_id = ?",
        (user_id, workshop_id),
    ).fetchone()
    if row is None:
        return None
    if row[1] == "confirmed":
        return Seat(workshop_id, "confirmed", 0)
    ahead = conn.execute(
        "SELECT COUNT(*) FROM signups WHERE workshop_id = ? AND state = 'waiting' AND id <= ?",
        (workshop_id, row[0]),
    ).fetchone()
    return Seat(workshop_id, "waiting", int(ahead[0]))


def _confirmed(conn: sqlite3.Connection, workshop_id: str) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM signups WHERE workshop_id = ? AND state = 'confirmed'",
        (workshop_id,),
    ).fetchone()
    return int(row[0])


def _held(
    conn: sqlite3.Connection, user_id: int, workshop_ids: Sequence[str]
) -> list[tuple[str, str]]:
    """(workshop, state) of this person's places among `workshop_ids`, a seat first."""
    if not workshop_ids:
        return []
    marks = ",".join("?" * len(workshop_ids))
    rows = conn.execute(
        f"SELECT workshop_id, state FROM signups WHERE user_id = ? AND workshop_id IN ({marks}) "
        "ORDER BY state = 'confirmed' DESC, id",
        (user_id, *workshop_ids),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def _promote(conn: sqlite3.Connection, workshop_id: str, seating: Seating) -> list[Promotion]:
    """Fill free seats from the waiting list, in arrival order. A promoted person gives up
    their other places of the same slot; a seat given up that way goes on to the first
    waiting there, and so on (each step frees a seat only by filling one, so it ends)."""
    promotions: list[Promotion] = []
    todo = [workshop_id]
    while todo:
        current = todo.pop(0)
        free = seating.capacity.get(current, 0) - _confirmed(conn, current)
        if free <= 0:
            continue
        waiting = conn.execute(
            "SELECT id, user_id FROM signups WHERE workshop_id = ? AND state = 'waiting' "
            "ORDER BY id LIMIT ?",
            (current, free),
        ).fetchall()
        for row_id, user_id in waiting:
            conn.execute("UPDATE signups SET state = 'confirmed' WHERE id = ?", (row_id,))
            released = None
            for other, state in _held(conn, user_id, seating.same_slot(current)):
                conn.execute(
                    "DELETE FROM signups WHERE user_id = ? AND workshop_id = ?", (user_id, other)
                )
                if state == "confirmed":
                    released = other
                    todo.append(other)
            promotions.append(Promotion(user_id, current, released))
    return promotions


def _give_up(
    conn: sqlite3.Connection, user_id: int, workshop_id: str, seating: Seating
) -> list[Promotion]:
    row = conn.execute(
        "DELETE FROM signups WHERE user_id = ? AND workshop_id = ? RETURNING state",
        (user_id, workshop_id),
    ).fetchone()
    if row is None or row[0] != "confirmed":
        return []
    return _promote(conn, workshop_id, seating)


class SignupRepository:
    """Seats in workshops. Every check-then-write runs inside one BEGIN IMMEDIATE
    transaction, so confirmed seats never exceed capacity whatever the concurrency.

    In one time slot a person holds one place; the one exception is a switch to a full
    workshop: the seat they have is kept while they wait for the other one, and given up
    (to the first waiting there) only when a seat in the other one is theirs."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def join(
        self, user_id: int, workshop_id: str, seating: Seating, switch: bool = False
    ) -> tuple[JoinOutcome, list[Promotion]]:
        """Take a seat (or a place on the waiting list). A place held in the same slot is a
        conflict, unless `switch`: then, with a free seat here, that place is given up in the
        same transaction (its seat to the first waiting there); with none, a seat held is
        kept until this workshop's seat is theirs (see `_promote`) and a waiting place is
        replaced. Returns the outcome and who was promoted in the workshops given up."""
        at = self._clock.now().isoformat()
        capacity = seating.capacity.get(workshop_id, 0)

        def take(conn: sqlite3.Connection) -> tuple[JoinOutcome, list[Promotion]]:
            existing = _position(conn, user_id, workshop_id)
            if existing is not None:
                return JoinOutcome(existing, already=True), []
            held = _held(conn, user_id, seating.same_slot(workshop_id))
            full = _confirmed(conn, workshop_id) >= capacity
            if held and not switch:  # refused before anything is given up
                other, state = held[0]
                conflict = Seat(other, "confirmed" if state == "confirmed" else "waiting", 0)
                return JoinOutcome(None, conflict=conflict, full=full), []
            kept = None
            promotions: list[Promotion] = []
            for other, state in held:
                if full and state == "confirmed":
                    kept = other
                    continue
                conn.execute(
                    "DELETE FROM signups WHERE user_id = ? AND workshop_id = ?", (user_id, other)
                )
                if state == "confirmed":
                    promotions += _promote(conn, other, seating)
            # Counted again: what was given up above may have moved someone in here.
            full = full or _confirmed(conn, workshop_id) >= capacity
            conn.execute(
                "INSERT INTO signups (workshop_id, user_id, state, created_at) VALUES (?, ?, ?, ?)",
                (workshop_id, user_id, "waiting" if full else "confirmed", at),
            )
            seat = _position(conn, user_id, workshop_id)
            return JoinOutcome(seat, full=full, kept=kept), promotions

        return await self._db.write(take)

    async def leave(
        self, user_id: int, workshop_id: str, seating: Seating
    ) -> tuple[bool, list[Promotion]]:
        """Give up a seat or a waiting place; the first waiting gets a freed seat."""

        def give_up(conn: sqlite3.Connection) -> tuple[bool, list[Promotion]]:
            held = conn.execute(
                "SELECT 1 FROM signups WHERE user_id = ? AND workshop_id = ?",
                (user_id, workshop_id),
            ).fetchone()
            if held is None:
                return False, []
            return True, _give_up(conn, user_id, workshop_id, seating)

        return await self._db.write(give_up)

    async def seats_of(self, user_id: int) -> list[Seat]:
        """Where this person is signed up."""
        rows = await self._db.fetchall(
            "SELECT s.workshop_id, s.state, (SELECT COUNT(*) FROM signups w WHERE "
            "w.workshop_id = s.workshop_id AND w.state = 'waiting' AND w.id <= s.id) AS ahead "
            "FROM signups s WHERE s.user_id = ? ORDER BY s.id",
            (user_id,),
        )
        return [
            Seat(r["workshop_id"], r["state"], 0 if r["state"] == "confirmed" else int(r["ahead"]))
            for r in rows
        ]

    async def counts(self) -> dict[str, tuple[int, int]]:
        """workshop id -> (confirmed, waiting)."""
        rows = await self._db.fetchall(
            "SELECT workshop_id, SUM(state = 'confirmed') AS c, SUM(state = 'waiting') AS w "
            "FROM signups GROUP BY workshop_id"
        )
        return {r["workshop_id"]: (int(r["c"]), int(r["w"])) for r in rows}

    async def members(self, workshop_id: str, state: SeatState | None = None) -> list[int]:
        """People in a workshop (confirmed, waiting, or both), in arrival order."""
        sql = "SELECT user_id FROM signups WHERE workshop_id = ?"
        params: list[object] = [workshop_id]
        if state is not None:
            sql += " AND state = ?"
            params.append(state)
        rows = await self._db.fetchall(sql + " ORDER BY id", params)
        return [r["user_id"] for r in rows]


class CheckinRepository:
    """Who is at the venue."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def check_in(self, user_id: int) -> bool:
        """Mark present; False if they already were (counted once)."""
        return (
            await self._db.execute(
                "INSERT OR IGNORE INTO checkins (user_id, at) VALUES (?, ?)",
                (user_id, self._clock.now().isoformat()),
            )
            > 0
        )

    async def is_present(self, user_id: int) -> bool:
        """Whether this person checked in."""
        return (
            await self._db.fetchone("SELECT 1 FROM checkins WHERE user_id = ?", (user_id,))
            is not None
        )

    async def count(self) -> int:
        """Check-ins so far."""
        row = await self._db.fetchone("SELECT COUNT(*) AS n FROM checkins")
        return int(row["n"]) if row else 0


@dataclass(frozen=True, slots=True)
class Prompt:
    """A due row: a reminder or a notice for one person."""

    id: int
    key: str
    kind: str
    user_id: int
    subject: str | None
    payload: dict[str, Any]
    due_at: datetime


@dataclass(frozen=True, slots=True)
class PlannedPrompt:
    """A prompt to have at a time (re-planning the same key moves it, never doubles it)."""

    key: str
    kind: str
    user_id: int
    subject: str | None
    due_at: datetime
    payload: dict[str, Any] | None = None

    @classmethod
    def notice(
        cls, key: str, user_id: int, text: str, at: datetime, subject: str | None = None
    ) -> PlannedPrompt:
        """A message to send as soon as the clock sees it (changes, promotions, reviews)."""
        return cls(key, "notice", user_id, subject, at, {"text": text})


def _prompt(row: sqlite3.Row) -> Prompt:
    return Prompt(
        row["id"],
        row["key"],
        row["kind"],
        row["user_id"],
        row["subject"],
        json.loads(row["payload"]),
        datetime.fromisoformat(row["due_at"]),
    )


class PromptRepository:
    """The clock's rows. A restart neither loses nor doubles them: they are claimed, sent,
    and settled in the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def plan(self, user_id: int, kinds: Iterable[str], wanted: list[PlannedPrompt]) -> None:
        """Make this person's pending prompts of these kinds exactly `wanted`."""
        kinds = tuple(kinds)
        keys = [p.key for p in wanted]
        marks = ",".join("?" * len(kinds))
        keep = ",".join("?" * len(keys)) or "''"
        rows = [_prompt_row(p) for p in wanted]

        def replan(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"DELETE FROM prompts WHERE user_id = ? AND state = 'pending' AND kind IN "
                f"({marks}) AND key NOT IN ({keep})",
                (user_id, *kinds, *keys),
            )
            conn.executemany(
                "INSERT INTO prompts (key, kind, user_id, subject, payload, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "due_at = excluded.due_at, payload = excluded.payload "
                "WHERE prompts.state = 'pending'",
                rows,
            )

        await self._db.write(replan)

    async def add(self, prompts: list[PlannedPrompt]) -> None:
        """Add prompts (notices); an existing key is left alone."""
        rows = [_prompt_row(p) for p in prompts]
        await self._db.write(
            lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO prompts (key, kind, user_id, subject, payload, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            ),
            "PromptRepository.add",
        )

    async def claim_due(self, limit: int = 200) -> list[Prompt]:
        """Due pending rows, marked sending (a crash may at most repeat these)."""
        now = self._clock.now().isoformat()

        def claim_due(conn: sqlite3.Connection) -> list[Prompt]:
            rows = conn.execute(
                "UPDATE prompts SET state = 'sending' WHERE id IN (SELECT id FROM prompts "
                "WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?) "
                "RETURNING *",
                (now, limit),
            ).fetchall()
            return [_prompt(row) for row in rows]

        return await self._db.write(claim_due)

    async def settle(self, prompt_id: int, state: str) -> None:
        """Record how a prompt ended: sent, dropped (too late), failed or unreachable."""
        await self._db.execute(
            "UPDATE prompts SET state = ?, done_at = ? WHERE id = ?",
            (state, self._clock.now().isoformat(), prompt_id),
        )

    async def release_in_flight(self) -> int:
        """At start: rows claimed by a process that died go back to pending."""
        return await self._db.execute(
            "UPDATE prompts SET state = 'pending' WHERE state = 'sending'"
        )

    async def of_user(self, user_id: int) -> list[tuple[str, str, datetime]]:
        """(key, state, due) of a person's prompts, for tests and support."""
        rows = await self._db.fetchall(
            "SELECT key, state, due_at FROM prompts WHERE user_id = ? ORDER BY due_at, id",
            (user_id,),
        )
        return [(r["key"], r["state"], datetime.fromisoformat(r["due_at"])) for r in rows]
