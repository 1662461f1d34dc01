"""Recommendations at size: N recommendations (half with a source proposal, each with an
owner and two answers in its timeline), all written through the storage layer, then

- `RecommendationRepository.all()`: what every page of the organizers' list (and of the
  "merge into" choice) reads, per press;
- the follow-up export: its two tables (recommendations, timeline) read and translated
  (`bot.followup.reports.export_tables`), then written as XLSX.

Each figure is the median of a few runs. The last line holds them as key=value pairs.

Run: .venv/bin/python -m benchmarks.recommendations --recommendations 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.event.file import load_event_file
from bot.followup import reports
from bot.followup.service import FollowUpService
from bot.settings import load_settings
from storage.clock import FakeClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields
from storage.proposals import NewRecommendation, ProposalRepository, RecommendationRepository

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "study-day.yaml"
TOKEN = "123456:BENCH"
WORKSHOPS = ("management", "partnerships", "training-offer", "repositioning", None)
START = datetime(2019, 1, 30, 9, 0, tzinfo=UTC)


async def _seed(db: Database, followup: FollowUpService, clock: FakeClock, n: int) -> None:
    """N recommendations with owners (one per four), sources and a short timeline."""
    await followup.event.load(load_event_file(EXAMPLE), None)
    people = ParticipantRepository(db, clock)
    owners = [20_000 + i for i in range(max(1, n // 4))]
    for i, user_id in enumerate(owners):
        locale = ("ar", "fr", "en")[i % 3]
        fields = ProfileFields(
            locale, clock.now(), f"مندوب {i}", "inspector", None, "oriental", "U", None
        )
        await people.save_profile(user_id, user_id, fields)
    proposals = ProposalRepository(db, clock)
    recommendations = RecommendationRepository(db, clock)
    due = date(2019, 6, 28)
    rows = [
        NewRecommendation(
            WORKSHOPS[i % len(WORKSHOPS)], f"توصية {i} — Recommendation {i}", "ar", None, due
        )
        for i in range(n)
    ]
    ids = await recommendations.create_many(rows, None)
    for i, rec_id in enumerate(ids):
        if i % 2 == 0:
            proposal = await proposals.create(owners[i % len(owners)], "general", f"P {i}", [])
            await recommendations.merge(rec_id, proposal, 1)
        await followup.repo.assign(rec_id, owners[i % len(owners)], None)
        clock.advance(timedelta(minutes=1))
        await followup.repo.record(rec_id, owners[i % len(owners)], "in_progress", 30, "بدأنا")
        clock.advance(timedelta(minutes=1))
        await followup.repo.record(rec_id, owners[i % len(owners)], "in_progress", 60, None)


async def _median(step: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="multaqa-bench-recs-") as folder:
        path = Path(folder) / "bench.db"
        settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path)
        clock = FakeClock(START)
        db = await Database(path).open()
        try:
            followup = FollowUpService.for_database(db, settings, clock)
            seeding = time.perf_counter()
            await _seed(db, followup, clock, args.recommendations)
            print(f"seeded {args.recommendations} in {time.perf_counter() - seeding:.1f} s")
            recommendations = RecommendationRepository(db, clock)
            t = followup.texts["fr"]
            all_s = await _median(recommendations.all, args.runs)
            tables_s = await _median(lambda: reports.export_tables(followup, t), args.runs)

            async def xlsx() -> bytes:
                tables = await reports.export_tables(followup, t)
                return await asyncio.to_thread(reports.xlsx_bytes, tables, False)

            xlsx_s = await _median(xlsx, args.runs)
        finally:
            await db.close()
    print(f"RecommendationRepository.all(): {all_s * 1000:.0f} ms")
    print(
        f"follow-up export: tables {tables_s * 1000:.0f} ms, with the XLSX {xlsx_s * 1000:.0f} ms"
    )
    print(
        f"recommendations={args.recommendations} all_ms={all_s * 1000:.0f} "
        f"export_tables_ms={tables_s * 1000:.0f} export_xlsx_ms={xlsx_s * 1000:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recommendations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
