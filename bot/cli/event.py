"""`multaqa event check FILE` and `multaqa event load FILE [--force]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import texts as out
from bot.event.checks import missing_languages
from bot.event.file import EventDefinition, EventFileError, load_event_file
from bot.event.service import EventService, LoadReport
from bot.event.startup import stamp
from bot.settings import SUPPORTED_LOCALES, Settings
from storage.clock import SystemClock
from storage.database import Database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommands of `multaqa event`."""
    sub = parser.add_subparsers(dest="event_command", required=True)
    check = sub.add_parser("check", help=out.text("cli.help_event_check"))
    check.add_argument("file", type=Path)
    load = sub.add_parser("load", help=out.text("cli.help_event_load"))
    load.add_argument("file", type=Path)
    load.add_argument(
        "--force",
        action="store_true",
        help=out.text("cli.help_event_force"),
    )


def check_file(path: Path) -> tuple[EventDefinition | None, list[object]]:
    """The definition, or every problem found."""
    try:
        return load_event_file(path), []
    except EventFileError as exc:
        return None, list(exc.problems)


def warning_lines(definition: EventDefinition) -> list[str]:
    """What a valid file would still do better: a room, speaker or facilitator missing a
    language the bot offers (its readers see it in another)."""
    return [
        out.text("cli.warning_line", problem=out.shown(problem.render(None)))
        for problem in missing_languages(definition, SUPPORTED_LOCALES)
    ]


def summary(definition: EventDefinition) -> str:
    """One line about a valid file."""
    t = out.t()
    return out.text(
        "cli.event_summary",
        slug=definition.event.slug,
        items=t.plural("count.agenda_items", len(definition.agenda)),
        workshops=t.plural("count.workshops", len(definition.workshops)),
        seats=t.plural("count.seats", sum(w.capacity for w in definition.workshops)),
    )


def describe(report: LoadReport) -> list[str]:
    """What a load did, for the terminal."""
    if report.version is None:
        return [out.plural("cli.load_refused", n, workshop=wid) for wid, n in report.blocked]
    lines = [out.plural("cli.loaded", len(report.changes), version=report.version)]
    lines += [
        out.text("cli.change_line", subject=c.subject, id=c.id, kind=c.kind) for c in report.changes
    ]
    t = out.t()
    lines.append(
        out.plural(
            "cli.loaded_told",
            report.notices,
            promoted=t.plural("count.promoted", report.promoted),
        )
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
