"""A participant's own data: what is stored about them, and erasing it (at their request, or
when the retention period after the event has passed).

Erasing keeps the counts and nothing else: the participant's row is replaced by an anonymous
one (a negative id, which no Telegram user has; no name, unit, phone, username; function,
region, language and registration time kept for the figures), and every row that pointed at
them points at the anonymous row. Proposals already merged into a recommendation keep their
text (it is part of the recommendation) but no longer say whose they were; other proposals
lose their text, note and files. Drafts and pending reminders are deleted. Recommendations
they owned stay, without an owner; their follow-up comments, evidence and invite label go.
At their own request their roles go too, with their dashboard sessions and sign-in links;
the audit log then names the anonymous row instead of them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from storage.clock import Clock
from storage.database import Database
from storage.roles import forget_organizer

_MERGED = "(recommendation_id IS NOT NULL OR status = 'merged')"


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing did, in counts (for the person, the organizers and the audit log)."""

    people: int = 0
    proposals_cleared: int = 0
    proposals_kept: int = 0


def _anonymise(conn: sqlite3.Connection, user_id: int, now: str) -> tuple[int, int, int]:
    """Replace one participant by an anonymous row; returns (proposals cleared, kept, the
    anonymous id)."""
    lowest = conn.execute("SELECT MIN(user_id) FROM participants").fetchone()[0] or 0
    anon = min(-1, int(lowest) - 1)
    conn.execute(
        "INSERT INTO participants (user_id, chat_id, locale, consent_at, full_name, "
        "function_code, function_other, region_code, unit, phone, reachable, registered_at, "
        "updated_at, username) SELECT ?, 0, locale, consent_at, '', function_code, NULL, "
        "region_code, '', NULL, 0, registered_at, ?, NULL FROM participants WHERE user_id = ?",
        (anon, now, user_id),
    )
    cleared, kept = conn.execute(
        f"SELECT SUM(NOT {_MERGED}), SUM({_MERGED}) FROM proposals WHERE author_id = ?",
        (user_id,),
    ).fetchone()
    conn.execute(
        f"DELETE FROM proposal_attachments WHERE proposal_id IN (SELECT id FROM proposals "
        f"WHERE author_id = ? AND NOT {_MERGED})",
        (user_id,),
    )
    conn.execute(
        f"UPDATE proposals SET author_id = ?, note = NULL, "
        f"text = CASE WHEN {_MERGED} THEN text ELSE '' END WHERE author_id = ?",
        (anon, user_id),
    )
    for sql in (
        "UPDATE signups SET user_id = ? WHERE user_id = ?",
        "UPDATE checkins SET user_id = ? WHERE user_id = ?",
        "UPDATE deliveries SET user_id = ?, chat_id = 0 WHERE user_id = ?",
    ):
        conn.execute(sql, (anon, user_id))
    conn.execute("DELETE FROM prompts WHERE user_id = ?", (user_id,))
    # Updates already handled that came from them (they hold what they typed and what the bot
    # showed them). The update being handled now stays until the inbox prunes it.
    conn.execute(
        "DELETE FROM inbox WHERE state != 'new' AND EXISTS (SELECT 1 FROM json_each(inbox.payload) "
        "e WHERE e.key != 'update_id' AND json_extract(e.value, '$.from.id') = ?)",
        (user_id,),
    )
    conn.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
    # Follow-up: the recommendations they owned stay, without an owner; what they wrote about
    # progress (comments, evidence files) goes, the status changes stay (anonymous); the name
    # an organizer typed for their invite goes; their summary choices go.
    conn.execute("UPDATE recommendations SET owner_id = NULL WHERE owner_id = ?", (user_id,))
    conn.execute(
        "UPDATE status_updates SET by_user = ?, comment = NULL, evidence = '[]' WHERE by_user = ?",
        (anon, user_id),
    )
    for end in ("from", "to"):  # owner changes name the owners by id
        conn.execute(
            f"UPDATE status_updates SET details = json_set(details, '$.{end}', NULL) "
            f"WHERE kind = 'owner' AND json_extract(details, '$.{end}') = ?",
            (user_id,),
        )
    conn.execute("UPDATE invites SET label = '', used_by = ? WHERE used_by = ?", (anon, user_id))
    conn.execute("UPDATE invites SET created_by = ? WHERE created_by = ?", (anon, user_id))
    conn.execute("DELETE FROM follow_up_prefs WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM participants WHERE user_id = ?", (user_id,))
    # An organizer kept by the purge stays on record.
    if conn.execute("SELECT 1 FROM roles WHERE user_id = ? LIMIT 1", (user_id,)).fetchone() is None:
        _anonymise_audit(conn, user_id, anon)
    return int(cleared or 0), int(kept or 0), anon


def _forget_access(conn: sqlite3.Connection, user_id: int) -> None:
    """The person's own request: the roles they hold go (an id in ORGANIZER_IDS gets the
    organizer role again at the next start), with their dashboard sessions and sign-in
    links, the messages planned for them as an organizer and their organizer's choices."""
    conn.execute("DELETE FROM roles WHERE user_id = ?", (user_id,))
    forget_organizer(conn, user_id)
    conn.execute("DELETE FROM organizer_notices WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM organizer_prefs WHERE user_id = ?", (user_id,))


def _anonymise_audit(conn: sqlite3.Connection, user_id: int, anon: int | None) -> None:
    """The audit log keeps what was done, no longer to or by whom: its entries name the
    anonymous row instead (or nobody, for someone who never registered)."""
    conn.execute(
        "UPDATE audit_log SET subject = ? WHERE subject = ?",
        (f"user:{anon}" if anon is not None else "user:erased", f"user:{user_id}"),
    )
    conn.execute("UPDATE audit_log SET actor_id = ? WHERE actor_id = ?", (anon, user_id))
    for end in ("from", "to"):  # owner changes name the owners by id
        conn.execute(
            f"UPDATE audit_log SET details = json_set(details, '$.{end}', ?) "
            f"WHERE action = 'recommendation.owner' AND json_extract(details, '$.{end}') = ?",
            (anon, user_id),
        )


class PrivacyRepository:
    """Reading and erasing one person's data; the retention purge."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def personal_data(self, user_id: int) -> dict[str, Any] | None:
        """Everything stored about this person (codes as stored), or None if nothing."""
        row = await self._db.fetchone("SELECT * FROM participants WHERE user_id = ?", (user_id,))
        drafts = await self._db.fetchall(
            "SELECT flow, step, updated_at FROM drafts WHERE user_id = ?", (user_id,)
        )
        if row is None and not drafts:
            return None
        profile = dict(row) if row else {}
        signups = await self._db.fetchall(
            "SELECT workshop_id, state, created_at FROM signups WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        checkin = await self._db.fetchone("SELECT at FROM checkins WHERE user_id = ?", (user_id,))
        proposals = []
        for proposal in await self._db.fetchall(
            "SELECT id, theme, text, status, note, created_at FROM proposals "
            "WHERE author_id = ? ORDER BY id",
            (user_id,),
        ):
            files = await self._db.fetchall(
                "SELECT kind, file_name FROM proposal_attachments WHERE proposal_id = ? "
                "ORDER BY position",
                (proposal["id"],),
            )
            proposals.append({**dict(proposal), "files": [dict(f) for f in files]})
        owned = await self._db.fetchall(
            "SELECT id, workshop_id, status, due_date FROM recommendations WHERE owner_id = ?",
            (user_id,),
        )
        updates = await self._db.fetchall(
            "SELECT recommendation_id, at, kind, to_status, progress, comment FROM "
            "status_updates WHERE by_user = ? ORDER BY id",
            (user_id,),
        )
        reminders = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM prompts WHERE user_id = ? AND state = 'pending'", (user_id,)
        )
        messages = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM deliveries WHERE user_id = ?", (user_id,)
        )
        return {
            "profile": profile,
            "workshops": [dict(s) for s in signups],
            "checked_in_at": checkin["at"] if checkin else None,
            "proposals": proposals,
            "recommendations_owned": [dict(r) for r in owned],
            "follow_up_updates": [dict(u) for u in updates],
            "pending_reminders": int(reminders["n"]) if reminders else 0,
            "announcements_received": int(messages["n"]) if messages else 0,
            "conversations_in_progress": [dict(d) for d in drafts],
        }

    async def erase(self, user_id: int) -> Erasure:
        """Erase one person (their seats must have been given up first, to promote others)."""
        now = self._clock.now().isoformat()

        def erase(conn: sqlite3.Connection) -> Erasure:
            _forget_access(conn, user_id)
            if (
                conn.execute("SELECT 1 FROM participants WHERE user_id = ?", (user_id,)).fetchone()
                is None
            ):
                conn.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
                _anonymise_audit(conn, user_id, None)
                return Erasure()
            cleared, kept, _ = _anonymise(conn, user_id, now)
            return Erasure(1, cleared, kept)

        return await self._db.write(erase)

    async def purge_all(self, batch: int = 200) -> Erasure:
        """Anonymise every participant still identifiable (the retention period is over).
        In batches, so the bot's other writes are never held up for long."""
        people = cleared = kept = 0
        while True:
            now = self._clock.now().isoformat()

            def purge(conn: sqlite3.Connection, now: str = now) -> tuple[int, int, int]:
                ids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT user_id FROM participants WHERE user_id > 0 LIMIT ?", (batch,)
                    ).fetchall()
                ]
                done_cleared = done_kept = 0
                for user_id in ids:
                    c, k, _ = _anonymise(conn, user_id, now)
                    done_cleared, done_kept = done_cleared + c, done_kept + k
                return len(ids), done_cleared, done_kept

            found, c, k = await self._db.write(purge)
            people, cleared, kept = people + found, cleared + c, kept + k
            if found < batch:
                return Erasure(people, cleared, kept)


def as_json(data: dict[str, Any]) -> bytes:
    """The person's data as a readable UTF-8 JSON file."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
