"""Recommendations read in bulk: the organizers' list (every recommendation with its source
proposals) and the follow-up export (every timeline) read the same as one by one, in a few
queries however many recommendations there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from storage.clock import FakeClock
from storage.database import Database
from storage.followup import FollowUpRepository
from storage.participants import ParticipantRepository, ProfileFields
from storage.proposals import ProposalRepository, RecommendationRepository


def _count_reads(db: Database) -> Callable[[], int]:
    """Counts the database's reads from now on; returns the counter."""
    reads = 0
    fetchall = db.fetchall

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await fetchall(*args, **kwargs)

    db.fetchall = counted  # type: ignore[method-assign]
    return lambda: reads


async def _recommendations(
    db: Database, clock: FakeClock, n: int
) -> tuple[RecommendationRepository, list[int]]:
    """N recommendations in two workshops and the general theme; every other one merges the
    proposals of two authors, and every fourth one a third proposal later."""
    people = ParticipantRepository(db, clock)
    for user_id in (7, 101, 102, 200):  # the authors, and a delegate
        fields = ProfileFields(
            "fr", clock.now(), f"P{user_id}", "inspector", None, "oriental", "U", None
        )
        await people.save_profile(user_id, user_id, fields)
    proposals = ProposalRepository(db, clock)
    recommendations = RecommendationRepository(db, clock)
    ids = []
    for i in range(n):
        workshop = ("management", "partnerships", None)[i % 3]
        sources = []
        if i % 2 == 0:
            sources = [await proposals.create(100 + k, "general", f"P{i}.{k}", []) for k in (1, 2)]
        ids.append(
            await recommendations.create(
                workshop, f"R{i}", "fr", None, date(2019, 6, 1), 1, sources[::-1]
            )
        )
        if i % 4 == 0:  # a proposal merged later joins the others
            late = await proposals.create(200, "general", f"late {i}", [])
            await recommendations.merge(ids[-1], late, 1)
    return recommendations, ids


async def test_every_recommendation_comes_with_its_sources_as_get_gives_them(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "d.db").open()
    try:
        recommendations, ids = await _recommendations(db, clock, 9)
        one_by_one = [await recommendations.get(rec_id) for rec_id in ids]
        assert await recommendations.all() == one_by_one
        assert one_by_one[0] is not None and len(one_by_one[0].sources) == 3
        assert await recommendations.all("management") == [
            r for r in one_by_one if r is not None and r.workshop_id == "management"
        ]
        assert await recommendations.all("nowhere") == []
    finally:
        await db.close()


async def test_the_list_takes_as_many_queries_for_thirty_recommendations_as_for_three(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    few = await Database(tmp_path / "few.db").open()
    many = await Database(tmp_path / "many.db").open()
    try:
        reads = []
        for db, n in ((few, 3), (many, 30)):
            recommendations, _ = await _recommendations(db, clock, n)
            counter = _count_reads(db)
            assert len(await recommendations.all()) == n
            reads.append(counter())
        assert reads[0] == reads[1] <= 2
    finally:
        await few.close()
        await many.close()


async def test_timelines_are_each_recommendations_timeline_in_one_query(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "d.db").open()
    try:
        _, ids = await _recommendations(db, clock, 4)
        repo = FollowUpRepository(db, clock)
        await repo.assign(ids[0], 7, 1)
        await repo.record(ids[0], 7, "in_progress", 20, "started")
        await repo.record(ids[0], 7, "blocked", None, "same moment: kept in the order written")
        clock.advance(timedelta(days=1))
        await repo.record(ids[2], 7, "done")
        await repo.extend(ids[2], date(2019, 9, 1), 1)
        await repo.record(ids[0], 7, "in_progress", 40)
        counter = _count_reads(db)
        timelines = await repo.timelines()
        assert counter() == 1
        assert timelines == {rec_id: await repo.timeline(rec_id) for rec_id in (ids[0], ids[2])}
        assert [u.kind for u in timelines[ids[0]]] == ["owner", "status", "status", "status"]
        assert [u.progress for u in timelines[ids[0]][1:]] == [20, 20, 40]
    finally:
        await db.close()
