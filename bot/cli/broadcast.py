"""`multaqa broadcast`: send a campaign from a laptop, with a terminal progress bar.

It uses the same ledger and sender as the bot: stopping it (Ctrl-C) leaves the campaign
`sending`, and `--resume ID` (or the bot's next start) goes on where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from bot.outbound.campaigns import CampaignRunner
from bot.outbound.sender import BulkSender, SendPolicy
from bot.settings import Settings
from storage.campaigns import Audience, Campaign, CampaignRepository, Progress
from storage.clock import SystemClock
from storage.database import Database

TEXT_LIMIT = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `multaqa broadcast`."""
    parser.add_argument("--text", type=Path, help="file with the message (Telegram HTML)")
    for code in ("ar", "fr", "en"):
        parser.add_argument(f"--text-{code}", type=Path, help=f"the {code} version (optional)")
    parser.add_argument(
        "--audience",
        default="everyone",
        help="everyone | organizers | delegates | checked_in | not_checked_in | region=CODE | "
        "function=CODE | workshop=ID (confirmed seats) | waitlist=ID",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--resume", type=int, metavar="ID", help="go on with a stopped campaign")


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
    """Everything wrong with the arguments, all at once."""
    problems = []
    if args.resume is None:
        try:
            texts = _texts(args, settings.default_locale)
        except OSError as exc:
            return [f"cannot read a text file: {exc}"]
        if not texts:
            problems.append("give the message with --text FILE (or --text-ar/--text-fr/--text-en)")
        problems += [f"the {code} text is empty" for code, text in texts.items() if not text]
        problems += [
            f"the {code} text is longer than {TEXT_LIMIT} characters"
            for code, text in texts.items()
            if len(text) > TEXT_LIMIT
        ]
        try:
            audience = Audience.parse(args.audience)
        except ValueError as exc:
            problems.append(f"--audience: {exc}")
        else:
            known = {"region": settings.regions, "function": settings.functions}
            if audience.kind in known and audience.code not in known[audience.kind]:
                problems.append(f"--audience: unknown {audience.kind} {audience.code!r}")
    return problems


class _Bar:
    """Turns the runner's progress reports into a tqdm bar."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    async def __call__(self, campaign: Campaign, progress: Progress, finished: bool) -> None:
        if self.bar is None:
            self.bar = tqdm(total=progress.total, unit="msg", desc=f"campaign {campaign.id}")
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
        return input(question).strip().lower() in ("y", "yes", "o", "oui")
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
    )
    try:
        await bot.initialize()
        if args.resume is not None:
            campaign_id = args.resume
            campaign = await repo.get(campaign_id)
            if campaign is None or campaign.state not in ("sending", "paused"):
                print(f"campaign {campaign_id} cannot be resumed", file=sys.stderr)
                return 2
            await repo.set_state(campaign_id, "sending", only_from=("paused",))
            await repo.release_in_flight(campaign_id)
        else:
            audience = Audience.parse(args.audience)
            count = await repo.count_audience(audience)
            print(f"{count} recipient(s) in audience {audience.expression()}")
            if not args.yes and not confirm("Send now? [y/N] "):
                print("Nothing sent.")
                return 1
            campaign_id = await repo.create(
                None, settings.default_locale, audience, _texts(args, settings.default_locale)
            )
            await repo.start(campaign_id)
        task = runner.launch(campaign_id)
        try:
            await task
        except asyncio.CancelledError:
            await runner.stop(campaign_id)
            raise
        progress = await repo.progress(campaign_id)
        print(
            f"campaign {campaign_id}: delivered {progress.sent} of {progress.total}, "
            f"unreachable {progress.unreachable}, failed {progress.failed}"
        )
        return 0
    finally:
        await runner.shutdown()
        await bot.shutdown()
        await db.close()
