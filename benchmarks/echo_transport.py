"""The bare PTB echo bot on both transports: PTB's default httpx and Multaqa's aiohttp
(bot/transport.py), same load, runs interleaved so that a busy moment of the machine hits
both alike.

Each run: a fresh emulator, the echo bot as a subprocess (TRANSPORT=httpx|aiohttp), an
unmeasured warm-up crowd, then N people x 9 messages, each sent as soon as the previous one
is answered. Per run a line with updates/s and latency; the last line holds the figures:
`ratio_aiohttp_vs_httpx=` is the median over rounds of (aiohttp updates/s / httpx updates/s).

Run: .venv/bin/python benchmarks/echo_transport.py --users 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BotProcess, ptb_env, summarize_ms
from registration_burst import ECHO_BOT, PhaseResult, burst_plans, echo_steps, phase, with_bot

from sandbox import BotApiEmulator

TRANSPORTS = ("httpx", "aiohttp")


async def one_run(args: argparse.Namespace, transport: str, workdir: Path) -> PhaseResult:
    """The echo bot on one transport under the burst."""
    emu = await BotApiEmulator().start("127.0.0.1", 0)
    env = ptb_env(emu, MAX_CONCURRENT_UPDATES=str(args.concurrency), TRANSPORT=transport)
    bot = BotProcess(f"echo-{transport}", [sys.executable, str(ECHO_BOT)], env, workdir)

    async def body() -> PhaseResult:
        plans = burst_plans(emu, args.users, echo_steps, f"Echo{transport}")
        return await phase(f"echo on {transport}", emu, bot, plans, args)

    try:
        return await with_bot(
            emu, bot, lambda i: echo_steps(10**6 + i)[:1], args.warmup_users, body
        )
    finally:
        await emu.stop()


async def run(args: argparse.Namespace) -> str:
    """All rounds; returns the key=value line."""
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-echo-"))
    rates: dict[str, list[float]] = {t: [] for t in TRANSPORTS}
    p95: dict[str, list[float]] = {t: [] for t in TRANSPORTS}
    ratios = []
    try:
        for round_number in range(args.rounds):
            # Alternate which transport goes first, so neither always gets the quieter slot.
            order = TRANSPORTS if round_number % 2 == 0 else TRANSPORTS[::-1]
            got = {}
            for transport in order:
                result = await one_run(args, transport, workdir)
                got[transport] = result.rate
                rates[transport].append(result.rate)
                p95[transport].append(summarize_ms(result.tally.latencies)[1])
            ratios.append(got["aiohttp"] / got["httpx"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        "users": str(args.users),
        "rounds": str(args.rounds),
        "httpx_updates_per_s": f"{statistics.median(rates['httpx']):.0f}",
        "aiohttp_updates_per_s": f"{statistics.median(rates['aiohttp']):.0f}",
        "httpx_p95_ms": f"{statistics.median(p95['httpx']):.0f}",
        "aiohttp_p95_ms": f"{statistics.median(p95['aiohttp']):.0f}",
        "ratios": ",".join(f"{r:.2f}" for r in ratios),
        "ratio_aiohttp_vs_httpx": f"{statistics.median(ratios):.2f}",
    }
    return " ".join(f"{key}={value}" for key, value in figures.items())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000, help="people per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per transport")
    parser.add_argument("--concurrency", type=int, default=256, help="MAX_CONCURRENT_UPDATES")
    parser.add_argument("--warmup-users", type=int, default=256, help="unmeasured warm-up crowd")
    parser.add_argument("--step-timeout", type=float, default=60.0, help="seconds per answer")
    args = parser.parse_args(argv)
    args.keep_going = False  # what registration_burst.phase expects
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; non-zero exit if anything fails or hangs."""
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        line = asyncio.run(run(args))
    except Exception as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"total run time {time.perf_counter() - started:.1f} s", flush=True)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
