"""The event's figures in one read: registrations (over time, by function, by region),
seats and waiting lists per workshop, check-ins, proposals and recommendations by status.

Only counts leave this module: no names, phones or texts. Codes are returned as stored;
labels are the caller's business (they depend on the reader's language)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from storage.database import Database

# Recommendation statuses in the order a board shows them. A status the follow-up work adds
# later appears after these (see `recommendations_by_status`): reading the column as it is.
RECOMMENDATION_STATUSES = ("not_started", "in_progress", "done", "blocked", "dropped")
PROPOSAL_STATUSES = ("new", "accepted", "merged", "rejected", "withdrawn")


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts for the figures message, the charts and the dashboard."""

    registered: int
    unreachable: int
    erased: int  # people who deleted their data (or were purged): counted, anonymous
    by_day: list[tuple[date, int]]  # registrations per day in the event's zone
    by_function: dict[str, int]
    by_region: dict[str, int]
    seats: dict[str, tuple[int, int]]  # workshop id -> (confirmed, waiting)
    checkins: int
    proposals: dict[str, dict[str, int]]  # theme -> status -> count
    recommendations: dict[str, int]  # status -> count
    recommendations_by_workshop: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        """People on a waiting list, all workshops together."""
        return sum(waiting for _, waiting in self.seats.values())

    @property
    def proposals_by_status(self) -> dict[str, int]:
        """Proposals per status, all themes together."""
        total: Counter[str] = Counter()
        for statuses in self.proposals.values():
            total.update(statuses)
        return dict(total)


def ordered(counts: dict[str, int], known: tuple[str, ...]) -> list[tuple[str, int]]:
    """Known codes first in their order (zeros kept), then any others by count."""
    rest = sorted(((k, v) for k, v in counts.items() if k not in known), key=lambda kv: -kv[1])
    return [(code, counts.get(code, 0)) for code in known] + rest


async def read_figures(db: Database, zone: ZoneInfo) -> Figures:
    """Every count, read from committed data."""
    people = await db.fetchall(
        "SELECT COUNT(*) AS n, COALESCE(SUM(user_id > 0 AND reachable = 0), 0) AS unreachable, "
        "COALESCE(SUM(user_id < 0), 0) AS erased FROM participants"
    )
    by_day: Counter[date] = Counter()
    for row in await db.fetchall("SELECT registered_at FROM participants"):
        by_day[datetime.fromisoformat(row["registered_at"]).astimezone(zone).date()] += 1
    by_function = {
        row["code"]: int(row["n"])
        for row in await db.fetchall(
            "SELECT function_code AS code, COUNT(*) AS n FROM participants "
            "GROUP BY function_code ORDER BY n DESC, code"
        )
    }
    by_region = {
        row["code"]: int(row["n"])
        for row in await db.fetchall(
            "SELECT region_code AS code, COUNT(*) AS n FROM participants "
            "GROUP BY region_code ORDER BY n DESC, code"
        )
    }
    seats = {
        row["workshop_id"]: (int(row["c"]), int(row["w"]))
        for row in await db.fetchall(
            "SELECT workshop_id, SUM(state = 'confirmed') AS c, SUM(state = 'waiting') AS w "
            "FROM signups GROUP BY workshop_id"
        )
    }
    checkins = await db.fetchone("SELECT COUNT(*) AS n FROM checkins")
    proposals: dict[str, dict[str, int]] = {}
    for row in await db.fetchall(
        "SELECT theme, status, COUNT(*) AS n FROM proposals GROUP BY theme, status"
    ):
        proposals.setdefault(row["theme"], {})[row["status"]] = int(row["n"])
    recommendations: dict[str, int] = {}
    by_workshop: dict[str, dict[str, int]] = {}
    for row in await db.fetchall(
        "SELECT COALESCE(workshop_id, 'general') AS w, status, COUNT(*) AS n "
        "FROM recommendations GROUP BY w, status"
    ):
        recommendations[row["status"]] = recommendations.get(row["status"], 0) + int(row["n"])
        by_workshop.setdefault(row["w"], {})[row["status"]] = int(row["n"])
    head = people[0]
    return Figures(
        registered=int(head["n"]),
        unreachable=int(head["unreachable"]),
        erased=int(head["erased"]),
        by_day=sorted(by_day.items()),
        by_function=by_function,
        by_region=by_region,
        seats=seats,
        checkins=int(checkins["n"]) if checkins else 0,
        proposals=proposals,
        recommendations=recommendations,
        recommendations_by_workshop=by_workshop,
    )
