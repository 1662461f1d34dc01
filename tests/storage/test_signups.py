"""Workshop seats under concurrency: never over capacity, waiting list in arrival order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from storage.clock import FakeClock
from storage.database import Database
from storage.event import (
    CheckinRepository,
    PlannedPrompt,
    Promotion,
    PromptRepository,
    Seat,
    Seating,
    SignupRepository,
)
from storage.participants import ParticipantRepository, ProfileFields


async def _people(db: Database, clock: FakeClock, n: int) -> list[int]:
    repo = ParticipantRepository(db, clock)
    for user_id in range(1, n + 1):
        await repo.save_profile(
            user_id,
            user_id,
            ProfileFields(
                "fr", clock.now(), f"P {user_id}", "inspector", None, "central", "Centre", None
            ),
        )
    return list(range(1, n + 1))


async def test_200_people_racing_for_30_seats(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    people = await _people(db, clock, 200)
    signups = SignupRepository(db, clock)
    results = await asyncio.gather(
        *(signups.join(uid, "w1", Seating.one("w1", 30)) for uid in people)
    )
    confirmed = [
        uid
        for uid, (outcome, _) in zip(people, results, strict=True)
        if outcome.seat and outcome.seat.state == "confirmed"
    ]
    assert len(confirmed) == 30
    assert await signups.counts() == {"w1": (30, 170)}
    waiting = await signups.members("w1", "waiting")
    positions = {
        uid: outcome.seat.position
        for uid, (outcome, _) in zip(people, results, strict=True)
        if outcome.seat.state == "waiting"
    }
    assert [positions[uid] for uid in waiting] == list(range(1, 171))  # arrival order
    # Three confirmed people leave: the first three waiting get their seats, in order.
    promoted = []
    for uid in confirmed[:3]:
        _, got = await signups.leave(uid, "w1", Seating.one("w1", 30))
        promoted += got
    assert [p.user_id for p in promoted] == waiting[:3]
    assert await signups.counts() == {"w1": (30, 167)}
    seat = (await signups.seats_of(waiting[3]))[0]
    assert (seat.state, seat.position) == ("waiting", 1)
    await db.close()


async def test_one_workshop_per_slot_and_switching(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    a, b = await _people(db, clock, 2)
    signups = SignupRepository(db, clock)
    slot = ["w1", "w2"]
    assert (await signups.join(a, "w1", Seating.one("w1", 1, slot)))[0].seat.state == "confirmed"
    assert (await signups.join(b, "w1", Seating.one("w1", 1, slot)))[0].seat.state == "waiting"
    again, _ = await signups.join(a, "w1", Seating.one("w1", 1, slot))
    assert again.already
    refused, _ = await signups.join(a, "w2", Seating.one("w2", 5, slot))
    assert (refused.seat, refused.conflict) == (None, Seat("w1", "confirmed", 0))
    both = Seating({"w1": 1, "w2": 5}, {"w1": "s", "w2": "s"})
    switched, promoted = await signups.join(a, "w2", both, switch=True)
    assert switched.seat.state == "confirmed"
    # The seat a switch frees goes to the first person waiting, as when someone leaves.
    assert promoted == [Promotion(b, "w1")]
    assert await signups.counts() == {"w1": (1, 0), "w2": (1, 0)}
    assert (await signups.seats_of(b))[0].state == "confirmed"
    await db.close()


async def test_checkin_counts_once(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    (a,) = await _people(db, clock, 1)
    checkins = CheckinRepository(db, clock)
    assert await checkins.check_in(a) is True
    assert await checkins.check_in(a) is False
    assert await checkins.count() == 1
    await db.close()


async def test_prompts_are_planned_idempotently_and_claimed_once(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    (a,) = await _people(db, clock, 1)
    prompts = PromptRepository(db, clock)
    soon = clock.now() + timedelta(minutes=10)
    plan = [
        PlannedPrompt("session:x:1", "session", a, "x", soon),
        PlannedPrompt("day_before:1", "day_before", a, None, soon),
    ]
    await prompts.plan(a, ("session", "day_before"), plan)
    await prompts.plan(a, ("session", "day_before"), plan)
    assert len(await prompts.of_user(a)) == 2
    await prompts.plan(a, ("session", "day_before"), plan[:1])  # one no longer wanted
    assert [k for k, _, _ in await prompts.of_user(a)] == ["session:x:1"]
    assert await prompts.claim_due() == []
    clock.advance(timedelta(minutes=11))
    claimed = await prompts.claim_due()
    assert [p.key for p in claimed] == ["session:x:1"]
    assert await prompts.claim_due() == []  # claimed rows are not handed out twice
    assert await prompts.release_in_flight() == 1  # a crash: back to pending
    assert [p.key for p in await prompts.claim_due()] == ["session:x:1"]
    await db.close()
