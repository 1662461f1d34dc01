"""Broadcast under Telegram's real flood limits: the `multaqa broadcast` CLI to N people.

The emulator runs in this process with flood control on (30 messages/s per bot, 1/s per
chat); N participants are seeded into a temporary SQLite file through ParticipantRepository;
the real CLI runs as a subprocess and its RSS is sampled. The rate is measured between the
first and the last accepted send; the gaps between sends are split into those at the
campaign runner's claim-batch boundaries and those inside a batch, to show where time goes.
The last line holds the figures as key=value pairs.

Run: .venv/bin/python benchmarks/broadcast.py --recipients 10000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import psutil

from bot.settings import Settings

# benchmarks/ is a folder of scripts, not a package: make _common importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BenchError,
    BotProcess,
    CpuWindow,
    events_of,
    ptb_env,
    stamped_user,
    stop_async,
)

from bot.outbound.campaigns import BATCH
from sandbox import BotApiEmulator, SimUser
from storage.clock import SystemClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields

TELEGRAM_PER_BOT = 30  # messages per second per bot
TELEGRAM_PER_CHAT = 1  # messages per second per private chat
MESSAGE = "Le bus pour le <b>Multaqa</b> part demain à 8h15 devant la délégation."
START_TIMEOUT = 60.0  # from launching the CLI to its first accepted send
EXIT_TIMEOUT = 30.0  # from the last delivery to the CLI's exit


@dataclass(frozen=True)
class Gaps:
    """Where the time between consecutive sends went, against the ideal even spacing."""

    interval: float  # the ideal spacing, 1 / rate
    span: float  # first to last send
    boundary_excess: float  # time over `interval` in gaps between two claim batches
    boundaries: int
    worst_boundary: float
    within_excess: float  # time over `interval` in gaps inside a batch
    within_median: float  # median gap inside a batch

    def line(self, sends: int) -> str:
        """A human-readable summary."""
        ideal = (sends - 1) * self.interval
        return (
            f"gaps: span {self.span:.1f} s vs ideal {ideal:.1f} s at the configured rate | "
            f"{self.boundaries} batch boundaries (BATCH={BATCH}) cost {self.boundary_excess:.2f} s "
            f"over the interval, worst gap {self.worst_boundary * 1000:.0f} ms | inside batches: "
            f"median gap {self.within_median * 1000:.1f} ms (ideal {self.interval * 1000:.1f}), "
            f"{self.within_excess:.2f} s over the interval"
        )


@dataclass(frozen=True)
class Outcome:
    """What the emulator saw, and what the CLI process cost."""

    recipients: int
    delivered: int
    duplicates: int
    lost: int
    http_429: int
    seconds: float
    busiest_second: int
    peak_rss_mb: float
    bot_cpu: float
    own_cpu: float
    exit_code: int | None
    report: str
    gaps: Gaps | None

    @property
    def msgs_per_s(self) -> float:
        """Delivered messages per second between the first and the last accepted send."""
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """The key=value line."""
        figures = {
            "recipients": str(self.recipients),
            "msgs_per_s": f"{self.msgs_per_s:.2f}",
            "ratio_vs_limit": f"{self.msgs_per_s / TELEGRAM_PER_BOT:.3f}",
            "http_429": str(self.http_429),
            "duplicates": str(self.duplicates),
            "lost": str(self.lost),
            "peak_rss_mb": f"{self.peak_rss_mb:.1f}",
            "seconds": f"{self.seconds:.1f}",
        }
        return " ".join(f"{key}={value}" for key, value in figures.items())


# --- setup ----------------------------------------------------------------------------------


async def seed(emu: BotApiEmulator, db_path: Path, count: int) -> list[SimUser]:
    """Create `count` people who talked to the bot long ago and are registered in the file."""
    clock = SystemClock()
    db = await Database(db_path).open()
    try:
        repo = ParticipantRepository(db, clock)
        people = []
        for index in range(count):
            user = stamped_user(emu, f"P{index}", "fr")
            user.open_chat()
            fields = ProfileFields(
                "fr", clock.now(), f"Person {index}", "inspector", None, "central", "Centre", None
            )
            await repo.save_profile(user.id, user.id, fields)
            people.append(user)
    finally:
        await db.close()
    return people


def cli_process(emu: BotApiEmulator, workdir: Path, db_path: Path, rate: float) -> BotProcess:
    """The `multaqa broadcast` command, not yet started."""
    text_file = workdir / "message.txt"
    text_file.write_text(MESSAGE, encoding="utf-8")
    argv = [sys.executable, "-m", "bot.cli", "broadcast", "--text", str(text_file)]
    argv += ["--audience", "everyone", "--yes"]
    env = ptb_env(emu, DATABASE_PATH=str(db_path), BROADCAST_RATE=str(rate))
    return BotProcess("broadcast", argv, env, workdir)


# --- waiting --------------------------------------------------------------------------------


async def wait_first_send(emu: BotApiEmulator, cli: BotProcess, timeout: float) -> None:  # noqa: ASYNC109
    """Until the emulator accepts the first send."""
    deadline = time.monotonic() + timeout
    while not emu.flood.sent_times:
        cli.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"no send accepted within {timeout:.0f} s of starting the CLI")
        await asyncio.sleep(0.05)


async def wait_exit(
    emu: BotApiEmulator, cli: BotProcess, cpu: CpuWindow, deadline: float, stall: float
) -> tuple[int, float, float]:
    """Until the CLI exits: (exit code, its CPU %, ours); fails at `deadline` or on a stall."""
    assert cli.proc is not None
    seen, progressed = 0, time.monotonic()
    bot_cpu = own_cpu = 0.0
    while (code := cli.proc.poll()) is None:
        now = time.monotonic()
        if len(emu.flood.sent_times) != seen:
            seen, progressed = len(emu.flood.sent_times), now
        if now > deadline:
            raise BenchError(f"the CLI did not finish in time ({seen} sends so far)")
        if now - progressed > stall:
            raise BenchError(f"no send for {stall:.0f} s ({seen} sends so far)")
        # Keep the last reading before the exit: an exited process has no CPU times.
        with contextlib.suppress(psutil.Error):
            _, bot_cpu, own_cpu = cpu.end()
        await asyncio.sleep(0.1)
    return code, bot_cpu, own_cpu


# --- analysis -------------------------------------------------------------------------------


def send_times(emu: BotApiEmulator, people: Sequence[SimUser]) -> list[tuple[float, int]]:
    """(emission time, rank of the recipient by user id) of every message, in time order."""
    ranked = sorted(people, key=lambda user: user.id)
    sends = [
        (stamp, rank) for rank, user in enumerate(ranked) for stamp in events_of(emu, user).stamps
    ]
    return sorted(sends)


def gap_breakdown(sends: Sequence[tuple[float, int]], rate: float) -> Gaps | None:
    """Split the time over the ideal spacing into claim-batch boundaries and the rest."""
    if len(sends) < 2:
        return None
    interval = 1 / rate
    boundary = within = worst = 0.0
    boundaries = 0
    inside: list[float] = []
    for (before, rank_before), (after, rank) in pairwise(sends):
        gap = after - before
        excess = max(0.0, gap - interval)
        if rank // BATCH != rank_before // BATCH:
            boundaries += 1
            boundary += excess
            worst = max(worst, gap)
        else:
            within += excess
            inside.append(gap)
    median = statistics.median(inside) if inside else 0.0
    span = sends[-1][0] - sends[0][0]
    return Gaps(interval, span, boundary, boundaries, worst, within, median)


def tally(emu: BotApiEmulator, people: Sequence[SimUser]) -> tuple[int, int, int]:
    """(messages delivered to recipients, recipients with more than one, with none)."""
    counts = [emu.sent_count(user.id) for user in people]
    return sum(counts), sum(1 for n in counts if n > 1), sum(1 for n in counts if n == 0)


def cli_report(cli: BotProcess) -> str:
    """The CLI's final `campaign N: delivered ...` line, or its log tail if absent."""
    tail = cli.log_tail(40)
    for line in reversed(tail.replace("\r", "\n").splitlines()):
        if line.startswith("campaign ") and "delivered" in line:
            return line.strip()
    return f"no report line; log tail:\n{tail}"


# --- the run --------------------------------------------------------------------------------


async def broadcast(args: argparse.Namespace, workdir: Path) -> Outcome:
    """Seed, run the CLI against the flood-limited emulator, and collect the figures."""
    emu = BotApiEmulator()
    await emu.start()
    cli: BotProcess | None = None
    try:
        emu.flood.enable(per_bot_per_second=TELEGRAM_PER_BOT, per_chat_per_second=TELEGRAM_PER_CHAT)
        db_path = workdir / "multaqa.db"
        started = time.perf_counter()
        people = await seed(emu, db_path, args.recipients)
        print(f"seeded {len(people)} participants in {time.perf_counter() - started:.1f} s")
        cli = cli_process(emu, workdir, db_path, args.rate)
        cli.start()
        await wait_first_send(emu, cli, START_TIMEOUT)
        cpu = CpuWindow(cli)
        cpu.begin()
        deadline = time.monotonic() + args.recipients / args.rate * 2 + EXIT_TIMEOUT
        code, bot_cpu, own_cpu = await wait_exit(emu, cli, cpu, deadline, args.stall)
        await stop_async(cli)
        delivered, duplicates, lost = tally(emu, people)
        sent = emu.flood.sent_times
        return Outcome(
            recipients=args.recipients,
            delivered=delivered,
            duplicates=duplicates,
            lost=lost,
            http_429=emu.flood.rejected,
            seconds=sent[-1] - sent[0] if sent else 0.0,
            busiest_second=emu.flood.busiest(1.0),
            peak_rss_mb=cli.peak_rss / 2**20,
            bot_cpu=bot_cpu,
            own_cpu=own_cpu,
            exit_code=code,
            report=cli_report(cli),
            gaps=gap_breakdown(send_times(emu, people), args.rate),
        )
    except BaseException:
        if cli is not None:
            await stop_async(cli)  # SIGTERM, then SIGKILL
            print(f"CLI log tail:\n{cli.log_tail()}", file=sys.stderr)
        raise
    finally:
        await emu.stop()


def print_outcome(outcome: Outcome, rate: float) -> None:
    """The human-readable lines."""
    print(f"CLI exit code {outcome.exit_code}; its report: {outcome.report}")
    print(
        f"delivered {outcome.delivered} messages to {outcome.recipients} recipients in "
        f"{outcome.seconds:.1f} s -> {outcome.msgs_per_s:.2f} msg/s (configured {rate:g}/s, "
        f"limit {TELEGRAM_PER_BOT}/s) | busiest second {outcome.busiest_second} | "
        f"429s {outcome.http_429} | duplicates {outcome.duplicates} | lost {outcome.lost}"
    )
    print(
        f"CLI peak RSS {outcome.peak_rss_mb:.1f} MB | CPU while sending: CLI "
        f"{outcome.bot_cpu:.0f}%, emulator {outcome.own_cpu:.0f}%"
    )
    if outcome.gaps is not None:
        print(outcome.gaps.line(outcome.delivered))


async def run(args: argparse.Namespace) -> Outcome:
    """One benchmark run in a temporary directory that is always removed."""
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-broadcast-"))
    try:
        return await broadcast(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10000, help="participants to reach")
    default_rate = Settings.model_fields["broadcast_rate"].default
    parser.add_argument(
        "--rate",
        type=float,
        default=default_rate,
        help=f"BROADCAST_RATE for the CLI (default {default_rate}, as the bot's)",
    )
    parser.add_argument("--stall", type=float, default=30.0, help="seconds without a send = hung")
    args = parser.parse_args(argv)
    if args.recipients < 1 or args.rate <= 0:
        parser.error("--recipients and --rate must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; non-zero exit if it fails, hangs, loses or repeats a message."""
    args = parse_args(argv)
    try:
        outcome = asyncio.run(run(args))
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print_outcome(outcome, args.rate)
    print(outcome.summary(), flush=True)
    return 0 if outcome.exit_code == 0 and not (outcome.lost or outcome.duplicates) else 1


if __name__ == "__main__":
    sys.exit(main())
