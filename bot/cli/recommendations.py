"""`multaqa recommendations import FILE`: the plan (rows kept, rows refused), then create."""

from __future__ import annotations

from pathlib import Path

from bot.cli import texts as out
from bot.cli.broadcast import ask
from bot.documents.rec_import import apply_import, plan_import
from bot.event.service import EventService
from bot.followup.service import FollowUpService
from bot.i18n import shown
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
        t = out.t()
        if plan.file_problem:
            out.echo(
                "cli.ri_file_problem", file_name=str(path), problem=shown(t, plan.file_problem)
            )
            return 2
        for item in plan.planned:
            out.echo(
                "cli.ri_planned",
                row=item.row,
                workshop=item.workshop_id or t("cli.ri_general"),
                text=item.text[:60],
                owner=item.owner_label or t("cli.ri_no_owner"),
                due=item.due.isoformat() if item.due else t("cli.ri_no_due"),
            )
        for problem in plan.problems:
            out.echo("cli.ri_not_used", row=problem.row, reason=shown(t, problem.reason))
        for problem in plan.identical:
            out.echo("cli.ri_already_there", row=problem.row, reason=shown(t, problem.reason))
        out.echo(
            "cli.ri_summary",
            planned=t.plural("cli.ri_to_create", len(plan.planned)),
            problems=t.plural("count.row_problems", len(plan.problems)),
        )
        if not plan.planned:
            return 2 if plan.problems else 0
        if not yes and not ask(out.plural("cli.ri_confirm", len(plan.planned)) + " "):
            out.echo("cli.ri_nothing")
            return 1
        created = await apply_import(plan, recommendations, None)
        await FollowUpService.for_database(db, settings, clock).adopt_new(created, None)
        refs = t.plain("common.list_separator").join(f"R-{i}" for i in created)
        out.echo_plural("cli.ri_created", len(created), refs=refs)
        return 0
    finally:
        await db.close()
