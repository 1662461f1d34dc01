"""Kill -9 the bot at random moments during a mixed burst, and count what people saw.

100 people at once against `multaqa run` (a real process, killed with SIGKILL and started
again at `--kills` random moments): 40 register from /start to Confirm, 30 send a proposal in
three parts then press Done, 30 press Join on a 25-seat workshop. Each step waits (up to a
minute, across restarts) for the answer it promises.

Prints, last line `key=value`:
- unanswered: steps whose promised answer never came (the target: 0);
- applied_twice: effects found twice in the database (a seat, a proposal part, a person);
- told_twice: answers that came twice (a reply sent, then killed before it was marked sent:
  at most the replies in flight at each kill; with --hang, also the faults' own repeats);
- in_flight_max: the most replies that were being sent when a kill came (the bound above).

    python benchmarks/kill_mixed_burst.py [--kills 5] [--seed 1] [--hang]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # _common: the benchmarks' shared pieces

from _common import ptb_env  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.event.file import parse_event_text  # noqa: E402
from bot.intake import start_bot, stop_bot  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from sandbox import BotApiEmulator, BotMessage, SimUser  # noqa: E402
from storage.clock import SystemClock  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.participants import ProfileFields  # noqa: E402

EXAMPLE = ROOT / "examples" / "study-day.yaml"
STEP_TIMEOUT = 60.0
JOIN = "➕ Sign up for workshop 1"
PARTS = ("Train the staff of the centres.", "Twice a year.", "With the regional delegations.")


def event_text(capacity: int) -> str:
    """The example study day, a month from now, its first workshop with `capacity` seats."""
    today = date.today()
    text = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("2019-01-30", (today + timedelta(days=30)).isoformat())
        .replace("2019-01-14", (today - timedelta(days=1)).isoformat())
        .replace("2019-01-29", (today + timedelta(days=29)).isoformat())
    )
    return text.replace("capacity: 30", f"capacity: {capacity}", 1)


@dataclass
class Person:
    """A simulated participant and what they saw, step by step."""

    user: SimUser
    kind: str
    seen: list[str] = field(default_factory=list)  # every text shown, in order
    unanswered: list[str] = field(default_factory=list)
    repeats: int = 0
    cursor: int = 0  # events read so far

    async def expect(self, wanted: str | tuple[str, ...]) -> None:
        """Wait until a message (or an edit into new text) holding `wanted` arrives."""
        options = (wanted,) if isinstance(wanted, str) else wanted
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.unanswered.append(options[0])
                return
            try:
                message: BotMessage = await self.user.next_message(remaining)
            except AssertionError:
                continue
            self.seen.append(message.text)
            if any(option in message.text for option in options):
                return


def letters(n: int) -> str:
    """A name part made of letters only (a name holds no digits): 0 → Aa, 1 → Ab…"""
    return "A" + "".join(chr(ord("a") + int(d)) for d in str(n))


async def register(person: Person) -> None:
    user = person.user
    await user.send("/start")
    await person.expect("Multaqa")
    for press, answer in (("English", "Before we start"), ("✅ I agree", "full name")):
        await user.press(press)
        await person.expect(answer)
    await user.send(f"Person {letters(int(user.first_name[1:]))}")
    await person.expect("function")
    await user.press("Inspector")
    await person.expect("region")
    await user.press("Souss-Massa")
    await person.expect("unit, centre or delegation")
    await user.send("Délégation provinciale")
    await person.expect("phone")
    await user.press("Skip")
    await person.expect("Please check your details")
    await user.press("✅ Confirm")
    await person.expect("You are registered")


async def propose(person: Person) -> None:
    user = person.user
    total = 0
    for i, part in enumerate(PARTS):
        total += len(part) + (2 if i else 0)
        await user.send(part)
        await person.expect(f"So far: {total:,} of 3,000")
    await user.press("✅ Done")
    await person.expect("P-0")


async def join(person: Person) -> None:
    await person.user.press(JOIN)
    await person.expect(("You have a seat", "waiting list, position"))


async def prepare(emu: BotApiEmulator, db_path: Path, capacity: int) -> list[Person]:
    """The event, 60 registered people (30 at their proposal's first part, 30 looking at the
    workshops) and 40 newcomers, set up by an in-process bot that is then stopped."""
    settings = load_settings(
        _env_file=None,
        bot_token=emu.token,
        database_path=db_path,
        bot_api_base_url=emu.base_url,
        bot_api_file_url=emu.base_file_url,
    )
    app = build_application(settings, SystemClock())
    await start_bot(app)
    try:
        from bot.context import services_of

        services = services_of(app)
        await services.event.load(parse_event_text(event_text(capacity)), None)
        people: list[Person] = []
        for i in range(60):
            user = emu.user(first_name=f"R{i}", language_code="en")
            user.open_chat()
            fields = ProfileFields(
                "en", SystemClock().now(), f"Person R{i}", "inspector", None, "central", "C", None
            )
            await services.participants.save_profile(user.id, user.id, fields)
            people.append(Person(user, "propose" if i < 30 else "join"))
        for person in people:
            if person.kind == "propose":
                await person.user.send("/propose")
                await person.user.next_message(10)
                await person.user.press("💡 General (not tied to a workshop)")
                await person.user.next_message(10)
            else:
                await person.user.send("/workshops")
                await person.user.next_message(10)
        people += [
            Person(emu.user(first_name=f"N{i}", language_code="en"), "register") for i in range(40)
        ]
    finally:
        await stop_bot(app)
    return people


def spawn(emu: BotApiEmulator, db_path: Path) -> asyncio.Future[asyncio.subprocess.Process]:
    """`multaqa run` as its own process, on the emulator and the database."""
    env = ptb_env(emu, DATABASE_PATH=str(db_path))
    return asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=env,
            cwd=db_path.parent,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    )


async def applied_twice(db_path: Path, people: list[Person], capacity: int) -> int:
    """Effects found more than once (or beyond capacity) in the database."""
    db = await Database(db_path).open()
    try:
        twice = 0
        rows = await db.fetchall("SELECT user_id, COUNT(*) AS n FROM signups GROUP BY user_id")
        twice += sum(int(r["n"]) - 1 for r in rows)
        confirmed = await db.fetchone(
            "SELECT COUNT(*) AS n FROM signups WHERE workshop_id = 'management' "
            "AND state = 'confirmed'"
        )
        twice += max(0, int(confirmed["n"] if confirmed else 0) - capacity)
        for row in await db.fetchall("SELECT text FROM proposals"):
            twice += sum(max(0, row["text"].count(part) - 1) for part in PARTS)
        rows = await db.fetchall("SELECT author_id, COUNT(*) AS n FROM proposals GROUP BY 1")
        twice += sum(int(r["n"]) - 1 for r in rows)
        return twice
    finally:
        await db.close()


REPLY_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery", "editMessageReplyMarkup")
# A reply answered this recently may not be marked sent yet (the marks are written in groups,
# within milliseconds): the replies a kill can make the bot send again.
IN_FLIGHT_WINDOW = 0.1


def replies_just_sent(sends: list[tuple[float, int]]) -> int:
    """Replies the emulator took in the last IN_FLIGHT_WINDOW seconds (an upper estimate of
    those sent and not yet marked sent at this moment)."""
    if not sends:
        return 0
    now, total = sends[-1]
    before = next((n for t, n in reversed(sends) if now - t >= IN_FLIGHT_WINDOW), 0)
    return total - before


def told_twice(person: Person) -> int:
    """Answers seen more than once (the same text, one after the other, as a new message)."""
    return sum(1 for a, b in zip(person.seen, person.seen[1:], strict=False) if a == b)


async def run(kills: int, seed: int, hang: bool, capacity: int = 25) -> dict[str, float]:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="multaqa-kill-"))
    db_path = folder / "bench.db"
    async with BotApiEmulator() as emu:
        people = await prepare(emu, db_path, capacity)
        if hang:
            emu.faults.timeout_after_delivery(rate=0.02, seconds=3.0, methods=["sendMessage"])
        process = await spawn(emu, db_path)
        flows: dict[str, Callable[[Person], Awaitable[None]]] = {
            "register": register,
            "propose": propose,
            "join": join,
        }
        began = time.monotonic()

        async def walk(person: Person) -> None:
            try:
                await flows[person.kind](person)
            except AssertionError as exc:  # a button that should be there is not
                person.unanswered.append(str(exc)[:120])

        tasks = [asyncio.ensure_future(walk(p)) for p in people]
        sends: list[tuple[float, int]] = []  # (when, replies the emulator took so far)

        async def sample() -> None:
            while True:
                counts = emu.request_counts
                sends.append((time.monotonic(), sum(counts[m] for m in REPLY_METHODS)))
                await asyncio.sleep(0.02)

        sampler = asyncio.ensure_future(sample())
        in_flight_max = 0
        moments = sorted(rng.uniform(0.3, 8.0) for _ in range(kills))
        for moment in moments:
            await asyncio.sleep(max(0.0, moment - (time.monotonic() - began)))
            if all(t.done() for t in tasks):
                break
            in_flight_max = max(in_flight_max, replies_just_sent(sends))
            process.send_signal(signal.SIGKILL)
            await process.wait()
            process = await spawn(emu, db_path)
        await asyncio.gather(*tasks)
        sampler.cancel()
        elapsed = time.monotonic() - began
        process.send_signal(signal.SIGTERM)
        await process.wait()
        emu.faults.clear()
    figures = {
        "people": len(people),
        "kills": len(moments),
        "unanswered": sum(len(p.unanswered) for p in people),
        "applied_twice": await applied_twice(db_path, people, capacity),
        "told_twice": sum(told_twice(p) for p in people),
        "in_flight_max": in_flight_max,
        "seconds": round(elapsed, 1),
    }
    for person in people:
        if person.unanswered:
            print(f"unanswered {person.kind} {person.user.first_name}: {person.unanswered}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang", action="store_true", help="'hang after delivery' faults on")
    args = parser.parse_args()
    figures = asyncio.run(run(args.kills, args.seed, args.hang))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
