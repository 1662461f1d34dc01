"""Campaigns and their deliveries: the ledger that makes a broadcast reach everyone once."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from storage.clock import Clock
from storage.database import Database

AudienceKind = Literal[
    "everyone",
    "region",
    "function",
    "organizers",
    "delegates",
    "workshop",
    "waitlist",
    "checked_in",
    "not_checked_in",
]
AUDIENCE_KINDS: tuple[AudienceKind, ...] = get_args(AudienceKind)
_NEEDS_CODE = ("region", "function", "workshop", "waitlist")  # workshop: its confirmed seats


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a campaign is for: everyone, one region, one function, or a role."""

    kind: AudienceKind
    code: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in AUDIENCE_KINDS:
            raise ValueError(f"unknown audience {self.kind!r}")
        if (self.kind in _NEEDS_CODE) != bool(self.code):
            raise ValueError(
                f"audience {self.kind!r} {'needs' if self.kind in _NEEDS_CODE else 'takes no'} code"
            )

    @classmethod
    def parse(cls, expression: str) -> Audience:
        """`everyone`, `organizers`, `delegates`, `checked_in`, `not_checked_in`, or with a code:
        `region=CODE`, `function=CODE`, `workshop=ID` (confirmed seats), `waitlist=ID`."""
        kind, _, code = expression.strip().partition("=")
        return cls(kind.strip(), code.strip() or None)  # type: ignore[arg-type]

    def expression(self) -> str:
        """The inverse of `parse`."""
        return f"{self.kind}={self.code}" if self.code else self.kind

    def to_json(self) -> str:
        """For the campaigns table."""
        return json.dumps({"kind": self.kind, "code": self.code})

    @classmethod
    def from_json(cls, raw: str) -> Audience:
        """From the campaigns table."""
        data = json.loads(raw)
        return cls(data["kind"], data.get("code"))


CampaignState = Literal["draft", "scheduled", "sending", "paused", "done", "cancelled"]
DeliveryState = Literal["pending", "sending", "sent", "failed", "unreachable"]


@dataclass(frozen=True, slots=True)
class Campaign:
    """An announcement to many people."""

    id: int
    author_id: int | None
    author_locale: str
    audience: Audience
    texts: dict[str, str]
    media_kind: str | None
    media_file_id: str | None
    state: CampaignState
    scheduled_at: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient of one campaign."""

    campaign_id: int
    user_id: int
    chat_id: int
    locale: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Progress:
    """Counts per delivery state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0

    @property
    def total(self) -> int:
        """Every recipient."""
        return self.pending + self.sending + self.sent + self.failed + self.unreachable

    @property
    def remaining(self) -> int:
        """Not yet settled."""
        return self.pending + self.sending


@dataclass(frozen=True, slots=True)
class NotReached:
    """A recipient the campaign did not reach, for the export."""

    user_id: int
    full_name: str | None
    region_code: str | None
    state: str
    last_error: str | None


def _campaign(row: sqlite3.Row) -> Campaign:
    return Campaign(
        id=row["id"],
        author_id=row["author_id"],
        author_locale=row["author_locale"],
        audience=Audience.from_json(row["audience"]),
        texts=json.loads(row["texts"]),
        media_kind=row["media_kind"],
        media_file_id=row["media_file_id"],
        state=row["state"],
        scheduled_at=datetime.fromisoformat(row["scheduled_at"]) if row["scheduled_at"] else None,
        progress_chat_id=row["progress_chat_id"],
        progress_message_id=row["progress_message_id"],
    )


def _recipients_sql(audience: Audience) -> str:
    """user_id, chat_id, locale, reachable of everyone in the audience (named parameters)."""
    if audience.kind in ("organizers", "delegates"):
        return (
            "SELECT r.user_id, COALESCE(p.chat_id, r.user_id) AS chat_id, "
            "COALESCE(p.locale, :default_locale) AS locale, COALESCE(p.reachable, 1) AS reachable "
            "FROM roles r LEFT JOIN participants p ON p.user_id = r.user_id WHERE r.role = :role"
        )
    # Negative ids are people who erased their data (storage/privacy.py): counted, never sent to.
    base = (
        "SELECT user_id, chat_id, locale, reachable FROM "
        "(SELECT * FROM participants WHERE user_id > 0)"
    )
    if audience.kind in ("workshop", "waitlist"):
        state = "confirmed" if audience.kind == "workshop" else "waiting"
        return (
            base + " WHERE user_id IN (SELECT user_id FROM signups WHERE workshop_id = :code "
            f"AND state = '{state}')"
        )
    if audience.kind == "checked_in":
        return base + " WHERE user_id IN (SELECT user_id FROM checkins)"
    if audience.kind == "not_checked_in":
        return base + " WHERE user_id NOT IN (SELECT user_id FROM checkins)"
    if audience.kind == "region":
        return base + " WHERE region_code = :code"
    if audience.kind == "function":
        return base + " WHERE function_code = :code"
    return base


def _params(audience: Audience, default_locale: str) -> dict[str, object]:
    return {
        "default_locale": default_locale,
        "role": audience.kind.removesuffix("s"),
        "code": audience.code,
    }


class CampaignRepository:
    """Reads and writes campaigns and deliveries."""

    def __init__(self, db: Database, clock: Clock, default_locale: str) -> None:
        self._db = db
        self._clock = clock
        self._default_locale = default_locale

    def _now(self) -> str:
        return self._clock.now().isoformat()

    async def count_audience(self, audience: Audience) -> int:
        """How many people the audience holds right now (reachable or not)."""
        sql = _recipients_sql(audience)
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM ({sql})", _params(audience, self._default_locale)
        )
        return int(row["n"]) if row else 0

    async def count_audience_by_locale(self, audience: Audience) -> dict[str, int]:
        """How many people of the audience read each language (to say who gets which
        version of a message)."""
        sql = _recipients_sql(audience)
        rows = await self._db.fetchall(
            f"SELECT locale, COUNT(*) AS n FROM ({sql}) GROUP BY locale",
            _params(audience, self._default_locale),
        )
        return {row["locale"]: int(row["n"]) for row in rows}

    async def create(
        self,
        author_id: int | None,
        author_locale: str,
        audience: Audience,
        texts: dict[str, str],
        media_kind: str | None = None,
        media_file_id: str | None = None,
    ) -> int:
        """A campaign in state draft."""
        values = (
            author_id,
            author_locale,
            audience.to_json(),
            json.dumps(texts, ensure_ascii=False),
            media_kind,
            media_file_id,
            self._now(),
        )

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO campaigns (author_id, author_locale, audience, texts, media_kind, "
                "media_file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return int(cur.lastrowid or 0)

        return await self._db.write(insert)

    async def get(self, campaign_id: int) -> Campaign | None:
        """One campaign."""
        row = await self._db.fetchone("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        return _campaign(row) if row else None

    async def schedule(self, campaign_id: int, at: datetime) -> None:
        """Send later: the clock picks it up when due."""
        await self._db.execute(
            "UPDATE campaigns SET state = 'scheduled', scheduled_at = ? "
            "WHERE id = ? AND state IN ('draft', 'scheduled')",
            (at.astimezone(UTC).isoformat(), campaign_id),  # UTC: compared as text
        )

    async def due(self) -> list[int]:
        """Scheduled campaigns whose time has come."""
        rows = await self._db.fetchall(
            "SELECT id FROM campaigns WHERE state = 'scheduled' AND scheduled_at <= ? ORDER BY id",
            (self._now(),),
        )
        return [row["id"] for row in rows]

    async def start(self, campaign_id: int, owner: str | None = None, ttl: float = 15.0) -> bool:
        """Freeze the recipient list into deliveries and mark the campaign sending, owned by
        `owner` from this moment (so no other process's watcher takes it before it starts).

        People already known to be unreachable get their row too, settled as such, so the
        report names them. False if the campaign was not in a startable state."""
        campaign = await self.get(campaign_id)
        if campaign is None:
            return False
        sql = _recipients_sql(campaign.audience)
        now = self._now()
        lease = time.time() + ttl if owner else None
        params = {**_params(campaign.audience, self._default_locale), "campaign": campaign_id}

        def freeze(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE campaigns SET state = 'sending', started_at = COALESCE(started_at, ?), "
                "owner = ?, lease_until = ? WHERE id = ? AND state IN ('draft', 'scheduled')",
                (now, owner, lease, campaign_id),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "INSERT OR IGNORE INTO deliveries (campaign_id, user_id, chat_id, locale, state, "
                "updated_at) SELECT :campaign, user_id, chat_id, locale, "
                "CASE reachable WHEN 1 THEN 'pending' ELSE 'unreachable' END, :now "
                f"FROM ({sql})",
                {**params, "now": now},
            )
            return True

        return await self._db.write(freeze)

    async def set_state(
        self, campaign_id: int, state: CampaignState, only_from: tuple[CampaignState, ...]
    ) -> bool:
        """Move a campaign between states (pause, resume, cancel); False if not allowed."""
        marks = ",".join("?" * len(only_from))
        finished = ", finished_at = ?" if state in ("done", "cancelled") else ""
        params: list[object] = [state]
        if finished:
            params.append(self._now())
        changed = await self._db.execute(
            f"UPDATE campaigns SET state = ?{finished} WHERE id = ? AND state IN ({marks})",
            (*params, campaign_id, *only_from),
        )
        return changed > 0

    async def set_progress_message(
        self, campaign_id: int, chat_id: int, message_id: int | None
    ) -> None:
        """Remember the message edited with live progress (None: to be posted)."""
        await self._db.execute(
            "UPDATE campaigns SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, campaign_id),
        )

    async def claim(self, campaign_id: int, limit: int) -> list[Delivery]:
        """Take up to `limit` pending deliveries, marking them sending (in flight)."""
        now = self._now()

        def take(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                "UPDATE deliveries SET state = 'sending', updated_at = ? "
                "WHERE campaign_id = ? AND user_id IN (SELECT user_id FROM deliveries "
                "WHERE campaign_id = ? AND state = 'pending' ORDER BY user_id LIMIT ?) "
                "RETURNING campaign_id, user_id, chat_id, locale, attempts",
                (now, campaign_id, campaign_id, limit),
            ).fetchall()
            return [Delivery(r[0], r[1], r[2], r[3], r[4]) for r in rows]

        return await self._db.write(take)

    async def settle(
        self,
        delivery: Delivery,
        state: DeliveryState,
        *,
        attempts: int,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a delivery ended (unreachable also marks the participant so). Written
        in the group commit, so it follows its send within milliseconds even under load: a
        kill repeats only the sends whose record had not committed yet."""
        now = self._now()

        def record(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE deliveries SET state = ?, message_id = ?, last_error = ?, attempts = ?, "
                "updated_at = ? WHERE campaign_id = ? AND user_id = ?",
                (state, message_id, error, attempts, now, delivery.campaign_id, delivery.user_id),
            )
            if state == "unreachable":
                conn.execute(
                    "UPDATE participants SET reachable = 0, updated_at = ? WHERE user_id = ?",
                    (now, delivery.user_id),
                )

        await self._db.write(record)

    async def release_in_flight(self, campaign_id: int | None = None) -> int:
        """After a crash or a stop: in-flight deliveries go back to pending (they may repeat)."""
        where = "state = 'sending'" + (" AND campaign_id = ?" if campaign_id is not None else "")
        return await self._db.execute(
            f"UPDATE deliveries SET state = 'pending', updated_at = ? WHERE {where}",
            (self._now(), *(() if campaign_id is None else (campaign_id,))),
        )

    # --- owners: one process sends a campaign; a dead owner's campaign is taken over ------

    async def take(self, campaign_id: int, owner: str, ttl: float) -> bool:
        """Become the campaign's sender for `ttl` seconds if nobody (alive) is: no owner, the
        same owner name (a restarted bot: the instance lock proves the old one dead), or an
        owner whose lease ran out (it stopped heartbeating). In-flight rows of a dead owner
        go back to pending in the same transaction (those few may repeat)."""
        now = time.time()
        stamp = self._now()

        def own(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE campaigns SET owner = ?, lease_until = ? WHERE id = ? "
                "AND state = 'sending' AND (owner IS NULL OR owner = ? OR lease_until < ?)",
                (owner, now + ttl, campaign_id, owner, now),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "UPDATE deliveries SET state = 'pending', updated_at = ? "
                "WHERE campaign_id = ? AND state = 'sending'",
                (stamp, campaign_id),
            )
            return True

        return await self._db.write(own)

    async def renew(self, campaign_id: int, owner: str, ttl: float) -> bool:
        """Heartbeat: extend the lease; False if the campaign is no longer ours to send (another
        process took it over, or it was stopped from elsewhere: the bot's Stop button on a
        campaign the command line sends)."""
        changed = await self._db.execute(
            "UPDATE campaigns SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'sending'",
            (time.time() + ttl, campaign_id, owner),
        )
        return changed > 0

    async def let_go(self, campaign_id: int, owner: str) -> None:
        """No longer sending it (done, paused, or this process stops)."""
        await self._db.execute(
            "UPDATE campaigns SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
            (campaign_id, owner),
        )

    async def orphans(self, owner: str) -> list[int]:
        """Campaigns `sending` that nobody alive sends (or that `owner` itself held)."""
        rows = await self._db.fetchall(
            "SELECT id FROM campaigns WHERE state = 'sending' "
            "AND (owner IS NULL OR owner = ? OR lease_until < ?) ORDER BY id",
            (owner, time.time()),
        )
        return [row["id"] for row in rows]

    async def in_state(self, state: CampaignState) -> list[int]:
        """Campaigns in a state (on start-up: those to resume)."""
        rows = await self._db.fetchall(
            "SELECT id FROM campaigns WHERE state = ? ORDER BY id", (state,)
        )
        return [row["id"] for row in rows]

    async def progress(self, campaign_id: int) -> Progress:
        """Counts per delivery state."""
        rows = await self._db.fetchall(
            "SELECT state, COUNT(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY state",
            (campaign_id,),
        )
        return Progress(**{row["state"]: int(row["n"]) for row in rows})

    async def not_reached(self, campaign_id: int) -> list[NotReached]:
        """Recipients left unreached (unreachable or failed), for the export."""
        rows = await self._db.fetchall(
            "SELECT d.user_id, p.full_name, p.region_code, d.state, d.last_error "
            "FROM deliveries d LEFT JOIN participants p ON p.user_id = d.user_id "
            "WHERE d.campaign_id = ? AND d.state IN ('failed', 'unreachable') ORDER BY d.user_id",
            (campaign_id,),
        )
        return [NotReached(r[0], r[1], r[2], r[3], r[4]) for r in rows]
