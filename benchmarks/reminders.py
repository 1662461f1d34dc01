"""Reminders on time: N reminders due in the same second, with Telegram's flood control on.

The database is prepared through the storage layer (N registered people, one reminder each,
all due at T, a few seconds ahead); then the real bot starts as a subprocess (`multaqa run`,
BROADCAST_RATE at its default) against the emulator with flood control switched on (30/s per
bot, 1/s per chat). Lateness of each message is its acceptance by the emulator minus T.

Prints `first_late_s=` (target < 1: the clock wakes at the due second), `p50_late_s=`,
`p99_late_s=`, `spread_s=` (last minus first; the floor is N/30 s at Telegram's rate),
`rate_per_s=` and `rejected_429=` (flood-control refusals; 0 expected).

Run: .venv/bin/python benchmarks/reminders.py --reminders 1000
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchError, BotProcess, percentile, ptb_env, stop_async, wait_polling

from sandbox import BotApiEmulator
from storage.clock import SystemClock
from storage.database import Database
from storage.event import PlannedPrompt, PromptRepository
from storage.participants import ParticipantRepository, ProfileFields

TEXT = "⏰ Rappel : l'atelier « Repositionnement » commence dans 15 min, salle D."


async def prepare(path: Path, user_ids: Sequence[int], due: datetime) -> None:
    """N registered people and one reminder each, all due at `due`."""
    clock = SystemClock()
    db = await Database(path).open()
    try:
        participants = ParticipantRepository(db, clock)
        for user_id in user_ids:
            fields = ProfileFields(
                "fr",
                clock.now(),
                f"Personne {user_id}",
                "inspector",
                None,
                "central",
                "Centre",
                None,
            )
            await participants.save_profile(user_id, user_id, fields)
        await PromptRepository(db, clock).add(
            [PlannedPrompt.notice(f"bench:{uid}", uid, TEXT, due) for uid in user_ids]
        )
    finally:
        await db.close()


async def run(args: argparse.Namespace) -> str:
    """One run; returns the key=value line."""
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-reminders-"))
    emu = await BotApiEmulator().start("127.0.0.1", 0)
    bot: BotProcess | None = None
    try:
        users = [emu.user(first_name=f"R{i}", language_code="fr") for i in range(args.reminders)]
        for user in users:
            user.open_chat()
        due = (datetime.now(UTC) + timedelta(seconds=args.lead)).replace(microsecond=0)
        await prepare(workdir / "bench.db", [u.id for u in users], due)
        emu.flood.enable()
        emu.flood.reset_counters()
        env = ptb_env(emu, DATABASE_PATH=str(workdir / "bench.db"), TRANSPORT=args.transport)
        bot = BotProcess("multaqa", [sys.executable, "-m", "bot.cli", "run"], env, workdir)
        bot.start()
        await wait_polling(emu, bot, 60)
        if datetime.now(UTC) >= due:
            raise BenchError(f"the bot took longer than --lead {args.lead} s to start")
        # Monotonic stamps of the emulator vs the wall-clock due time.
        due_mono = due.timestamp() - (time.time() - time.monotonic())
        deadline = time.monotonic() + args.lead + args.reminders / 10 + 60
        while len(emu.flood.sent_times) < args.reminders:
            bot.check_alive()
            if time.monotonic() > deadline:
                got = len(emu.flood.sent_times)
                raise BenchError(f"only {got} of {args.reminders} reminders arrived")
            await asyncio.sleep(0.1)
        lates = [stamp - due_mono for stamp in emu.flood.sent_times]
    finally:
        if bot is not None:
            await stop_async(bot)
        await emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    spread = max(lates) - min(lates)
    figures = {
        "reminders": str(args.reminders),
        "first_late_s": f"{min(lates):.3f}",
        "p50_late_s": f"{percentile(lates, 50):.2f}",
        "p99_late_s": f"{percentile(lates, 99):.2f}",
        "spread_s": f"{spread:.2f}",
        "floor_s": f"{args.reminders / 30:.2f}",
        "rate_per_s": f"{(len(lates) - 1) / spread:.1f}" if spread > 0 else "inf",
        "rejected_429": str(emu.flood.rejected),
        "busiest_second": str(emu.flood.busiest()),
    }
    assert not math.isnan(min(lates))
    return " ".join(f"{key}={value}" for key, value in figures.items())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1000, help="reminders due at once")
    parser.add_argument("--lead", type=float, default=10.0, help="seconds from start to due")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default="aiohttp")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; non-zero exit if anything fails or hangs."""
    args = parse_args(argv)
    try:
        line = asyncio.run(run(args))
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
