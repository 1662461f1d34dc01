"""Start-up and event reload at scale: N participants (50,000 by default) with seats and
reminders, built through the storage layer.

1. Seeds N participants (ParticipantRepository), loads the example study day with its four
   parallel workshops enlarged so that most people hold a seat and the rest wait
   (SignupRepository.join), which plans everyone's reminders.
2. Starts `multaqa run` (EVENT_FILE set to the unchanged file) against the emulator in this
   process: seconds to the first getUpdates, and the bot's peak RSS.
3. Runs `multaqa event load` of the file with one workshop moved to another room (its members
   are told; nobody's reminders change) and times it from launch to exit.
The last line holds the figures as key=value pairs.

Run: .venv/bin/python benchmarks/startup.py --participants 50000
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

# benchmarks/ is a folder of scripts, not a package: make _common importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchError, BotProcess, ptb_env, stop_async, wait_polling

from bot.event.file import load_event_file
from bot.event.service import EventService, reminder_plan
from bot.event.startup import stamp
from bot.settings import load_settings
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from storage.database import Database
from storage.event import Seating
from storage.participants import ParticipantRepository, ProfileFields

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "study-day.yaml"
WORKSHOPS = ("management", "partnerships", "training-offer", "repositioning")
START_TIMEOUT = 120.0


def event_text(capacity: int, moved_room: str | None = None) -> str:
    """The example, moved to next January so that every reminder is still to come, with every
    workshop's capacity set (and one workshop in another room)."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("2019-01-", f"{datetime.now().year + 1}-01-")
    for old in ("capacity: 30", "capacity: 25", "capacity: 35"):
        text = text.replace(old, f"capacity: {capacity}")
    if moved_room:
        text = text.replace('room: "Salle 2"', f'room: "{moved_room}"')
    return text


async def seed(db_path: Path, event_file: Path, people: int, token: str) -> float:
    """Participants, the event, a seat (or a waiting place) each; returns the first load's s."""
    clock = FakeClock(datetime.now(UTC))
    settings = load_settings(_env_file=None, bot_token=token, database_path=db_path)
    db = await Database(db_path).open()
    try:
        repo = ParticipantRepository(db, clock)
        for user_id in range(1, people + 1):
            await repo.save_profile(
                user_id,
                user_id,
                ProfileFields(
                    ("ar", "fr", "en")[user_id % 3],
                    clock.now(),
                    f"Participant {user_id}",
                    "inspector",
                    None,
                    "central",
                    "Centre",
                    None,
                ),
            )
        service = EventService.for_database(db, settings, clock)
        started = time.perf_counter()
        file, _ = stamp(event_file)
        await service.load(load_event_file(event_file), None, file=file)
        first_load = time.perf_counter() - started
        capacity = (people * 9 // 10) // len(WORKSHOPS)
        for user_id in range(1, people + 1):
            workshop = WORKSHOPS[user_id % len(WORKSHOPS)]
            await service.signups.join(
                user_id, workshop, Seating.one(workshop, capacity, WORKSHOPS)
            )
        # Reminders of everyone's workshop, as the bot plans them when people sign up.
        event = await service.current()
        assert event is not None
        async with service.store.loading() as tx:
            await tx.replan_reminders(reminder_plan(event, clock.now()))
        return first_load
    finally:
        await db.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-startup-"))
    emu = BotApiEmulator()
    await emu.start()
    bot: BotProcess | None = None
    try:
        capacity = (args.participants * 9 // 10) // len(WORKSHOPS)
        event_file = workdir / "event.yaml"
        event_file.write_text(event_text(capacity), encoding="utf-8")
        db_path = workdir / "m.db"
        t0 = time.perf_counter()
        first_load = await seed(db_path, event_file, args.participants, emu.token)
        print(f"seeded {args.participants} participants in {time.perf_counter() - t0:.1f} s")

        env = ptb_env(emu, DATABASE_PATH=str(db_path), EVENT_FILE=str(event_file))
        bot = BotProcess("bot", [sys.executable, "-m", "bot.cli", "run"], env, workdir)
        started = time.perf_counter()
        bot.start()
        await wait_polling(emu, bot, START_TIMEOUT)
        startup = time.perf_counter() - started
        await stop_async(bot)
        peak_rss_mb = bot.peak_rss / 2**20
        bot = None

        moved = workdir / "moved.yaml"
        moved.write_text(event_text(capacity, moved_room="Salle D"), encoding="utf-8")
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "event",
            "load",
            str(moved),
            env=env,
            cwd=workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        reload_s = time.perf_counter() - started
        if process.returncode != 0:
            raise BenchError(f"event load failed:\n{out.decode(errors='replace')}")
        print(out.decode(errors="replace").strip())
        return {
            "participants": args.participants,
            "first_load_s": round(first_load, 2),
            "startup_s": round(startup, 2),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "event_reload_s": round(reload_s, 2),
        }
    finally:
        if bot is not None:
            await stop_async(bot)
        await emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50_000)
    args = parser.parse_args(argv)
    try:
        figures = asyncio.run(run(args))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
