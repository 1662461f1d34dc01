"""Follow-up of recommendations: their timeline (status updates, never overwritten), their
place in the follow-up cadence, delegates, invites, and opt-outs.

Each change that has several parts — the timeline row, the recommendation's current status,
its follow-up state, the delegate role, the audit entry — is one transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from storage.clock import Clock
from storage.database import Database
from storage.roles import _audit


@dataclass(frozen=True, slots=True)
class FollowState:
    """Where one recommendation stands in its follow-up cadence."""

    assigned_at: datetime | None = None
    last_prompt_at: datetime | None = None
    last_answer_at: datetime | None = None
    silent_prompts: int = 0
    pre_due_sent: bool = False
    due_day_sent: bool = False
    escalated_silent: int = 0
    escalated_overdue: date | None = None


Status = Literal["not_started", "in_progress", "done", "blocked", "dropped"]
OPEN_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "blocked")
STATUSES: tuple[str, ...] = ("not_started", "in_progress", "done", "blocked", "dropped")


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file sent as evidence (Telegram's file id)."""

    kind: str
    file_id: str
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One entry of a recommendation's timeline."""

    id: int
    recommendation_id: int
    at: datetime
    by_user: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    progress: int | None
    comment: str | None
    evidence: list[Evidence]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tracked:
    """A recommendation as follow-up sees it."""

    id: int
    workshop_id: str | None
    text: str
    language: str
    owner_id: int | None
    due_date: date | None
    status: str
    progress: int
    updated_at: datetime
    state: FollowState

    @property
    def reference(self) -> str:
        """How people cite it: R-7."""
        return f"R-{self.id}"

    @property
    def is_open(self) -> bool:
        """Still to be followed up (not done, not dropped)."""
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """A recommendation as the progress board shows it: times and dates as stored."""

    id: int
    workshop_id: str | None
    text: str
    status: str
    progress: int
    owner_name: str | None  # None: no owner, or an owner who is not a participant
    due_date: str | None
    updated_at: str


InviteOutcome = Literal["ok", "expired", "used", "unknown"]


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What opening an invite did."""

    outcome: InviteOutcome
    role: str | None = None
    recommendations: tuple[int, ...] = ()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _state(row: Any) -> FollowState:
    return FollowState(
        assigned_at=_dt(row["assigned_at"]),
        last_prompt_at=_dt(row["last_prompt_at"]),
        last_answer_at=_dt(row["last_answer_at"]),
        silent_prompts=row["silent_prompts"] or 0,
        pre_due_sent=bool(row["pre_due_sent"]),
        due_day_sent=bool(row["due_day_sent"]),
        escalated_silent=row["escalated_silent"] or 0,
        escalated_overdue=date.fromisoformat(row["escalated_overdue"])
        if row["escalated_overdue"]
        else None,
    )


def _tracked(row: Any) -> Tracked:
    return Tracked(
        id=row["id"],
        workshop_id=row["workshop_id"],
        text=row["text"],
        language=row["language"],
        owner_id=row["owner_id"],
        due_date=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        status=row["status"],
        progress=row["progress"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
        state=_state(row),
    )


def _update(row: Any) -> StatusUpdate:
    return StatusUpdate(
        id=row["id"],
        recommendation_id=row["recommendation_id"],
        at=datetime.fromisoformat(row["at"]),
        by_user=row["by_user"],
        kind=row["kind"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        progress=row["progress"],
        comment=row["comment"],
        evidence=[Evidence(**e) for e in json.loads(row["evidence"])],
        details=json.loads(row["details"]),
    )


_SELECT = (
    "SELECT r.id, r.workshop_id, r.text, r.language, r.owner_id, r.due_date, r.status, "
    "r.progress, r.updated_at, f.assigned_at, f.last_prompt_at, f.last_answer_at, "
    "f.silent_prompts, f.pre_due_sent, f.due_day_sent, f.escalated_silent, f.escalated_overdue "
    "FROM recommendations r LEFT JOIN follow_state f ON f.recommendation_id = r.id"
)


def token_hash(token: str) -> str:
    """What is stored of an invite token."""
    return hashlib.sha256(token.encode()).hexdigest()


class FollowUpRepository:
    """Reads and writes the follow-up of recommendations."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # --- reading -------------------------------------------------------------------------

    async def get(self, rec_id: int) -> Tracked | None:
        """One recommendation with its follow-up state."""
        row = await self._db.fetchone(f"{_SELECT} WHERE r.id = ?", (rec_id,))
        return _tracked(row) if row else None

    async def of_owner(self, owner_id: int, open_only: bool = False) -> list[Tracked]:
        """A delegate's recommendations, soonest due first."""
        where = "WHERE r.owner_id = ?"
        if open_only:
            where += f" AND r.status IN ({','.join('?' * len(OPEN_STATUSES))})"
        rows = await self._db.fetchall(
            f"{_SELECT} {where} ORDER BY r.due_date IS NULL, r.due_date, r.id",
            (owner_id, *(OPEN_STATUSES if open_only else ())),
        )
        return [_tracked(row) for row in rows]

    async def delegates(self) -> list[int]:
        """Everyone owning an open recommendation."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT owner_id FROM recommendations WHERE owner_id IS NOT NULL "
            f"AND status IN ({','.join('?' * len(OPEN_STATUSES))}) ORDER BY owner_id",
            OPEN_STATUSES,
        )
        return [row["owner_id"] for row in rows]

    async def all(self, workshop_id: str | None = None) -> list[Tracked]:
        """Every recommendation (of one workshop), oldest first."""
        if workshop_id is None:
            rows = await self._db.fetchall(f"{_SELECT} ORDER BY r.id")
        else:
            rows = await self._db.fetchall(
                f"{_SELECT} WHERE r.workshop_id = ? ORDER BY r.id", (workshop_id,)
            )
        return [_tracked(row) for row in rows]

    async def board(self) -> list[BoardEntry]:
        """Every recommendation with its owner's name, oldest first (the dashboard's board)."""
        rows = await self._db.fetchall(
            "SELECT r.id, r.workshop_id, r.text, r.status, r.progress, r.due_date, r.updated_at, "
            "p.full_name FROM recommendations r LEFT JOIN participants p "
            "ON p.user_id = r.owner_id ORDER BY r.id"
        )
        return [
            BoardEntry(
                row["id"],
                row["workshop_id"],
                row["text"],
                row["status"],
                row["progress"],
                row["full_name"],
                row["due_date"],
                row["updated_at"],
            )
            for row in rows
        ]

    async def open_overdue(self, today: date) -> list[Tracked]:
        """Open recommendations whose due date has passed, most late first."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.due_date < ? AND r.status IN "
            f"({','.join('?' * len(OPEN_STATUSES))}) ORDER BY r.due_date, r.id",
            (today.isoformat(), *OPEN_STATUSES),
        )
        return [_tracked(row) for row in rows]

    async def counts(self) -> dict[tuple[str | None, str], int]:
        """(workshop id, status) → number of recommendations."""
        rows = await self._db.fetchall(
            "SELECT workshop_id, status, COUNT(*) AS n FROM recommendations "
            "GROUP BY workshop_id, status"
        )
        return {(row["workshop_id"], row["status"]): row["n"] for row in rows}

    async def timeline(self, rec_id: int) -> list[StatusUpdate]:
        """Every recorded change of a recommendation, oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM status_updates WHERE recommendation_id = ? ORDER BY at, id", (rec_id,)
        )
        return [_update(row) for row in rows]

    async def timelines(self) -> dict[int, list[StatusUpdate]]:
        """Every recommendation's timeline (those that have one), each oldest first: one query
        for all of them, grouped here."""
        rows = await self._db.fetchall(
            "SELECT * FROM status_updates ORDER BY recommendation_id, at, id"
        )
        found: dict[int, list[StatusUpdate]] = {}
        for row in rows:
            found.setdefault(row["recommendation_id"], []).append(_update(row))
        return found

    async def last_updates(self, limit: int = 10) -> list[StatusUpdate]:
        """The newest status updates of all recommendations."""
        rows = await self._db.fetchall(
            "SELECT * FROM status_updates WHERE kind = 'status' ORDER BY at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_update(row) for row in rows]

    async def last_status_update(self, rec_id: int) -> StatusUpdate | None:
        """The newest status update of one recommendation."""
        row = await self._db.fetchone(
            "SELECT * FROM status_updates WHERE recommendation_id = ? AND kind = 'status' "
            "ORDER BY at DESC, id DESC LIMIT 1",
            (rec_id,),
        )
        return _update(row) if row else None

    async def moved_since(self, since: datetime | None) -> list[Tracked]:
        """Recommendations with a status update after `since` (all with one if None)."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.id IN (SELECT recommendation_id FROM status_updates "
            "WHERE kind = 'status' AND at > ?) ORDER BY r.workshop_id, r.id",
            ((since.isoformat() if since else ""),),
        )
        return [_tracked(row) for row in rows]

    async def fates_of_author(self, author_id: int) -> list[tuple[int, str, int | None]]:
        """(proposal id, proposal status, recommendation id) of an author's proposals."""
        rows = await self._db.fetchall(
            "SELECT id, status, recommendation_id FROM proposals WHERE author_id = ? "
            "AND status != 'withdrawn' ORDER BY id",
            (author_id,),
        )
        return [(row["id"], row["status"], row["recommendation_id"]) for row in rows]

    # --- changing --------------------------------------------------------------------------

    async def record(
        self,
        rec_id: int,
        by_user: int | None,
        to_status: str,
        progress: int | None = None,
        comment: str | None = None,
        evidence: list[Evidence] | None = None,
        update_id: int | None = None,
    ) -> StatusUpdate | None:
        """A delegate's answer: the timeline gains a row, the recommendation takes the new
        status; None if there is no such recommendation. A replayed update (same update_id)
        records nothing twice and returns the first record."""
        if to_status not in STATUSES:
            raise ValueError(f"unknown status {to_status!r}")
        now = self._clock.now().isoformat()
        files = (
            json.dumps([asdict(e) for e in evidence or []], ensure_ascii=False)
            if evidence
            else "[]"
        )

        def record(conn: sqlite3.Connection) -> StatusUpdate | None:
            if update_id is not None:
                row = conn.execute(
                    "SELECT * FROM status_updates WHERE update_id = ?", (update_id,)
                ).fetchone()
                if row is not None:
                    return _update(row)
            current = conn.execute(
                "SELECT status, progress FROM recommendations WHERE id = ?", (rec_id,)
            ).fetchone()
            if current is None:
                return None
            level = progress
            if level is None:
                level = 100 if to_status == "done" else current["progress"]
            row = conn.execute(
                "INSERT INTO status_updates (recommendation_id, at, by_user, kind, from_status, "
                "to_status, progress, comment, evidence, update_id) "
                "VALUES (?, ?, ?, 'status', ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    rec_id,
                    now,
                    by_user,
                    current["status"],
                    to_status,
                    level,
                    comment,
                    files,
                    update_id,
                ),
            ).fetchone()
            conn.execute(
                "UPDATE recommendations SET status = ?, progress = ?, updated_at = ? WHERE id = ?",
                (to_status, level, now, rec_id),
            )
            conn.execute(
                "INSERT INTO follow_state (recommendation_id, last_answer_at) VALUES (?, ?) "
                "ON CONFLICT (recommendation_id) DO UPDATE SET last_answer_at = excluded."
                "last_answer_at, silent_prompts = 0, escalated_silent = 0",
                (rec_id, now),
            )
            return _update(row)

        return await self._db.write(record)

    async def assign(
        self, rec_id: int, owner_id: int | None, by_user: int | None
    ) -> tuple[int | None, int | None] | None:
        """Give the recommendation an owner (None: nobody); the owner becomes a delegate and
        starts a fresh cadence; a former owner left with nothing open loses the role.
        Returns (old owner, new owner), or None if there is no such recommendation."""
        now = self._clock.now().isoformat()

        def assign(conn: sqlite3.Connection) -> tuple[int | None, int | None] | None:
            row = conn.execute(
                "SELECT owner_id FROM recommendations WHERE id = ?", (rec_id,)
            ).fetchone()
            if row is None:
                return None
            old = row["owner_id"]
            if old == owner_id:
                return old, owner_id
            conn.execute(
                "UPDATE recommendations SET owner_id = ?, pending_invite_id = NULL, "
                "updated_at = ? WHERE id = ?",
                (owner_id, now, rec_id),
            )
            conn.execute(
                "INSERT INTO status_updates (recommendation_id, at, by_user, kind, details) "
                "VALUES (?, ?, ?, 'owner', ?)",
                (rec_id, now, by_user, json.dumps({"from": old, "to": owner_id})),
            )
            conn.execute(
                "INSERT INTO follow_state (recommendation_id, assigned_at) VALUES (?, ?) "
                "ON CONFLICT (recommendation_id) DO UPDATE SET assigned_at = excluded."
                "assigned_at, last_prompt_at = NULL, last_answer_at = NULL, silent_prompts = 0, "
                "escalated_silent = 0",
                (rec_id, now),
            )
            _sync_delegate(conn, owner_id, now, by_user)
            _sync_delegate(conn, old, now, by_user)
            _audit(
                conn,
                now,
                by_user,
                "recommendation.owner",
                f"rec:{rec_id}",
                {"from": old, "to": owner_id},
            )
            return old, owner_id

        return await self._db.write(assign)

    async def adopt(self, rec_id: int, by_user: int | None) -> int | None:
        """A recommendation created with an owner: start its cadence, record the owner in the
        timeline, make the owner a delegate. Returns the owner (None: no owner)."""
        now = self._clock.now().isoformat()

        def adopt(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(
                "SELECT owner_id FROM recommendations WHERE id = ?", (rec_id,)
            ).fetchone()
            if row is None or row["owner_id"] is None:
                return None
            owner = int(row["owner_id"])
            conn.execute(
                "INSERT INTO status_updates (recommendation_id, at, by_user, kind, details) "
                "VALUES (?, ?, ?, 'owner', ?)",
                (rec_id, now, by_user, json.dumps({"from": None, "to": owner})),
            )
            conn.execute(
                "INSERT INTO follow_state (recommendation_id, assigned_at) VALUES (?, ?) "
                "ON CONFLICT (recommendation_id) DO UPDATE SET assigned_at = excluded.assigned_at",
                (rec_id, now),
            )
            _sync_delegate(conn, owner, now, by_user)
            return owner

        return await self._db.write(adopt)

    async def extend(self, rec_id: int, due: date, by_user: int | None) -> date | bool | None:
        """A new due date; returns the old one, or False if there is no such recommendation.
        The pre-due and due-day prompts and the overdue escalation start again."""
        now = self._clock.now().isoformat()

        def extend(conn: sqlite3.Connection) -> date | bool | None:
            row = conn.execute(
                "SELECT due_date FROM recommendations WHERE id = ?", (rec_id,)
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE recommendations SET due_date = ?, updated_at = ? WHERE id = ?",
                (due.isoformat(), now, rec_id),
            )
            conn.execute(
                "INSERT INTO status_updates (recommendation_id, at, by_user, kind, details) "
                "VALUES (?, ?, ?, 'due', ?)",
                (
                    rec_id,
                    now,
                    by_user,
                    json.dumps({"from": row["due_date"], "to": due.isoformat()}),
                ),
            )
            conn.execute(
                "INSERT INTO follow_state (recommendation_id) VALUES (?) ON CONFLICT "
                "(recommendation_id) DO UPDATE SET pre_due_sent = 0, due_day_sent = 0, "
                "escalated_overdue = NULL",
                (rec_id,),
            )
            _audit(
                conn,
                now,
                by_user,
                "recommendation.extend",
                f"rec:{rec_id}",
                {"from": row["due_date"], "to": due.isoformat()},
            )
            return date.fromisoformat(row["due_date"]) if row["due_date"] else None

        return await self._db.write(extend)

    async def mark_prompted(self, states: dict[int, FollowState]) -> None:
        """Save the follow-up state of recommendations a prompt just covered."""
        rows = [
            (
                rec_id,
                s.last_prompt_at.isoformat() if s.last_prompt_at else None,
                s.last_answer_at.isoformat() if s.last_answer_at else None,
                s.silent_prompts,
                int(s.pre_due_sent),
                int(s.due_day_sent),
                s.escalated_silent,
                s.escalated_overdue.isoformat() if s.escalated_overdue else None,
            )
            for rec_id, s in states.items()
        ]

        def mark_prompted(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO follow_state (recommendation_id, last_prompt_at, last_answer_at, "
                "silent_prompts, pre_due_sent, due_day_sent, escalated_silent, "
                "escalated_overdue) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                "(recommendation_id) DO UPDATE SET last_prompt_at = excluded.last_prompt_at, "
                "silent_prompts = excluded.silent_prompts, pre_due_sent = excluded.pre_due_sent,"
                " due_day_sent = excluded.due_day_sent",
                rows,
            )

        await self._db.write(mark_prompted)

    async def mark_escalated(
        self, rec_id: int, silent: int | None = None, overdue: date | None = None
    ) -> bool:
        """Record an escalation; False if it was already recorded (another process did it)."""
        if silent is not None:
            sql = (
                "UPDATE follow_state SET escalated_silent = ? WHERE recommendation_id = ? "
                "AND escalated_silent = 0"
            )
            params: tuple[Any, ...] = (silent, rec_id)
        else:
            assert overdue is not None
            sql = (
                "UPDATE follow_state SET escalated_overdue = ? WHERE recommendation_id = ? "
                "AND (escalated_overdue IS NULL OR escalated_overdue != ?)"
            )
            params = (overdue.isoformat(), rec_id, overdue.isoformat())
            await self._db.execute(
                "INSERT OR IGNORE INTO follow_state (recommendation_id) VALUES (?)", (rec_id,)
            )
        return await self._db.execute(sql, params) > 0

    # --- invites -----------------------------------------------------------------------------

    async def create_invite(
        self,
        role: str,
        label: str,
        created_by: int | None,
        ttl: timedelta,
        recommendations: list[int] | None = None,
    ) -> str:
        """A one-time invite; returns the token (only its hash is kept)."""
        token = secrets.token_urlsafe(18)
        now = self._clock.now()

        def create_invite(conn: sqlite3.Connection) -> str:
            cur = conn.execute(
                "INSERT INTO invites (token_hash, role, label, created_by, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    token_hash(token),
                    role,
                    label,
                    created_by,
                    now.isoformat(),
                    (now + ttl).isoformat(),
                ),
            )
            invite_id = cur.lastrowid
            for rec_id in recommendations or []:
                conn.execute(
                    "UPDATE recommendations SET pending_invite_id = ? WHERE id = ?",
                    (invite_id, rec_id),
                )
            _audit(
                conn,
                now.isoformat(),
                created_by,
                "invite.create",
                f"invite:{invite_id}",
                {"role": role, "recommendations": recommendations or []},
            )
            return token  # a replayed write gives the token its first run handed out

        return await self._db.write(create_invite)

    async def redeem(self, token: str, user_id: int) -> Redeemed:
        """Open an invite once: its role is granted and its recommendations attached."""
        now = self._clock.now()
        stamp = now.isoformat()

        def redeem(conn: sqlite3.Connection) -> Redeemed:
            invite = conn.execute(
                "SELECT * FROM invites WHERE token_hash = ?", (token_hash(token),)
            ).fetchone()
            if invite is None or invite["revoked_at"]:
                return Redeemed("unknown")
            if invite["used_at"]:
                if invite["used_by"] == user_id:  # the same person pressing the link again
                    return Redeemed("used", invite["role"])
                return Redeemed("used")
            if datetime.fromisoformat(invite["expires_at"]) <= now:
                return Redeemed("expired")
            conn.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?",
                (stamp, user_id, invite["id"]),
            )
            conn.execute(
                "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at, source) "
                "VALUES (?, ?, ?, ?, 'invite')",
                (user_id, invite["role"], invite["created_by"], stamp),
            )
            recs = tuple(
                row["id"]
                for row in conn.execute(
                    "SELECT id FROM recommendations WHERE pending_invite_id = ?", (invite["id"],)
                ).fetchall()
            )
            _audit(
                conn,
                stamp,
                user_id,
                "invite.redeem",
                f"invite:{invite['id']}",
                {"role": invite["role"], "recommendations": list(recs)},
            )
            return Redeemed("ok", invite["role"], recs)

        return await self._db.write(redeem)

    async def invite_state(self, token: str) -> InviteOutcome:
        """Whether an invite could be opened now, without opening it."""
        row = await self._db.fetchone(
            "SELECT used_at, expires_at, revoked_at FROM invites WHERE token_hash = ?",
            (token_hash(token),),
        )
        if row is None or row["revoked_at"]:
            return "unknown"
        if row["used_at"]:
            return "used"
        if datetime.fromisoformat(row["expires_at"]) <= self._clock.now():
            return "expired"
        return "ok"

    async def pending_for_invite(self, rec_id: int) -> bool:
        """Whether a recommendation waits for an invite to be opened."""
        row = await self._db.fetchone(
            "SELECT pending_invite_id FROM recommendations WHERE id = ?", (rec_id,)
        )
        return bool(row and row["pending_invite_id"])

    # --- choices -----------------------------------------------------------------------------

    async def set_digest_opt_out(self, user_id: int, opted_out: bool) -> bool:
        """Stop (or restart) the "You said, we did" digest for a participant."""
        return (
            await self._db.execute(
                "UPDATE participants SET digest_opt_out = ? WHERE user_id = ?",
                (int(opted_out), user_id),
            )
            > 0
        )

    async def digest_opted_out(self, user_id: int) -> bool:
        """Whether the participant switched the digest off."""
        row = await self._db.fetchone(
            "SELECT digest_opt_out FROM participants WHERE user_id = ?", (user_id,)
        )
        return bool(row and row["digest_opt_out"])

    async def set_pref(self, user_id: int, name: str, value: str) -> None:
        """An organizer's choice (e.g. weekly_summary = off)."""
        await self._db.execute(
            "INSERT INTO follow_up_prefs (user_id, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value",
            (user_id, name, value),
        )

    async def note_telegram_name(self, user_id: int, name: str) -> None:
        """The Telegram name of a role holder who never registered (organizers often do not),
        kept with their follow-up choices: timelines show it instead of a bare id. Written
        only when it changed."""
        await self._db.execute(
            "INSERT INTO follow_up_prefs (user_id, name, value) VALUES (?, 'telegram_name', ?) "
            "ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value "
            "WHERE value != excluded.value",
            (user_id, name),
        )

    async def pref(self, user_id: int, name: str) -> str | None:
        """An organizer's choice, if made."""
        row = await self._db.fetchone(
            "SELECT value FROM follow_up_prefs WHERE user_id = ? AND name = ?", (user_id, name)
        )
        return row["value"] if row else None


def _sync_delegate(
    conn: sqlite3.Connection, user_id: int | None, now: str, by_user: int | None
) -> None:
    """The delegate role follows ownership: held while the person owns a recommendation
    (one granted on the terminal stays until `multaqa roles revoke`)."""
    if user_id is None:
        return
    owns = (
        conn.execute(
            "SELECT 1 FROM recommendations WHERE owner_id = ? AND status != 'dropped' LIMIT 1",
            (user_id,),
        ).fetchone()
        is not None
    )
    if owns:
        cur = conn.execute(
            "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at, source) "
            "VALUES (?, 'delegate', ?, ?, 'assignment')",
            (user_id, by_user, now),
        )
        if cur.rowcount:
            _audit(
                conn,
                now,
                by_user,
                "role.grant",
                f"user:{user_id}",
                {"role": "delegate", "source": "assignment"},
            )
    else:
        cur = conn.execute(
            "DELETE FROM roles WHERE user_id = ? AND role = 'delegate' AND source != 'terminal'",
            (user_id,),
        )
        if cur.rowcount:
            _audit(conn, now, by_user, "role.revoke", f"user:{user_id}", {"role": "delegate"})
