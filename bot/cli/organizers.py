"""`multaqa export`, `multaqa purge`, `multaqa backup`: the organizers' tools on the terminal.
They work on the database file while the bot runs (SQLite WAL; the backup API)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli import texts as out
from bot.desk import Desk
from bot.i18n import Translations
from bot.settings import SUPPORTED_LOCALES, Settings
from storage.clock import Clock, SystemClock
from storage.database import Database
from storage.organizers import OrganizerDesk
from storage.roles import AuditLog, RoleRepository


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa export`."""
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--out", type=Path, default=Path("."), help=out.text("cli.help_export_out"))
    parser.add_argument(
        "--language", choices=SUPPORTED_LOCALES, help=out.text("cli.help_export_language")
    )


def add_purge_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa purge`."""
    parser.add_argument("--yes", action="store_true", help=out.text("cli.help_purge_yes"))


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa backup`."""
    parser.add_argument("--out", type=Path, help=out.text("cli.help_backup_out"))


async def _desk(settings: Settings, clock: Clock) -> tuple[Database, Desk]:
    db = await Database(settings.database_path).open()
    return db, Desk.for_database(db, settings, clock)


async def run_export(
    args: argparse.Namespace, settings: Settings, clock: Clock | None = None
) -> int:
    """Write the export; prints the files."""
    clock = clock or SystemClock()
    db, desk = await _desk(settings, clock)
    try:
        t = Translations(settings.default_locale)[args.language or settings.default_locale]
        paths = await desk.export(t, args.format, args.out)
        await AuditLog(db, clock).record(None, "export", args.format, {"via": "cli"})
    finally:
        await db.close()
    for path in paths:
        print(path)
    return 0


async def run_purge(
    args: argparse.Namespace, settings: Settings, clock: Clock | None = None
) -> int:
    """Anonymise personal data once the retention period is over; organizers are told (in
    the bot's default language); the terminal reads this run's language (bot.cli.texts)."""
    clock = clock or SystemClock()
    if not args.yes and not sys.stdin.isatty():  # nobody to answer the question
        out.echo("cli.purge_needs_yes", file=sys.stderr)
        return 2
    t = Translations(settings.default_locale)[settings.default_locale]
    db, desk = await _desk(settings, clock)
    try:
        due = await desk.purge_due_at()
        if due is None:
            out.echo("cli.purge_no_event")
            return 0
        if clock.now() < due:
            out.echo("cli.purge_not_yet", date=out.t().datetime(due, settings.zone))
            return 0
        if not args.yes:
            try:
                answer = await asyncio.to_thread(input, out.text("cli.purge_confirm") + " ")
            except EOFError:  # Ctrl-D: no answer is no
                answer = ""
            if answer.strip().lower() not in out.YES:
                out.echo("cli.purge_nothing")
                return 1
        report = await desk.purge_if_due()
        erased = report.erased
        assert erased is not None
        await AuditLog(db, clock).record(None, "privacy.purge", "", {"people": erased.people})
        counts = {
            "people": erased.people,
            "cleared": erased.proposals_cleared,
            "kept": erased.proposals_kept,
            "days": settings.retention_days,
        }
        done = t("privacy.purged", **counts)
        if erased.people:  # organizers are told by the bot (it delivers these rows)
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            organizers = await RoleRepository(db, clock).holders("organizer")
            await OrganizerDesk(db, clock).add_notices(
                [(f"purge:cli:{stamp}:{uid}", uid, done, []) for uid in organizers]
            )
    finally:
        await db.close()
    out.echo("privacy.purged", **counts)
    return 0


async def run_backup(
    args: argparse.Namespace, settings: Settings, clock: Clock | None = None
) -> int:
    """A consistent copy of the database, even while the bot runs."""
    clock = clock or SystemClock()
    if not settings.database_path.exists():
        out.echo("cli.no_database", file=sys.stderr, path=str(settings.database_path))
        return 2
    db, desk = await _desk(settings, clock)
    try:
        path = await desk.backup(args.out)
    finally:
        await db.close()
    print(path)
    return 0
