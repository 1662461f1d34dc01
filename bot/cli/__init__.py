"""The `multaqa` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import SettingsError, load_settings

EXIT_CONFIG = 2


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _fail(title: str, problems: Sequence[str]) -> int:
    print(title, file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_CONFIG


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot with long polling until SIGINT/SIGTERM."""
    from telegram import Update

    from bot.app import build_application
    from storage.database import DatabaseTooNewError

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail("Multaqa cannot start: the configuration has problems:", exc.problems)
    _configure_logging(settings.log_level)
    if settings.event_file is not None:
        from bot.cli.event import check_file

        definition, problems = check_file(settings.event_file)
        if definition is None:
            return _fail(f"EVENT_FILE {settings.event_file}: {len(problems)} problem(s):", problems)
    try:
        application = build_application(settings)
    except ValueError as exc:
        return _fail("Multaqa cannot start:", [str(exc)])
    logging.getLogger("multaqa").info("starting; database %s", settings.database_path)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    except DatabaseTooNewError as exc:
        return _fail("Multaqa cannot start:", [str(exc)])
    return 0


def cmd_broadcast(args: argparse.Namespace) -> int:
    """Send a campaign from the command line."""
    import asyncio

    from bot.cli.broadcast import problems_with, run_broadcast

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail("Multaqa cannot start: the configuration has problems:", exc.problems)
    problems = problems_with(args, settings)
    if problems:
        return _fail("multaqa broadcast: nothing sent:", problems)
    _configure_logging("WARNING")
    try:
        return asyncio.run(run_broadcast(args, settings))
    except KeyboardInterrupt:
        print("Stopped; go on later with --resume, or let the bot resume it.", file=sys.stderr)
        return 130


def cmd_event(args: argparse.Namespace) -> int:
    """Check or load an event file."""
    import asyncio

    from bot.cli.event import check_file, describe, load_file, summary

    definition, problems = check_file(args.file)
    if definition is None:
        return _fail(f"{args.file}: {len(problems)} problem(s):", problems)
    print(f"{args.file}: valid — {summary(definition)}")
    if args.event_command == "check":
        return 0
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail("Multaqa cannot start: the configuration has problems:", exc.problems)
    report = asyncio.run(load_file(args.file, settings, args.force, definition))
    for line in describe(report):
        print(line)
    return 0 if report.version is not None else EXIT_CONFIG


def cmd_recommendations(args: argparse.Namespace) -> int:
    """Import recommendations from a CSV/XLSX table: show the plan, then create on yes."""
    import asyncio

    from bot.cli.recommendations import run_import

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail("Multaqa cannot start: the configuration has problems:", exc.problems)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}:", [exc.strerror or str(exc)])
    return asyncio.run(run_import(args.file, data, settings, args.yes))


def cmd_qr(args: argparse.Namespace) -> int:
    """Write the check-in (or registration) poster."""
    import asyncio

    from bot.cli.qr import TelegramUnreachable, make_poster

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail("Multaqa cannot start: the configuration has problems:", exc.problems)
    try:
        out = asyncio.run(make_poster(settings, args.register, args.out, args.bot_username))
    except TelegramUnreachable as exc:
        print(exc, file=sys.stderr)  # one line, no traceback
        return EXIT_CONFIG
    except (RuntimeError, ValueError, OSError) as exc:
        return _fail("multaqa qr: no poster written:", [str(exc)])
    print(f"poster written to {out}")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Run the Bot API emulator as a standalone server."""
    from sandbox.__main__ import main as sandbox_main

    sandbox_main(args.rest)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="multaqa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (long polling)")
    run.set_defaults(func=cmd_run)
    broadcast = sub.add_parser("broadcast", help="send an announcement from the command line")
    from bot.cli.broadcast import add_arguments

    add_arguments(broadcast)
    broadcast.set_defaults(func=cmd_broadcast)
    event = sub.add_parser("event", help="check or load the event file")
    from bot.cli.event import add_arguments as add_event_arguments

    add_event_arguments(event)
    event.set_defaults(func=cmd_event)
    recs = sub.add_parser("recommendations", help="import recommendations from a table")
    recs_sub = recs.add_subparsers(dest="recommendations_command", required=True)
    recs_import = recs_sub.add_parser("import", help="CSV (UTF-8) or XLSX; see the README")
    recs_import.add_argument("file", type=Path)
    recs_import.add_argument("--yes", action="store_true", help="create without asking")
    recs_import.set_defaults(func=cmd_recommendations)
    qr = sub.add_parser("qr", help="write the check-in poster (PNG with a QR code)")
    qr.add_argument(
        "--register", action="store_true", help="the registration poster instead, for invitations"
    )
    qr.add_argument("--out", type=Path, help="the PNG to write (default: in this folder)")
    qr.add_argument("--bot-username", help="skip asking Telegram for the bot's username")
    qr.set_defaults(func=cmd_qr)
    sandbox = sub.add_parser("sandbox", help="run the local Bot API emulator")
    sandbox.add_argument("rest", nargs=argparse.REMAINDER, help="options for the emulator")
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `multaqa` console script."""
    parser = build_parser()
    # The emulator has its own options (`multaqa sandbox --port 8081`): pass them through.
    args, extra = parser.parse_known_args(argv)
    if args.command == "sandbox":
        args.rest = [*extra, *args.rest]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
