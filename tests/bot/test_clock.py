"""The clock wakes on time: when the (fake) clock reaches a row, when another process writes
one, when this process writes a nearer one. The rows go by themselves, as in production;
`tick` is only awaited to know the clock has recorded what it did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.outbound.schedule import tick
from sandbox import BotApiEmulator
from storage.clock import FakeClock, SystemClock
from storage.database import Database
from storage.event import PlannedPrompt, PromptRepository
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said_text


async def test_a_reminder_goes_when_the_clock_reaches_it_without_anyone_asking(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    clock = FakeClock()
    bot = await make_bot(clock=clock).start()
    try:
        user = emulator.user(first_name="Rim", language_code="fr")
        await enrol(bot, user, "fr", "central")
        later = clock.now() + timedelta(hours=2)
        soon = clock.now() + timedelta(minutes=30)
        await bot.services.prompts.add(
            [
                PlannedPrompt.notice("n:later", user.id, "Atelier 2 : salle D", later),
                PlannedPrompt.notice("n:soon", user.id, "Pause café", soon),
            ]
        )
        await user.expect_silence(0.3)  # nothing is due yet
        clock.advance(timedelta(minutes=31))
        assert await said_text(user) == "Pause café"
        await user.expect_silence(0.3)  # the second one is not due yet
        clock.advance(timedelta(hours=2))
        assert await said_text(user) == "Atelier 2 : salle D"
        assert await tick(bot.services) == 2  # both, each once, by the running clock
        states = {key: state for key, state, _ in await bot.services.prompts.of_user(user.id)}
        assert states == {"n:soon": "sent", "n:later": "sent"}
    finally:
        await bot.stop()


async def test_a_row_written_by_another_process_is_seen_while_the_clock_sleeps(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    # The real clock, and a second connection to the file, as `multaqa event load` would
    # write from the command line: no kick, no move of the clock tells the bot.
    bot = await make_bot(clock=SystemClock()).start()
    other = await Database(bot.settings.database_path).open()
    try:
        user = emulator.user(first_name="Marc", language_code="fr")
        await enrol(bot, user, "fr", "central")
        await user.expect_silence(0.3)
        now = SystemClock().now()
        await PromptRepository(other, SystemClock()).add(
            [PlannedPrompt.notice("n:cli", user.id, "La salle D change : salle E", now)]
        )
        assert await said_text(user, timeout=5) == "La salle D change : salle E"
    finally:
        await other.close()
        await bot.stop()


async def test_a_nearer_row_wakes_a_clock_that_sleeps_until_a_later_one(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=SystemClock()).start()
    try:
        user = emulator.user(first_name="Souad", language_code="fr")
        await enrol(bot, user, "fr", "central")
        now = SystemClock().now()
        prompts = bot.services.prompts
        await prompts.add(
            [PlannedPrompt.notice("n:far", user.id, "Demain", now + timedelta(days=1))]
        )
        bot.services.kick_clock()  # the clock now sleeps until tomorrow
        await user.expect_silence(0.3)
        await prompts.add(
            [
                PlannedPrompt.notice(
                    "n:near", user.id, "Dans une seconde", now + timedelta(seconds=1)
                )
            ]
        )
        bot.services.kick_clock()
        assert await said_text(user, timeout=5) == "Dans une seconde"
        await tick(bot.services)  # the clock has settled what it sent
        states = {key: state for key, state, _ in await prompts.of_user(user.id)}
        assert states == {"n:near": "sent", "n:far": "pending"}
    finally:
        await bot.stop()


async def test_a_clock_cancelled_in_the_instant_it_is_woken_stops() -> None:
    # The test suite once hung in a bot's stop(): a handler woke the clock in the same instant
    # stop() cancelled it, and Python 3.11's asyncio.wait_for swallowed the cancellation, so
    # the clock ran on. Its waits (and the send budget's) use `woken`, which must stop.
    import asyncio

    from bot.outbound.limiter import woken

    wake = asyncio.Event()
    naps = 0

    async def clock() -> None:
        nonlocal naps
        while True:
            await woken(wake, 1.0)
            wake.clear()
            naps += 1

    task = asyncio.create_task(clock())
    await asyncio.sleep(0.05)
    wake.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=3)
    assert done and task.cancelled() and naps == 0
