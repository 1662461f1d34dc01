"""Follow-up at scale: 2,000 recommendations owned by 500 delegates, all due for their first
prompt in the same hour, with Telegram's flood limits on in the emulator (30 messages/s per
bot, 1/s per chat). The real Application runs in this process on a real SQLite file; the
clock is moved to the prompt moment and the bot's own clock delivers.

Prints, last, one line of figures: `last_prompt_s` (from the moment the prompts were due to
the last one arriving; Telegram's limit makes 500/30 ≈ 17 s the floor), `lost` (delegates
without their prompt), `duplicates` (delegates prompted twice), `http_429`.

    python -m benchmarks.follow_up [--delegates 500] [--per-delegate 4]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bot.event.file import load_event_file
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from storage.participants import ProfileFields
from tests.harness import RunningBot, settings_for

EXAMPLE = Path(__file__).parents[1] / "examples" / "study-day.yaml"
START = datetime(2019, 1, 29, 9, 0, tzinfo=UTC)  # the day before the study day
FIRST_PROMPT = datetime(2019, 2, 6, 9, 0, tzinfo=UTC)  # 10:00 in Casablanca, 7 days after


async def run(args: argparse.Namespace) -> str:
    emu = BotApiEmulator()
    await emu.start()
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-followup-"))
    bot = RunningBot(
        settings_for(emu, workdir / "multaqa.db", organizer_ids=[999_999]), FakeClock(START)
    )
    try:
        await bot.start()
        services = bot.services
        await services.event.load(load_event_file(EXAMPLE), None)
        people = []
        for i in range(args.delegates):
            user = emu.user(first_name=f"D{i}", language_code=("ar", "fr", "en")[i % 3])
            user.open_chat()
            fields = ProfileFields(
                ("ar", "fr", "en")[i % 3],
                bot.clock.now(),
                f"Delegate {i}",
                "inspector",
                None,
                "central",
                "Centre",
                None,
            )
            await services.participants.save_profile(user.id, user.id, fields)
            people.append(user)
        seeded = time.perf_counter()
        for i in range(args.delegates * args.per_delegate):
            owner = people[i % args.delegates]
            rec_id = await services.recommendations.create(
                "partnerships", f"Recommendation {i}", "fr", None, date(2019, 6, 28), None
            )
            await services.followup.repo.assign(rec_id, owner.id, None)
        planned = await services.followup.plan_all()
        print(
            f"seeded {args.delegates * args.per_delegate} recommendations for {planned} "
            f"delegates in {time.perf_counter() - seeded:.1f} s"
        )
        emu.flood.enable(per_bot_per_second=30, per_chat_per_second=1)
        clock = bot.clock
        assert isinstance(clock, FakeClock)
        clock.advance(FIRST_PROMPT - clock.now())
        due = time.perf_counter()
        await tick(services)  # the bot's clock would tick within its interval; measure from due
        arrivals: dict[int, list[float]] = {}
        deadline = time.monotonic() + args.delegates / 10 + 60
        while time.monotonic() < deadline:
            for person in people:
                while person.pending_events():
                    message = await person.next_message(1.0)
                    if "R-" in message.text:
                        arrivals.setdefault(person.id, []).append(time.perf_counter())
            if len(arrivals) == len(people):
                break
            await asyncio.sleep(0.05)
        await tick(services)  # nothing more may go: a second pass must not double
        await asyncio.sleep(0.5)
        for person in people:
            while person.pending_events():
                message = await person.next_message(1.0)
                if "R-" in message.text:
                    arrivals.setdefault(person.id, []).append(time.perf_counter())
        last = max((max(times) for times in arrivals.values()), default=due) - due
        lost = sum(1 for p in people if p.id not in arrivals)
        duplicates = sum(1 for times in arrivals.values() if len(times) > 1)
        return (
            f"delegates={args.delegates} recommendations={args.delegates * args.per_delegate} "
            f"last_prompt_s={last:.1f} floor_s={args.delegates / 30:.1f} lost={lost} "
            f"duplicates={duplicates} http_429={emu.flood.rejected}"
        )
    finally:
        await bot.stop()
        await emu.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=500)
    parser.add_argument("--per-delegate", type=int, default=4)
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
