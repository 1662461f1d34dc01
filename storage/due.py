"""When the next scheduled thing is due: the earliest pending prompt, organizers' notice or
scheduled broadcast.

`multaqa sandbox` jumps its clock there ("to the next reminder or prompt")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database


@dataclass(frozen=True, slots=True)
class NextDue:
    """The earliest row waiting for the clock: its time and what it is."""

    at: datetime
    kind: str  # a prompt kind (day_before, morning_agenda, session, notice, ...), "campaign"
    # or "organizer_notice"


async def next_due(db: Database) -> NextDue | None:
    """The earliest pending prompt, organizers' notice or scheduled campaign, or None when
    nothing waits."""
    # Each side takes its earliest row from its index (state, time): O(log n) even with
    # 100,000 pending rows, where sorting their union took ~27 ms.
    row = await db.fetchone(
        "SELECT due_at, kind FROM ("
        " SELECT * FROM (SELECT due_at, kind FROM prompts WHERE state = 'pending'"
        "  ORDER BY due_at LIMIT 1)"
        " UNION ALL"
        " SELECT * FROM (SELECT scheduled_at AS due_at, 'campaign' AS kind FROM campaigns"
        "  WHERE state = 'scheduled' AND scheduled_at IS NOT NULL ORDER BY scheduled_at LIMIT 1)"
        " UNION ALL"
        " SELECT * FROM (SELECT due_at, 'organizer_notice' AS kind FROM organizer_notices"
        "  WHERE state = 'pending' ORDER BY due_at LIMIT 1)"
        ") ORDER BY due_at LIMIT 1"
    )
    if row is None:
        return None
    return NextDue(datetime.fromisoformat(row["due_at"]), row["kind"])
