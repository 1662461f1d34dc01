"""`multaqa event check FILE` and `multaqa event load FILE [--force]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.event.file import EventDefinition, EventFileError, load_event_file
from bot.event.service import EventService, LoadReport
from bot.event.startup import stamp
from bot.settings import Settings
from storage.clock import SystemClock
from storage.database import Database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommands of `multaqa event`."""
    sub = parser.add_subparsers(dest="event_command", required=True)
    check = sub.add_parser("check", help="validate an event file and report every problem")
    check.add_argument("file", type=Path)
    load = sub.add_parser(
        "load", help="make an event file the event; participants are told what changed"
    )
    load.add_argument("file", type=Path)
    load.add_argument(
        "--force",
        action="store_true",
        help="remove workshops even if people signed up (they are told)",
    )


def check_file(path: Path) -> tuple[EventDefinition | None, list[str]]:
    """The definition, or every problem found."""
    try:
        return load_event_file(path), []
    except EventFileError as exc:
        return None, exc.problems


def summary(definition: EventDefinition) -> str:
    """One line about a valid file."""
    return (
        f"{definition.event.slug}: {len(definition.agenda)} agenda items, "
        f"{len(definition.workshops)} workshops, "
        f"{sum(w.capacity for w in definition.workshops)} workshop seats"
    )


def describe(report: LoadReport) -> list[str]:
    """What a load did, for the terminal."""
    if report.version is None:
        return [
            f"refused: workshop {wid!r} has {n} sign-up(s); use --force to remove it "
            f"(those people are told)"
            for wid, n in report.blocked
        ]
    lines = [f"loaded as version {report.version}: {len(report.changes)} change(s)"]
    lines += [f"  {c.subject} {c.id}: {c.kind}" for c in report.changes]
    lines.append(
        f"{report.notices} participant(s) will be told; {report.promoted} promoted "
        "from waiting lists"
    )
    return lines


async def load_file(
    path: Path, settings: Settings, force: bool, definition: EventDefinition | None = None
) -> LoadReport:
    """Load into the database (`definition`: the file already parsed by `check_file`); the
    bot's clock delivers the notices."""
    clock = SystemClock()
    db = await Database(settings.database_path).open()
    try:
        service = EventService.for_database(db, settings, clock)
        # Recorded with the file's hash: if it is EVENT_FILE, the bot will not load it again.
        file, _ = stamp(path)
        new = definition if definition is not None else load_event_file(path)
        return await service.load(new, None, force=force, file=file)
    finally:
        await db.close()
