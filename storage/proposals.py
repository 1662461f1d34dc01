"""Proposals (what participants send) and recommendations (what organizers make of them)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from storage.clock import Clock
from storage.database import Database

ProposalStatus = Literal["new", "accepted", "merged", "rejected", "withdrawn"]
RecommendationStatus = Literal["not_started", "in_progress", "done", "blocked", "dropped"]
AttachmentKind = Literal["photo", "voice", "audio", "document", "video"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a proposal (kept as Telegram's file id)."""

    kind: AttachmentKind
    file_id: str
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A participant's contribution."""

    id: int
    author_id: int
    theme: str
    text: str
    status: ProposalStatus
    note: str | None
    tags: list[str]
    recommendation_id: int | None
    created_at: datetime
    attachments: list[Attachment]

    @property
    def reference(self) -> str:
        """How people cite it: P-0042."""
        return f"P-{self.id:04d}"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """An outcome of a workshop, owned by a delegate, with a due date."""

    id: int
    workshop_id: str | None
    text: str
    language: str
    owner_id: int | None
    due_date: date | None
    status: RecommendationStatus
    sources: list[int]

    @property
    def reference(self) -> str:
        """How people cite it: R-7."""
        return f"R-{self.id}"


class ProposalWithdrawn(Exception):
    """The author withdrew the proposal while an organizer was deciding about it."""


class ProposalRepository:
    """Reads and writes proposals and their attachments."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self, author_id: int, theme: str, text: str, attachments: list[Attachment]
    ) -> int:
        """Store a proposal with its files; returns its id."""
        at = self._clock.now().isoformat()

        def store(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO proposals (author_id, theme, text, created_at) VALUES (?, ?, ?, ?)",
                (author_id, theme, text, at),
            )
            proposal_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO proposal_attachments (proposal_id, kind, file_id, file_name, "
                "position) VALUES (?, ?, ?, ?, ?)",
                [
                    (proposal_id, a.kind, a.file_id, a.file_name, i)
                    for i, a in enumerate(attachments)
                ],
            )
            return proposal_id

        return await self._db.write(store)

    async def count_since(self, author_id: int, hours: float) -> int:
        """Proposals this person sent in the last `hours` (the flood guard)."""
        since = (self._clock.now() - timedelta(hours=hours)).isoformat()
        row = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM proposals WHERE author_id = ? AND created_at > ?",
            (author_id, since),
        )
        return int(row["n"]) if row else 0

    async def _load(self, rows: list[sqlite3.Row]) -> list[Proposal]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        files = await self._db.fetchall(
            f"SELECT proposal_id, kind, file_id, file_name FROM proposal_attachments "
            f"WHERE proposal_id IN ({marks}) ORDER BY proposal_id, position",
            ids,
        )
        by_id: dict[int, list[Attachment]] = {}
        for f in files:
            by_id.setdefault(f["proposal_id"], []).append(
                Attachment(f["kind"], f["file_id"], f["file_name"])
            )
        return [
            Proposal(
                r["id"],
                r["author_id"],
                r["theme"],
                r["text"],
                r["status"],
                r["note"],
                json.loads(r["tags"]),
                r["recommendation_id"],
                datetime.fromisoformat(r["created_at"]),
                by_id.get(r["id"], []),
            )
            for r in rows
        ]

    async def get(self, proposal_id: int) -> Proposal | None:
        """One proposal."""
        rows = await self._db.fetchall("SELECT * FROM proposals WHERE id = ?", (proposal_id,))
        loaded = await self._load(rows)
        return loaded[0] if loaded else None

    async def of_author(self, author_id: int) -> list[Proposal]:
        """A participant's proposals, newest first (withdrawn ones left out)."""
        rows = await self._db.fetchall(
            "SELECT * FROM proposals WHERE author_id = ? AND status != 'withdrawn' "
            "ORDER BY id DESC",
            (author_id,),
        )
        return await self._load(rows)

    async def queue(self, theme: str | None, newest_first: bool) -> list[int]:
        """Ids of proposals to review (not withdrawn), per theme or all."""
        order = "DESC" if newest_first else "ASC"
        if theme is None:
            rows = await self._db.fetchall(
                f"SELECT id FROM proposals WHERE status != 'withdrawn' ORDER BY id {order}"
            )
        else:
            rows = await self._db.fetchall(
                f"SELECT id FROM proposals WHERE status != 'withdrawn' AND theme = ? "
                f"ORDER BY id {order}",
                (theme,),
            )
        return [row["id"] for row in rows]

    async def counts_by_theme(self) -> dict[str, tuple[int, int]]:
        """theme -> (new, all not withdrawn)."""
        rows = await self._db.fetchall(
            "SELECT theme, SUM(status = 'new') AS n, COUNT(*) AS total FROM proposals "
            "WHERE status != 'withdrawn' GROUP BY theme"
        )
        return {r["theme"]: (int(r["n"]), int(r["total"])) for r in rows}

    async def withdraw(self, proposal_id: int, author_id: int) -> bool:
        """The author takes back a proposal nobody has reviewed yet."""
        return (
            await self._db.execute(
                "UPDATE proposals SET status = 'withdrawn' WHERE id = ? AND author_id = ? "
                "AND status = 'new'",
                (proposal_id, author_id),
            )
            > 0
        )

    async def review(
        self,
        proposal_id: int,
        status: ProposalStatus,
        reviewer: int,
        note: str | None = None,
        recommendation_id: int | None = None,
    ) -> bool:
        """Accept, reject (with a note) or mark merged; False if withdrawn or missing."""
        return (
            await self._db.execute(
                "UPDATE proposals SET status = ?, note = ?, recommendation_id = ?, "
                "reviewed_at = ?, reviewed_by = ? WHERE id = ? AND status != 'withdrawn'",
                (
                    status,
                    note,
                    recommendation_id,
                    self._clock.now().isoformat(),
                    reviewer,
                    proposal_id,
                ),
            )
            > 0
        )

    async def tag(self, proposal_id: int, tag: str) -> list[str]:
        """Add a tag (no duplicates); returns the tags."""
        proposal = await self.get(proposal_id)
        if proposal is None:
            return []
        tags = sorted({*proposal.tags, tag})
        await self._db.execute(
            "UPDATE proposals SET tags = ? WHERE id = ?",
            (json.dumps(tags, ensure_ascii=False), proposal_id),
        )
        return tags


@dataclass(frozen=True, slots=True)
class NewRecommendation:
    """A recommendation to create (from an imported row)."""

    workshop_id: str | None
    text: str
    language: str
    owner_id: int | None
    due: date | None


def _recommendation(row: sqlite3.Row, sources: list[int]) -> Recommendation:
    return Recommendation(
        row["id"],
        row["workshop_id"],
        row["text"],
        row["language"],
        row["owner_id"],
        date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        row["status"],
        sources,
    )


class RecommendationRepository:
    """Reads and writes recommendations."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self,
        workshop_id: str | None,
        text: str,
        language: str,
        owner_id: int | None,
        due: date | None,
        created_by: int | None,
        sources: list[int] | None = None,
    ) -> int:
        """A new recommendation (status not_started); its sources become merged."""
        now = self._clock.now().isoformat()

        def create(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO recommendations (workshop_id, text, language, owner_id, due_date, "
                "created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    workshop_id,
                    text,
                    language,
                    owner_id,
                    due.isoformat() if due else None,
                    now,
                    created_by,
                    now,
                ),
            )
            rec_id = int(cur.lastrowid or 0)
            for proposal_id in sources or []:
                cur = conn.execute(
                    "UPDATE proposals SET status = 'merged', recommendation_id = ?, "
                    "reviewed_at = ?, reviewed_by = ? WHERE id = ? AND status != 'withdrawn'",
                    (rec_id, now, created_by, proposal_id),
                )
                if cur.rowcount == 0:  # rolls the recommendation back with it
                    raise ProposalWithdrawn(proposal_id)
            return rec_id

        return await self._db.write(create)

    async def create_many(self, rows: list[NewRecommendation], created_by: int | None) -> list[int]:
        """Several recommendations in one transaction: all of them, or none (an import)."""
        now = self._clock.now().isoformat()
        values = [
            (
                row.workshop_id,
                row.text,
                row.language,
                row.owner_id,
                row.due.isoformat() if row.due else None,
                now,
                created_by,
                now,
            )
            for row in rows
        ]

        def create_many(conn: sqlite3.Connection) -> list[int]:
            ids = []
            for value in values:
                cur = conn.execute(
                    "INSERT INTO recommendations (workshop_id, text, language, owner_id, "
                    "due_date, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    value,
                )
                ids.append(int(cur.lastrowid or 0))
            return ids

        return await self._db.write(create_many)

    async def text_index(self) -> dict[tuple[str | None, str], int]:
        """(workshop, text ignoring case and spacing) -> id of every recommendation not
        dropped: to recognise a table imported twice, in one query."""
        rows = await self._db.fetchall(
            "SELECT id, workshop_id, text FROM recommendations WHERE status != 'dropped' "
            "ORDER BY id DESC"
        )
        return {(r["workshop_id"], " ".join(r["text"].casefold().split())): r["id"] for r in rows}

    async def get(self, rec_id: int) -> Recommendation | None:
        """One recommendation with its source proposals."""
        row = await self._db.fetchone("SELECT * FROM recommendations WHERE id = ?", (rec_id,))
        if row is None:
            return None
        sources = await self._db.fetchall(
            "SELECT id FROM proposals WHERE recommendation_id = ? ORDER BY id", (rec_id,)
        )
        return _recommendation(row, [s["id"] for s in sources])

    async def all(self, workshop_id: str | None = None) -> list[Recommendation]:
        """Every recommendation (of a workshop), oldest first: two queries whatever their
        number (a page of the list reads them all at each press)."""
        where, params = (
            ("", ()) if workshop_id is None else ("WHERE workshop_id = ?", (workshop_id,))
        )
        rows = await self._db.fetchall(f"SELECT * FROM recommendations {where} ORDER BY id", params)
        if not rows:
            return []
        sources = await self._db.fetchall(
            "SELECT id, recommendation_id FROM proposals WHERE recommendation_id IN "
            f"(SELECT id FROM recommendations {where}) ORDER BY id",
            params,
        )
        by_recommendation: dict[int, list[int]] = {}
        for source in sources:
            by_recommendation.setdefault(source["recommendation_id"], []).append(source["id"])
        return [_recommendation(row, by_recommendation.get(row["id"], [])) for row in rows]

    async def update(
        self,
        rec_id: int,
        *,
        text: str | None = None,
        owner_id: int | None = None,
        due: date | None = None,
        status: RecommendationStatus | None = None,
    ) -> bool:
        """Change some fields; False if there is no such recommendation."""
        fields, params = [], []
        for column, value in (
            ("text", text),
            ("owner_id", owner_id),
            ("due_date", due.isoformat() if due else None),
            ("status", status),
        ):
            if value is not None:
                fields.append(f"{column} = ?")
                params.append(value)
        if not fields:
            return await self.get(rec_id) is not None
        params += [self._clock.now().isoformat(), rec_id]
        return (
            await self._db.execute(
                f"UPDATE recommendations SET {', '.join(fields)}, updated_at = ? WHERE id = ?",
                params,
            )
            > 0
        )

    async def merge(self, rec_id: int, proposal_id: int, reviewer: int) -> bool:
        """Add a proposal to an existing recommendation's sources."""
        return (
            await self._db.execute(
                "UPDATE proposals SET status = 'merged', recommendation_id = ?, reviewed_at = ?, "
                "reviewed_by = ? WHERE id = ? AND status != 'withdrawn' "
                "AND EXISTS (SELECT 1 FROM recommendations WHERE id = ?)",
                (rec_id, self._clock.now().isoformat(), reviewer, proposal_id, rec_id),
            )
            > 0
        )
