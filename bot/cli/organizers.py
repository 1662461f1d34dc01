"""`multaqa export`, `multaqa purge`, `multaqa backup`: the organizers' tools on the terminal.
They work on the database file while the bot runs (SQLite WAL; the backup API)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write into")
    parser.add_argument(
        "--language", choices=SUPPORTED_LOCALES, help="headers and labels (default: DEFAULT_LOCALE)"
    )


def add_purge_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa purge`."""
    parser.add_argument("--yes", action="store_true", help="purge without asking")


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa backup`."""
    parser.add_argument("--out", type=Path, help="the copy to write (default: BACKUP_DIR, rotated)")


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
    """Anonymise personal data once the retention period is over; organizers are told."""
    clock = clock or SystemClock()
    db, desk = await _desk(settings, clock)
    try:
        due = await desk.purge_due_at()
        if due is None:
            print("No event loaded: nothing to purge (the retention period counts from its end).")
            return 0
        if clock.now() < due:
            print(f"Retention period not over: personal data is kept until {due.isoformat()}.")
            return 0
        if not args.yes:
            answer = await asyncio.to_thread(
                input, "Anonymise every participant's personal data now? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes", "o", "oui"):
                print("Nothing purged.")
                return 1
        report = await desk.purge_if_due()
        erased = report.erased
        assert erased is not None
        await AuditLog(db, clock).record(None, "privacy.purge", "", {"people": erased.people})
        texts = Translations(settings.default_locale)
        notices = []
        stamp = clock.now().strftime("%Y%m%dT%H%M%S")
        if erased.people:
            for user_id in await RoleRepository(db, clock).holders("organizer"):
                t = texts[settings.default_locale]
                notices.append(
                    (
                        f"purge:cli:{stamp}:{user_id}",
                        user_id,
                        t(
                            "privacy.purged",
                            people=erased.people,
                            cleared=erased.proposals_cleared,
                            kept=erased.proposals_kept,
                            days=settings.retention_days,
                        ),
                        [],
                    )
                )
            await OrganizerDesk(db, clock).add_notices(notices)
    finally:
        await db.close()
    print(
        f"purged: {erased.people} participant(s) anonymised, {erased.proposals_cleared} "
        f"proposal text(s) erased, {erased.proposals_kept} kept in recommendations"
    )
    return 0


async def run_backup(
    args: argparse.Namespace, settings: Settings, clock: Clock | None = None
) -> int:
    """A consistent copy of the database, even while the bot runs."""
    clock = clock or SystemClock()
    if not settings.database_path.exists():
        print(f"no database at {settings.database_path}", file=sys.stderr)
        return 2
    db, desk = await _desk(settings, clock)
    try:
        path = await desk.backup(args.out)
    finally:
        await db.close()
    print(path)
    return 0
