"""`multaqa broadcast`: send a campaign from a laptop, with a terminal progress bar.

It uses the same ledger and sender as the bot: stopping it (Ctrl-C) leaves the campaign
`sending`, and `--resume ID` (or the bot's next start) goes on where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from bot.cli import texts as out
from bot.outbound.campaigns import CampaignRunner
from bot.outbound.sender import BulkSender, SendPolicy
from bot.settings import Settings
from storage.campaigns import Audience, Campaign, CampaignRepository, Progress
from storage.clock import SystemClock
from storage.database import Database

TEXT_LIMIT = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `multaqa broadcast`."""
    parser.add_argument("--text", type=Path, help=out.text("cli.help_bc_text"))
    for code in ("ar", "fr", "en"):
        parser.add_argument(
            f"--text-{code}", type=Path, help=out.text("cli.help_bc_text_lang", code=code)
        )
    parser.add_argument("--audience", default="everyone", help=out.text("cli.help_bc_audience"))
    parser.add_argument("--yes", action="store_true", help=out.text("cli.help_bc_yes"))
    parser.add_argument("--resume", type=int, metavar="ID", help=out.text("cli.help_bc_resume"))


def _texts(args: argparse.Namespace, default_locale: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    if args.text:
        texts[default_locale] = args.text.read_text(encoding="utf-8").strip()
    for code in ("ar", "fr", "en"):
        path = getattr(args, f"text_{code}")
        if path:
            texts[code] = path.read_text(encoding="utf-8").strip()
    return texts


def problems_with(args: argparse.Namespace, settings: Settings) -> list[str]:
    """Everything wrong with the arguments, all at once (in the organizer's language)."""
    problems = []
    if args.resume is None:
        try:
            texts = _texts(args, settings.default_locale)
        except OSError as exc:
            return [out.text("cli.bc_cannot_read", error=str(exc))]
        except UnicodeDecodeError:
            return [out.text("cli.bc_not_utf8")]
        if not texts:
            problems.append(out.text("cli.bc_no_text"))
        problems += [
            out.text("cli.bc_empty", code=code) for code, text in texts.items() if not text
        ]
        limit = out.t().plural("count.characters", TEXT_LIMIT)
        problems += [
            out.text("cli.bc_too_long", code=code, limit=limit)
            for code, text in texts.items()
            if len(text) > TEXT_LIMIT
        ]
        try:
            audience = Audience.parse(args.audience)
        except ValueError as exc:
            problems.append(out.text("cli.bc_bad_audience", problem=str(exc)))
        else:
            known = {"region": settings.regions, "function": settings.functions}
            if audience.kind in known and audience.code not in known[audience.kind]:
                key = f"cli.bc_unknown_{audience.kind}"
                problems.append(out.text(key, code=audience.code or ""))
    return problems


class _Bar:
    """Turns the runner's progress reports into a tqdm bar."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    async def __call__(self, campaign: Campaign, progress: Progress, finished: bool) -> None:
        if self.bar is None:
            desc = out.text("cli.bc_bar", id=campaign.id)
            self.bar = tqdm(total=progress.total, unit="msg", desc=desc)
        settled = progress.total - progress.remaining
        self.bar.update(settled - self.bar.n)
        self.bar.set_postfix(
            sent=progress.sent, failed=progress.failed, unreachable=progress.unreachable
        )
        if finished:
            self.bar.close()


def ask(question: str) -> bool:
    """A yes/no question on the terminal; no answer (no terminal) means no."""
    try:
        return input(question).strip().lower() in out.YES
    except EOFError:
        print()
        return False


async def run_broadcast(
    args: argparse.Namespace, settings: Settings, confirm: Callable[[str], bool] = ask
) -> int:
    """Create (or resume) the campaign and send it; returns the exit status."""
    from telegram.ext import ExtBot

    from bot.transport import make_request

    clock = SystemClock()
    db = await Database(settings.database_path).open()
    policy = SendPolicy(per_second=settings.broadcast_rate)
    bot = ExtBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
        request=make_request(settings.transport, policy.concurrency + 4),
    )
    repo = CampaignRepository(db, clock, settings.default_locale)
    bar = _Bar()
    runner = CampaignRunner(
        repo,
        BulkSender(bot, policy),
        settings.default_locale,
        bar,
        progress_every=0.5,
        fallback=settings.broadcast_fallback,
        owner=f"cli:{os.getpid()}:{uuid.uuid4().hex[:8]}",
    )
    try:
        await bot.initialize()
        if args.resume is not None:
            campaign_id = args.resume
            campaign = await repo.get(campaign_id)
            if campaign is None or campaign.state not in ("sending", "paused"):
                out.echo("cli.bc_cannot_resume", file=sys.stderr, id=campaign_id)
                return 2
            await repo.set_state(campaign_id, "sending", only_from=("paused",))
            if not await repo.take(campaign_id, runner.owner, runner.lease_seconds):
                out.echo("cli.bc_taken", file=sys.stderr, id=campaign_id)
                return 2
        else:
            audience = Audience.parse(args.audience)
            count = await repo.count_audience(audience)
            out.echo_plural("cli.bc_recipients", count, audience=audience.expression())
            if not args.yes and not confirm(out.text("cli.bc_confirm") + " "):
                out.echo("cli.nothing_sent")
                return 1
            campaign_id = await repo.create(
                None, settings.default_locale, audience, _texts(args, settings.default_locale)
            )
            await repo.start(campaign_id, runner.owner, runner.lease_seconds)
        task = runner.launch(campaign_id)
        try:
            await task
        except asyncio.CancelledError:
            await runner.stop(campaign_id)
            raise
        progress = await repo.progress(campaign_id)
        out.echo(
            "cli.bc_done",
            id=campaign_id,
            sent=progress.sent,
            total=progress.total,
            unreachable=progress.unreachable,
            failed=progress.failed,
        )
        return 0
    finally:
        await runner.shutdown()
        await bot.shutdown()
        await db.close()
