"""Registration under load: N people register at once against the real bot, in the emulator.

Phases (the bot and a bare PTB echo bot each run as a subprocess; the emulator and the
simulated people share this process):
  burst   N people register concurrently, each step as soon as the previous one is answered
  paced   N fresh people start spread over --pace-seconds and think ~1 s between steps
  bare    the echo bot, driven like the burst: N people x 9 messages, closed loop

Each bot first answers an unmeasured warm-up crowd (--warmup-users, one step each). Latency
is from a person's action to the first new (non-edit) message answering it, stamped when the
emulator receives that message. The last line holds the figures as key=value pairs. Any
failure, hang (--step-timeout) or ERROR in the bot's log stops the run with exit code 1;
--keep-going instead counts failed people (failed_users=) and still exits 1.

Run: .venv/bin/python benchmarks/registration_burst.py --users 2000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

# benchmarks/ is a folder of scripts, not a package: make _common importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BenchError,
    BotProcess,
    CpuWindow,
    events_of,
    next_new_message,
    ptb_env,
    stamped_user,
    stop_async,
    summarize_ms,
    wait_polling,
)

from sandbox import BotApiEmulator, BotMessage, SimUser

ECHO_BOT = Path(__file__).resolve().parent / "echo_bot.py"
STEPS_PER_PERSON = 9
START_TIMEOUT = 60.0
T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One user action and what answers it."""

    action: str  # "send" | "press"
    arg: str
    replies: int = 1  # new (non-edit) messages that complete the answer
    expect: str | None = None  # text the last of them must contain


@dataclass
class Tally:
    """What a crowd achieved: step latencies, failed people, when the last step completed."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    last_done: float = 0.0


@dataclass
class PhaseResult:
    """Figures of one phase."""

    name: str
    users: int
    wall: float
    tally: Tally
    bot_cpu: float
    own_cpu: float
    api_calls: int

    @property
    def updates(self) -> int:
        """User updates answered."""
        return len(self.tally.latencies)

    @property
    def rate(self) -> float:
        """Answered user updates per second of wall time."""
        return self.updates / self.wall

    def line(self) -> str:
        """A human-readable summary."""
        p50, p95, p99 = summarize_ms(self.tally.latencies)
        failed = f" | {len(self.tally.failures)} people FAILED" if self.tally.failures else ""
        return (
            f"{self.name}: {self.users} users, {self.updates} updates answered in "
            f"{self.wall:.1f} s -> {self.rate:.0f} updates/s | latency p50 {p50:.0f} "
            f"p95 {p95:.0f} p99 {p99:.0f} ms | CPU bot {self.bot_cpu:.0f}% "
            f"emulator+users {self.own_cpu:.0f}% | Bot API calls/update "
            f"{self.api_calls / max(self.updates, 1):.2f}{failed}"
        )


StepsFor = Callable[[int], list[Step]]  # the steps of the i-th person of a crowd


# --- what people do -------------------------------------------------------------------------


def letters(index: int) -> str:
    """A distinct lowercase word for an index (names must not contain digits)."""
    word = ""
    index += 26 * 27  # at least three letters
    while index:
        index, rest = divmod(index, 26)
        word = chr(ord("a") + rest) + word
    return word


def registration_steps(index: int) -> list[Step]:
    """The French registration, as the handler tests walk it."""
    return [
        Step("send", "/start", expect="Multaqa"),
        Step("press", "Français", expect="Avant de commencer"),
        Step("press", "✅ J'accepte", expect="nom complet"),
        Step("send", f"Participant {letters(index).capitalize()}"),
        Step("press", "Inspecteur·rice", expect="région"),
        Step("press", "Souss-Massa", expect="unité, centre ou délégation"),
        Step("send", "Délégation provinciale de Khouribga"),
        Step("press", "Passer", replies=2, expect="Vérifiez vos informations"),
        Step("press", "✅ Confirmer", expect="Vous êtes inscrit·e"),
    ]


def echo_steps(index: int) -> list[Step]:
    """Nine texts for the echo bot, each answered by itself."""
    texts = [f"Bonjour {letters(index)} {k}" for k in range(STEPS_PER_PERSON)]
    return [Step("send", text, expect=text) for text in texts]


async def act(user: SimUser, step: Step) -> None:
    """Perform one step's action."""
    if step.action == "send":
        await user.send(step.arg)
    else:
        await user.press(step.arg)


def stuck(user: SimUser, number: int, step: Step, problem: str) -> BenchError:
    """An error naming the person, the step, and what the chat shows."""
    recent = "; ".join(f"[{m.kind}] {m.text[:60]!r}" for m in user.inbox[-3:]) or "nothing"
    toasts = [a.text for a in user.answered_callbacks if a.text][-1:]
    toast = f"; last button notice {toasts[0]!r}" if toasts else ""
    return BenchError(
        f"user {user.id} step {number} ({step.action} {step.arg!r}): {problem}; "
        f"chat ends with {recent}{toast}"
    )


async def person(
    emu: BotApiEmulator,
    user: SimUser,
    steps: Sequence[Step],
    pauses: Sequence[float],
    tally: Tally,
    timeout: float,  # noqa: ASYNC109
) -> None:
    """Walk the steps, pausing before each as planned, recording each step's latency."""
    queue = events_of(emu, user)
    for number, (step, pause) in enumerate(zip(steps, pauses, strict=True), 1):
        if pause:
            await asyncio.sleep(pause)
        started = time.perf_counter()
        await act(user, step)
        first: float | None = None
        message: BotMessage | None = None
        for _ in range(step.replies):
            try:
                message, stamp = await next_new_message(queue, timeout)
            except TimeoutError:
                raise stuck(user, number, step, f"no answer within {timeout:.0f} s") from None
            first = stamp if first is None else first
        assert message is not None and first is not None
        if step.expect is not None and step.expect not in message.text:
            raise stuck(user, number, step, f"expected {step.expect!r}")
        tally.latencies.append(first - started)
        tally.last_done = time.perf_counter()


async def tolerant(walk: Coroutine[Any, Any, None], tally: Tally) -> None:
    """Run one person; a failure is recorded instead of stopping the crowd."""
    try:
        await walk
    except BenchError as exc:
        tally.failures.append(str(exc))


# --- running a crowd ------------------------------------------------------------------------


async def watchdog(bot: BotProcess, stop_on_error: bool) -> None:
    """Fail the phase as soon as the bot dies or, unless keeping going, logs an ERROR."""
    offset = bot.log_path.stat().st_size
    while True:
        bot.check_alive()
        if stop_on_error:
            error, offset = bot.first_error_since(offset)
            if error is not None:
                raise BenchError(f"{bot.name} logged: {error}")
        await asyncio.sleep(0.5)


async def run_crowd(
    bot: BotProcess, crowd: Sequence[Coroutine[Any, Any, None]], stop_on_error: bool = True
) -> None:
    """Run every person concurrently; the first failure cancels the rest."""
    async with asyncio.TaskGroup() as group:
        dog = group.create_task(watchdog(bot, stop_on_error))
        tasks = [group.create_task(coro) for coro in crowd]
        await asyncio.gather(*tasks)
        dog.cancel()


def api_calls(emu: BotApiEmulator) -> int:
    """Bot API calls so far, long polls excluded."""
    return sum(n for name, n in emu.request_counts.items() if name != "getUpdates")


async def phase(
    name: str,
    emu: BotApiEmulator,
    bot: BotProcess,
    plans: Sequence[tuple[SimUser, list[Step], list[float]]],
    args: argparse.Namespace,
) -> PhaseResult:
    """Run one crowd and measure it; with --keep-going, failed people are only counted."""
    tally = Tally()
    window = CpuWindow(bot)
    calls = api_calls(emu)
    window.begin()
    walks = [person(emu, u, s, p, tally, args.step_timeout) for u, s, p in plans]
    if args.keep_going:
        walks = [tolerant(walk, tally) for walk in walks]
    await run_crowd(bot, walks, stop_on_error=not args.keep_going)
    wall, bot_cpu, own_cpu = window.end()
    if tally.failures:  # people left hanging must not stretch the measured window
        active = tally.last_done - window.started
        bot_cpu, own_cpu = bot_cpu * wall / active, own_cpu * wall / active  # idle tail ~0 CPU
        wall = active
    result = PhaseResult(name, len(plans), wall, tally, bot_cpu, own_cpu, api_calls(emu) - calls)
    print(result.line(), flush=True)
    for failure in tally.failures[:5]:
        print(f"  failed: {failure}", flush=True)
    return result


def burst_plans(
    emu: BotApiEmulator, users: int, steps_for: StepsFor, prefix: str
) -> list[tuple[SimUser, list[Step], list[float]]]:
    """Everyone starts now and acts as soon as answered."""
    return [
        (stamped_user(emu, f"{prefix}{i}", "fr"), steps_for(i), [0.0] * STEPS_PER_PERSON)
        for i in range(users)
    ]


def paced_plans(
    emu: BotApiEmulator, users: int, pace: float, seed: int, offset: int
) -> list[tuple[SimUser, list[Step], list[float]]]:
    """Starts uniform over `pace` seconds, then 0.5-1.5 s of thought before each step."""
    rng = random.Random(seed)
    plans = []
    for i in range(users):
        thinks = [rng.uniform(0.5, 1.5) for _ in range(STEPS_PER_PERSON - 1)]
        pauses = [rng.uniform(0.0, pace), *thinks]
        plans.append((stamped_user(emu, f"Paced{i}", "fr"), registration_steps(offset + i), pauses))
    return plans


# --- the two bots ---------------------------------------------------------------------------


async def with_bot(
    emu: BotApiEmulator,
    bot: BotProcess,
    warmup: StepsFor,
    warm_users: int,
    body: Callable[[], Awaitable[T]],
) -> T:
    """Start the bot, wait until a warm-up crowd is answered, run body(), always stop it.

    The crowd (warmup(i) steps each, all at once) fills the bot's HTTP connection pool, so
    the phases measure a warm bot rather than the one-off cost of opening connections.
    """
    bot.start()
    try:
        await wait_polling(emu, bot, START_TIMEOUT)
        crowd = []
        for i in range(max(warm_users, 1)):
            steps = warmup(i)
            user = stamped_user(emu, f"Warmup{i}", "fr")
            crowd.append(person(emu, user, steps, [0.0] * len(steps), Tally(), START_TIMEOUT))
        await run_crowd(bot, crowd)
        return await body()
    except BaseException:
        print(f"--- last lines of the {bot.name} log ---\n{bot.log_tail()}", file=sys.stderr)
        raise
    finally:
        code = await stop_async(bot)
        if code not in (0, None):
            print(f"{bot.name} exited with code {code}", file=sys.stderr)
        count, first = bot.error_digest()
        if count:
            print(f"{bot.name} logged {count} ERROR lines; the first:\n{first}", file=sys.stderr)


async def bench_ours(
    args: argparse.Namespace, workdir: Path
) -> tuple[PhaseResult | None, PhaseResult | None, float]:
    """Burst and paced phases against Multaqa; returns them and the peak RSS in MB."""
    emu = await BotApiEmulator().start("127.0.0.1", 0)
    env = ptb_env(
        emu,
        DATABASE_PATH=str(workdir / "bench.db"),
        MAX_CONCURRENT_UPDATES=str(args.concurrency),
        # The emulator's flood control is off here, as for the echo bot: the bot's one send
        # budget (replies and broadcasts) gets the emulator's room rather than Telegram's 30/s.
        BROADCAST_RATE=str(args.send_rate),
        TRANSPORT=args.transport,
    )
    bot = BotProcess("multaqa", [sys.executable, "-m", "bot.cli", "run"], env, workdir)

    async def body() -> tuple[PhaseResult | None, PhaseResult | None]:
        """Both phases of our bot."""
        burst = paced = None
        if not args.skip_burst:
            plans = burst_plans(emu, args.users, registration_steps, "Burst")
            burst = await phase("multaqa burst", emu, bot, plans, args)
        if not args.skip_paced:
            plans = paced_plans(emu, args.users, args.pace_seconds, args.seed, args.users)
            paced = await phase("multaqa paced", emu, bot, plans, args)
        return burst, paced

    try:
        warmup = registration_steps(10**6)[:1]
        burst, paced = await with_bot(emu, bot, lambda i: warmup, args.warmup_users, body)
    finally:
        await emu.stop()
    return burst, paced, bot.peak_rss / 2**20


async def bench_bare(args: argparse.Namespace, workdir: Path) -> PhaseResult:
    """The echo bot under the burst shape, on a fresh emulator."""
    emu = await BotApiEmulator().start("127.0.0.1", 0)
    env = ptb_env(emu, MAX_CONCURRENT_UPDATES=str(args.concurrency), TRANSPORT="httpx")
    bot = BotProcess("echo", [sys.executable, str(ECHO_BOT)], env, workdir)

    async def body() -> PhaseResult:
        """The bare burst."""
        plans = burst_plans(emu, args.users, echo_steps, "Echo")
        return await phase("bare PTB echo burst", emu, bot, plans, args)

    try:
        return await with_bot(
            emu, bot, lambda i: echo_steps(10**6 + i)[:1], args.warmup_users, body
        )
    finally:
        await emu.stop()


# --- entry point ----------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    """A figure for the key=value line (nan when not measured)."""
    return "nan" if value is None else f"{value:.{digits}f}"


def failed_people(*phases: PhaseResult | None) -> int:
    """People who failed across the phases that ran."""
    return sum(len(p.tally.failures) for p in phases if p is not None)


def summary_line(
    users: int,
    burst: PhaseResult | None,
    paced: PhaseResult | None,
    bare: PhaseResult | None,
    peak_rss_mb: float | None,
) -> str:
    """The final key=value line."""
    p50, p95, p99 = summarize_ms(paced.tally.latencies) if paced else (None, None, None)
    burst_p95 = summarize_ms(burst.tally.latencies)[1] if burst else None
    ratio = burst.rate / bare.rate if burst and bare else None
    ours = [p for p in (burst, paced) if p is not None]
    answered = sum(p.updates for p in ours)
    calls = sum(p.api_calls for p in ours) / answered if answered else None
    figures = {
        "users": str(users),
        "updates_per_s": fmt(burst.rate if burst else None),
        "p50_ms": fmt(p50),
        "p95_ms": fmt(p95),
        "p99_ms": fmt(p99),
        "burst_p95_ms": fmt(burst_p95),
        "bare_updates_per_s": fmt(bare.rate if bare else None),
        "ratio_vs_bare": fmt(ratio, 3),
        "peak_rss_mb": fmt(peak_rss_mb, 1),
        "calls_per_update": fmt(calls, 2),
    }
    failed = failed_people(burst, paced, bare)
    if failed:  # only with --keep-going; absent from clean runs
        figures["failed_users"] = str(failed)
    return " ".join(f"{key}={value}" for key, value in figures.items())


def first_error(exc: BaseException) -> BaseException:
    """The first leaf of a (possibly nested) exception group."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


async def run(args: argparse.Namespace) -> tuple[str, int]:
    """All phases; returns the key=value line and how many people failed."""
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-bench-"))
    try:
        burst = paced = None
        peak: float | None = None
        if not (args.skip_burst and args.skip_paced):
            burst, paced, peak = await bench_ours(args, workdir)
        bare = None if args.skip_bare else await bench_bare(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary_line(args.users, burst, paced, bare, peak), failed_people(burst, paced, bare)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000, help="people per phase")
    parser.add_argument("--pace-seconds", type=float, default=60.0, help="spread of paced starts")
    parser.add_argument("--seed", type=int, default=1, help="seed of the paced schedule")
    parser.add_argument("--concurrency", type=int, default=256, help="MAX_CONCURRENT_UPDATES")
    parser.add_argument(
        "--warmup-users", type=int, default=256, help="people in the unmeasured warm-up crowd"
    )
    parser.add_argument("--step-timeout", type=float, default=60.0, help="seconds per answer")
    parser.add_argument(
        "--keep-going", action="store_true", help="count people who fail instead of stopping"
    )
    parser.add_argument(
        "--send-rate", type=float, default=1000.0, help="BROADCAST_RATE of our bot (msgs/s)"
    )
    parser.add_argument(
        "--transport", choices=("aiohttp", "httpx"), default="aiohttp", help="TRANSPORT of our bot"
    )
    parser.add_argument("--skip-burst", action="store_true", help="no burst phase")
    parser.add_argument("--skip-paced", action="store_true", help="no paced phase")
    parser.add_argument("--skip-bare", action="store_true", help="no bare PTB comparison")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; non-zero exit with the reason if anything fails or hangs."""
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        line, failed = asyncio.run(run(args))
    except (Exception, BaseExceptionGroup) as exc:
        error = first_error(exc)
        print(f"benchmark failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"total run time {time.perf_counter() - started:.1f} s", flush=True)
    print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
