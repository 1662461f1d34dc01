"""`multaqa recommendations import FILE`: the plan (rows kept, rows refused), then create."""

from __future__ import annotations

from pathlib import Path

from bot.cli.broadcast import ask
from bot.documents.rec_import import apply_import, plan_import
from bot.event.service import EventService
from bot.settings import Settings
from storage.clock import SystemClock
from storage.database import Database
from storage.participants import ParticipantRepository
from storage.proposals import RecommendationRepository


async def run_import(path: Path, data: bytes, settings: Settings, yes: bool) -> int:
    """Plan, print, confirm, create; 0 when something was created or nothing was to be."""
    clock = SystemClock()
    db = await Database(settings.database_path).open()
    try:
        participants = ParticipantRepository(db, clock)
        service = EventService.for_database(db, settings, clock)
        event = await service.current()
        today = await service.today()
        recommendations = RecommendationRepository(db, clock)
        plan = await plan_import(data, path.name, event, participants, today, recommendations)
        if plan.file_problem:
            print(f"{path}: {plan.file_problem}")
            return 2
        for item in plan.planned:
            owner = item.owner_label or "no owner"
            due = item.due.isoformat() if item.due else "no due date"
            print(
                f"  row {item.row}: [{item.workshop_id or 'general'}] {item.text[:60]} "
                f"— {owner}, {due}"
            )
        for problem in plan.problems:
            print(f"  row {problem.row}: NOT USED — {problem.reason}")
        for problem in plan.identical:
            print(f"  row {problem.row}: ALREADY THERE — {problem.reason}")
        print(f"{len(plan.planned)} to create, {len(plan.problems)} row problem(s)")
        if not plan.planned:
            return 2 if plan.problems else 0
        if not yes and not ask(f"Create {len(plan.planned)} recommendation(s)? [y/N] "):
            print("Nothing created.")
            return 1
        created = await apply_import(plan, recommendations, None)
        print(f"created {len(created)}: " + ", ".join(f"R-{i}" for i in created))
        return 0
    finally:
        await db.close()
