"""The `multaqa` command line. What it prints comes from the catalogue, in the language of
`--lang`, else LANG, else DEFAULT_LOCALE (see bot.cli.texts)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import texts as out
from bot.settings import SettingsError, load_settings

EXIT_CONFIG = 2


def _configure_logging(level: str, token: str = "") -> None:
    from bot.logs import configure

    configure(level, [token])


def _fail(title: str, problems: Sequence[object]) -> int:
    for line in out.fail_lines(title, problems):
        print(line, file=sys.stderr)
    return EXIT_CONFIG


def _config_failed(exc: SettingsError) -> int:
    return _fail(out.text("cli.cannot_start_config"), exc.problems)


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot with long polling until SIGINT/SIGTERM."""
    import asyncio

    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.intake import AlreadyRunningError
    from storage.database import DatabaseTooNewError, DatabaseUnavailableError

    overrides = {} if args.web_port is None else {"web_port": args.web_port}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        return _config_failed(exc)
    _configure_logging(settings.log_level, settings.bot_token.get_secret_value())
    if settings.event_file is not None:
        from bot.cli.event import check_file

        definition, problems = check_file(settings.event_file)
        if definition is None:
            title = out.plural(
                "cli.event_file_problems", len(problems), file=str(settings.event_file)
            )
            return _fail(title, problems)
    try:
        application = build_application(settings)
    except ValueError as exc:
        return _fail(out.text("cli.cannot_start"), [str(exc)])
    logging.getLogger("multaqa").info("starting")
    try:
        asyncio.run(_serve(application))
    except AlreadyRunningError as exc:
        return _fail(out.text("cli.cannot_start"), [str(exc), out.text("cli.already_running")])
    except (DatabaseTooNewError, DatabaseUnavailableError) as exc:
        return _fail(out.text("cli.cannot_start"), [str(exc)])
    except InvalidToken:
        return _fail(out.text("cli.cannot_start"), [out.text("cli.bad_token")])
    except NetworkError as exc:
        return _fail(
            out.text("cli.cannot_start"),
            [out.text("cli.telegram_unreachable", kind=type(exc).__name__)],
        )
    return 0


async def _serve(application) -> None:  # type: ignore[no-untyped-def]
    """Run until SIGINT/SIGTERM, through the same start and stop as the tests."""
    import asyncio
    import signal

    from bot.intake import start_bot, stop_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await start_bot(application)
    try:
        await stop.wait()
    finally:
        await stop_bot(application)


def cmd_broadcast(args: argparse.Namespace) -> int:
    """Send a campaign from the command line."""
    import asyncio

    from bot.cli.broadcast import problems_with, run_broadcast

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _config_failed(exc)
    problems = problems_with(args, settings)
    if problems:
        return _fail(out.text("cli.broadcast_nothing_sent"), problems)
    _configure_logging("WARNING", settings.bot_token.get_secret_value())
    try:
        return asyncio.run(run_broadcast(args, settings))
    except KeyboardInterrupt:
        out.echo("cli.broadcast_stopped", file=sys.stderr)
        return 130


def cmd_event(args: argparse.Namespace) -> int:
    """Check or load an event file."""
    import asyncio

    from bot.cli.event import check_file, describe, load_file, summary, warning_lines

    definition, problems = check_file(args.file)
    if definition is None:
        return _fail(out.plural("cli.file_problems", len(problems), file=str(args.file)), problems)
    out.echo("cli.file_valid", file_name=str(args.file), summary=summary(definition))
    for line in warning_lines(definition):  # warnings: the file is valid all the same
        print(line)
    if args.event_command == "check":
        return 0
    try:
        settings = load_settings(telegram=False)
    except SettingsError as exc:
        return _config_failed(exc)
    report = asyncio.run(load_file(args.file, settings, args.force, definition))
    for line in describe(report):
        print(line)  # already in the organizer's language (bot.cli.event)
    return 0 if report.version is not None else EXIT_CONFIG


def cmd_recommendations(args: argparse.Namespace) -> int:
    """Import recommendations from a CSV/XLSX table: show the plan, then create on yes."""
    import asyncio

    from bot.cli.recommendations import run_import

    try:
        settings = load_settings(telegram=False)
    except SettingsError as exc:
        return _config_failed(exc)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail(out.text("cli.cannot_read", file=str(args.file)), [exc.strerror or str(exc)])
    return asyncio.run(run_import(args.file, data, settings, args.yes))


def cmd_qr(args: argparse.Namespace) -> int:
    """Write the check-in (or registration) poster."""
    import asyncio

    from bot.cli.qr import TelegramUnreachable, make_poster

    try:  # Telegram is asked for the bot's username only when it is not given
        settings = load_settings(telegram=args.bot_username is None)
    except SettingsError as exc:
        return _config_failed(exc)
    try:
        invite = (args.invite, args.label or "", args.days) if args.invite else None
        written = asyncio.run(
            make_poster(settings, args.register, args.out, args.bot_username, invite)
        )
    except TelegramUnreachable as exc:
        print(exc, file=sys.stderr)  # one line, no traceback (already in a language)
        return EXIT_CONFIG
    except (RuntimeError, ValueError, OSError) as exc:
        return _fail(out.text("cli.qr_failed"), [exc.args[0] if exc.args else str(exc)])
    out.echo("cli.qr_written", path=str(written))
    return 0


def cmd_i18n(args: argparse.Namespace) -> int:
    """Check the catalogues against the code, or write the translators' template."""
    from bot.cli import i18n

    if args.i18n_command == "pot":
        out.echo("cli.i18n_pot_written", path=str(i18n.write_pot()))
        return 0
    problems = i18n.check()
    if problems:
        return _fail(out.plural("cli.i18n_problems", len(problems)), problems)
    out.echo("cli.i18n_ok", locales=out.t().plain("common.list_separator").join(i18n.locales_of()))
    return 0


def cmd_organizers(args: argparse.Namespace) -> int:
    """`multaqa export`, `purge`, `backup` (see bot.cli.organizers)."""
    import asyncio

    from bot.cli import organizers

    try:
        settings = load_settings(telegram=False)
    except SettingsError as exc:
        return _config_failed(exc)
    _configure_logging("WARNING")
    run = {
        "export": organizers.run_export,
        "purge": organizers.run_purge,
        "backup": organizers.run_backup,
    }[args.command]
    try:
        return asyncio.run(run(args, settings))
    except OSError as exc:
        return _fail(
            out.text("cli.command_failed", command=args.command), [exc.strerror or str(exc)]
        )


def cmd_roles(args: argparse.Namespace) -> int:
    """List, grant and revoke roles."""
    import asyncio

    from bot.cli.roles import run_roles
    from storage.database import DatabaseTooNewError

    try:
        settings = load_settings(telegram=False)
    except SettingsError as exc:
        return _config_failed(exc)
    try:
        return asyncio.run(run_roles(args, settings))
    except DatabaseTooNewError as exc:
        return _fail(out.text("cli.roles_failed"), [str(exc)])


def cmd_sandbox(args: argparse.Namespace) -> int:
    """The emulator, the bot against it and a web chat: try the bot with nothing to set up."""
    from bot.cli.sandbox import run_sandbox

    return run_sandbox(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="multaqa", description=out.text("cli.description"))
    parser.add_argument("--lang", help=out.text("cli.help_lang"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help=out.text("cli.help_run"))
    run.add_argument("--web-port", type=int, help=out.text("cli.help_web_port"))
    run.set_defaults(func=cmd_run)
    broadcast = sub.add_parser("broadcast", help=out.text("cli.help_broadcast"))
    from bot.cli.broadcast import add_arguments

    add_arguments(broadcast)
    broadcast.set_defaults(func=cmd_broadcast)
    event = sub.add_parser("event", help=out.text("cli.help_event"))
    from bot.cli.event import add_arguments as add_event_arguments

    add_event_arguments(event)
    event.set_defaults(func=cmd_event)
    recs = sub.add_parser("recommendations", help=out.text("cli.help_recommendations"))
    recs_sub = recs.add_subparsers(dest="recommendations_command", required=True)
    recs_import = recs_sub.add_parser("import", help=out.text("cli.help_recommendations_import"))
    recs_import.add_argument("file", type=Path)
    recs_import.add_argument("--yes", action="store_true", help=out.text("cli.help_create_yes"))
    recs_import.set_defaults(func=cmd_recommendations)
    qr = sub.add_parser("qr", help=out.text("cli.help_qr"))
    qr.add_argument("--register", action="store_true", help=out.text("cli.help_qr_register"))
    qr.add_argument("--out", type=Path, help=out.text("cli.help_qr_out"))
    qr.add_argument("--bot-username", help=out.text("cli.help_qr_bot_username"))
    qr.add_argument("--invite", type=int, metavar="REC", help=out.text("cli.help_qr_invite"))
    qr.add_argument("--label", help=out.text("cli.help_qr_label"))
    qr.add_argument("--days", type=int, default=14, help=out.text("cli.help_qr_days"))
    qr.set_defaults(func=cmd_qr)
    from bot.cli import organizers

    export = sub.add_parser("export", help=out.text("cli.help_export"))
    organizers.add_export_arguments(export)
    export.set_defaults(func=cmd_organizers)
    purge = sub.add_parser("purge", help=out.text("cli.help_purge"))
    organizers.add_purge_arguments(purge)
    purge.set_defaults(func=cmd_organizers)
    backup = sub.add_parser("backup", help=out.text("cli.help_backup"))
    organizers.add_backup_arguments(backup)
    backup.set_defaults(func=cmd_organizers)
    roles = sub.add_parser("roles", help=out.text("cli.help_roles"))
    from bot.cli.roles import add_arguments as add_roles_arguments

    add_roles_arguments(roles)
    roles.set_defaults(func=cmd_roles)
    texts = sub.add_parser("i18n", help=out.text("cli.help_i18n"))
    texts_sub = texts.add_subparsers(dest="i18n_command", required=True)
    texts_sub.add_parser("check", help=out.text("cli.help_i18n_check"))
    texts_sub.add_parser("pot", help=out.text("cli.help_i18n_pot"))
    texts.set_defaults(func=cmd_i18n)
    sandbox = sub.add_parser("sandbox", help=out.text("cli.help_sandbox"))
    from bot.cli.sandbox import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `multaqa` console script."""
    argv, lang = _take_lang(list(sys.argv[1:] if argv is None else argv))
    out.use_language(lang)
    with out.argparse_language():
        parser = build_parser()
        args = parser.parse_args(argv)
    from telegram.error import InvalidToken, NetworkError

    from storage.database import DatabaseTooNewError, DatabaseUnavailableError

    try:
        return int(args.func(args))
    except (DatabaseTooNewError, DatabaseUnavailableError) as exc:
        return _fail(out.text("cli.database_unusable", command=args.command), [str(exc)])
    # Every command that talks to Telegram: one line, never the exception (InvalidToken's
    # text holds the token) nor a traceback.
    except InvalidToken:
        out.echo("cli.token_refused", file=sys.stderr, command=args.command)
        return EXIT_CONFIG
    except NetworkError as exc:
        out.echo(
            "cli.telegram_unreachable_for",
            file=sys.stderr,
            command=args.command,
            kind=type(exc).__name__,
        )
        return EXIT_CONFIG


def _take_lang(argv: list[str]) -> tuple[list[str], str | None]:
    """`--lang CODE` (or `--lang=CODE`) anywhere on the line, taken out before parsing."""
    lang, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang" and i + 1 < len(argv):
            lang, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest, lang


if __name__ == "__main__":
    sys.exit(main())
