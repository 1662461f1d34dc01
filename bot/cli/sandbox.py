"""`multaqa sandbox`: the emulator, the real bot against it, and a web chat, in one process.

Nothing to set up: no token, a fresh temporary database, the shipped example event. The bot
runs exactly as under `multaqa run` (same Application, same start_bot: lock file, durable inbox,
its own getUpdates loop); only its clock is an OffsetClock that the web page moves forward, so
reminders can be rehearsed in minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import texts as out

if TYPE_CHECKING:  # `multaqa --help` need not import the bot and the emulator
    from bot.context import Services
    from bot.event.file import EventDefinition
    from sandbox import BotApiEmulator
    from storage.clock import OffsetClock

DEFAULT_EVENT = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"
DEFAULT_PORT = 8080
REHEARSAL_HOUR = time(9, 0)  # a past event is rehearsed from 09:00 the day before it


@dataclass(frozen=True)
class Persona:
    """One person of the web chat: a Telegram user of their own."""

    user_id: int
    name: str
    role: str  # participant | organizer | delegate
    language_code: str


PERSONAS = (
    Persona(1001, "Amina", "participant", "ar"),
    Persona(1002, "Karim", "participant", "fr"),
    Persona(9001, "Nadia", "organizer", "fr"),
    Persona(5001, "Youssef", "delegate", "ar"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `multaqa sandbox`."""
    parser.add_argument(
        "--event", type=Path, default=DEFAULT_EVENT, help=out.text("cli.help_sandbox_event")
    )
    parser.add_argument("--db", type=Path, help=out.text("cli.help_sandbox_db"))
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=out.text("cli.help_default", value="8080")
    )
    parser.add_argument("--host", default="127.0.0.1", help=out.text("cli.help_sandbox_host"))
    parser.add_argument(
        "--dashboard-port", type=int, help=out.text("cli.help_sandbox_dashboard_port")
    )
    parser.add_argument(
        "--log-level", default="WARNING", help=out.text("cli.help_default", value="WARNING")
    )


def rehearsal_offset(definition: EventDefinition, now: datetime) -> timedelta:
    """How far to move the bot's clock so the event can be rehearsed: none while registration
    is open; otherwise (an event long past, like the example, or one not open yet) to 09:00
    the day before the event, kept inside the registration window, so that people can still
    register and every reminder is still to come."""
    info = definition.event
    if info.registration_opens <= now < info.registration_closes and now < info.start:
        return timedelta(0)
    zone = definition.zone
    day_before = info.start.astimezone(zone).date() - timedelta(days=1)
    target = datetime.combine(day_before, REHEARSAL_HOUR, zone)
    target = min(target, info.registration_closes - timedelta(hours=1))
    target = max(target, info.registration_opens)
    return target - now


class SandboxClock:
    """The bot's clock as the web page sees it: read, move forward, jump to what is due."""

    def __init__(self, clock: OffsetClock, services: Services, zone: Any) -> None:
        self.clock = clock
        self.services = services
        self.zone = zone

    def _local(self, when: datetime) -> str:
        return when.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    async def status(self) -> dict[str, Any]:
        from bot.outbound.schedule import next_for_people

        now = self.clock.now()
        due = await next_for_people(self.services)
        return {
            "now": now.isoformat(),
            "local": self._local(now),
            "zone": str(self.zone),
            "offset_seconds": int(self.clock.offset.total_seconds()),
            "next_due": None
            if due is None
            else {"at": due.at.isoformat(), "local": self._local(due.at), "kind": due.kind},
        }

    async def _plan(self) -> None:
        """Plan the rows of periods the clock has reached (follow-up digests and summaries are
        planned per period, not in advance), so that "next" can find them."""
        followup = getattr(self.services, "followup", None)
        if followup is not None and hasattr(followup, "sweep"):
            await followup.sweep()

    async def _deliver(self) -> None:
        """Hand due rows to the sender before answering, so the page sees them arrive."""
        from bot.outbound.schedule import tick

        await self._plan()
        await tick(self.services)

    async def _moved(self) -> None:
        """Kept with the database: a later run on it resumes at this moment, never earlier."""
        from storage.sandbox import note_clock

        await note_clock(self.services.db, self.clock.now())

    async def advance(self, seconds: float) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=seconds))
        await self._moved()
        await self._deliver()
        return {"moved": True, **await self.status()}

    async def to_next(self) -> dict[str, Any]:
        from bot.outbound.schedule import next_for_people

        await self._plan()
        due = await next_for_people(self.services)
        if due is None:
            return {"moved": False, **await self.status()}
        self.clock.advance_to(due.at)
        await self._moved()
        await self._deliver()
        return {"moved": True, "reached": due.kind, **await self.status()}


def add_personas(emu: BotApiEmulator) -> None:
    """The people of the web chat, each with a private chat (nobody has written yet)."""
    for persona in PERSONAS:
        emu.user(persona.name, language_code=persona.language_code, user_id=persona.user_id)
        emu.personas.append(
            {
                "id": persona.user_id,
                "name": persona.name,
                "role": persona.role,
                "language_code": persona.language_code,
            }
        )


async def _next_update_id(db_path: Path) -> int:
    """Where the emulator numbers updates from: after the highest id the database holds. Each
    emulator run starts afresh, while the bot's inbox keeps handled update ids for two days: a
    kept `--db` would otherwise take the new run's first messages for ones already handled."""
    from bot.intake import InstanceLock
    from storage.database import Database
    from storage.inbox import highest_update_id

    lock = InstanceLock(db_path)  # a database another bot runs on is refused, untouched
    lock.acquire()
    try:
        db = await Database(db_path).open()
        try:
            return await highest_update_id(db) + 1
        finally:
            await db.close()
    finally:
        lock.release()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_sandbox(args: argparse.Namespace) -> int:
    """Start everything, print the address, serve until Ctrl-C or SIGTERM."""
    from bot.cli import EXIT_CONFIG, _configure_logging, _fail
    from bot.cli.event import check_file
    from bot.intake import AlreadyRunningError
    from bot.settings import SettingsError
    from storage.database import DatabaseTooNewError, DatabaseUnavailableError
    from storage.sandbox import made_elsewhere

    definition, problems = check_file(args.event)
    if definition is None:
        return _fail(out.plural("cli.file_problems", len(problems), file=str(args.event)), problems)
    if not _is_loopback(args.host):  # the control API acts as anyone: say it is reachable
        print(out.text("cli.sandbox_host_exposed", host=args.host), file=sys.stderr, flush=True)
    if args.db is not None and made_elsewhere(args.db):
        print(out.text("cli.sandbox_real_db", file=str(args.db)), file=sys.stderr, flush=True)
        return EXIT_CONFIG
    _configure_logging(args.log_level)
    with contextlib.ExitStack() as stack:
        db_path = args.db
        if db_path is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="multaqa-sandbox-"))
            db_path = Path(folder) / "sandbox.db"
        try:
            asyncio.run(_sandbox(args, definition, db_path))
        except OSError as exc:
            port = out.text("cli.sandbox_port", port=str(args.port), reason=str(exc.strerror))
            return _fail(out.text("cli.sandbox_cannot_start"), [port])
        except SettingsError as exc:
            return _fail(out.text("cli.sandbox_cannot_start"), exc.problems)
        except AlreadyRunningError as exc:
            problems = [str(exc), out.text("cli.already_running")]
            return _fail(out.text("cli.sandbox_cannot_start"), problems)
        except (DatabaseTooNewError, DatabaseUnavailableError) as exc:
            return _fail(out.text("cli.sandbox_cannot_start"), [str(exc)])
    print(out.text("cli.sandbox_stopped"), flush=True)
    return 0


async def _sandbox(args: argparse.Namespace, definition: EventDefinition, db_path: Path) -> None:
    """The emulator, then the bot served exactly as `multaqa run` serves it."""
    from bot.app import build_application
    from bot.cli import _serve
    from bot.context import services_of
    from bot.settings import load_settings
    from sandbox import BotApiEmulator
    from storage.clock import OffsetClock
    from storage.database import Database
    from storage.sandbox import clock_reached, mark_as_sandbox

    emu = BotApiEmulator(
        bot_username="multaqa_sandbox_bot",
        bot_first_name="Multaqa",
        first_update_id=await _next_update_id(db_path),
    )
    await emu.start(args.host, args.port)
    try:
        add_personas(emu)
        clock = OffsetClock(rehearsal_offset(definition, datetime.now(definition.zone)))
        emu.clock = lambda: clock.now().timestamp()  # message dates follow the bot's clock
        # The organizers' dashboard, on its own port next to the web chat's, so that it can
        # be rehearsed too (/admin → Dashboard gives Nadia her sign-in link to it).
        dashboard_port = args.dashboard_port or args.port + 1
        settings = load_settings(
            _env_file=None,
            web_port=dashboard_port,
            web_host=args.host,
            bot_token=emu.token,
            database_path=db_path,
            bot_api_base_url=emu.base_url,
            bot_api_file_url=emu.base_file_url,
            organizer_ids=[p.user_id for p in PERSONAS if p.role == "organizer"],
            event_file=args.event,
            log_level=args.log_level,
        )
        db = await Database(db_path).open()  # this database is the sandbox's from now on
        try:
            await mark_as_sandbox(db, clock)
            reached = await clock_reached(db)
        finally:
            await db.close()
        if reached is not None and reached > clock.now():  # a kept --db: where it stopped
            clock.advance_to(reached)
        application = build_application(settings, clock)
        services = services_of(application)
        emu.clock_control = SandboxClock(clock, services, definition.zone)
        print(out.text("cli.sandbox_open", url=emu.url), flush=True)
        dashboard = f"http://{args.host}:{dashboard_port}"
        print(out.text("cli.sandbox_dashboard", url=dashboard), flush=True)
        await _serve(application)
    finally:
        await emu.stop()
