"""The clock's next wake-up: the earliest pending prompt or scheduled broadcast."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from storage.campaigns import Audience, CampaignRepository
from storage.clock import FakeClock
from storage.database import Database
from storage.due import next_due
from storage.event import PlannedPrompt, PromptRepository


async def test_the_earliest_waiting_row_of_either_kind_is_next(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "d.db").open()
    try:
        assert await next_due(db) is None  # nothing waits: the clock sleeps until woken
        prompts = PromptRepository(db, clock)
        campaigns = CampaignRepository(db, clock, "fr")
        now = clock.now()
        await prompts.add(
            [
                PlannedPrompt.notice("a", 1, "Salle D", now + timedelta(hours=3)),
                PlannedPrompt.notice("b", 2, "Salle E", now + timedelta(hours=1)),
            ]
        )
        first = await next_due(db)
        assert first is not None and (first.at, first.kind) == (now + timedelta(hours=1), "notice")
        campaign = await campaigns.create(1, "fr", Audience("everyone"), {"fr": "Bus à 8h"})
        await campaigns.schedule(campaign, now + timedelta(minutes=30))
        soonest = await next_due(db)
        assert soonest is not None
        assert (soonest.at, soonest.kind) == (now + timedelta(minutes=30), "campaign")
        await campaigns.set_state(campaign, "cancelled", only_from=("scheduled",))
        clock.advance(timedelta(hours=2))
        sent = await prompts.claim_due()  # "b" is taken: only "a" still waits
        assert [p.key for p in sent] == ["b"]
        left = await next_due(db)
        assert left is not None and left.at == now + timedelta(hours=3)
    finally:
        await db.close()
