"""One outbound path: people who write to the bot while a broadcast goes at full rate get
their replies, even when Telegram answers a reply with a 429 or a 5xx, and the mix of the two
never makes Telegram refuse a message (flood control of the emulator switched on)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.outbound.start import start_campaign
from sandbox import BotApiEmulator, SimUser
from storage.campaigns import Audience
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text

BROADCAST = "Atelier 3 : salle D."


async def _texts(user: SimUser, count: int) -> list[str]:
    return [(await said(user, timeout=15)).text for _ in range(count)]


async def test_replies_during_a_full_rate_broadcast_arrive_and_cause_no_429(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    emulator.flood.enable()  # Telegram's limits: 30/s for the bot, 1/s per private chat
    bot = await make_bot().start()  # BROADCAST_RATE at its default, Telegram's full rate
    try:
        recipients = [emulator.user(first_name=f"P{i}", language_code="fr") for i in range(90)]
        for person in recipients:
            await enrol(bot, person, "fr", "central")
        newcomers = [emulator.user(first_name=f"N{i}", language_code="fr") for i in range(12)]
        services = bot.services
        campaign_id = await services.campaigns.create(
            ORGANIZER_ID, "fr", Audience("everyone"), {"fr": BROADCAST}
        )
        await start_campaign(services, campaign_id, None, services.texts["fr"])
        assert await said_text(recipients[0], timeout=10) == BROADCAST  # under way

        # Telegram refuses the first reply to one newcomer with a 429, to another with a 502.
        emulator.faults.fail(newcomers[0].id, 429, retry_after=1, times=1)
        emulator.faults.fail(newcomers[1].id, 502, times=1)
        await asyncio.gather(*(person.send("/start") for person in newcomers))
        # Recipients write too, just as the broadcast reaches them (one chat, both kinds).
        askers = recipients[40:46]
        await asyncio.gather(*(person.send("/help") for person in askers))

        welcomes = await asyncio.gather(*(said_text(p, timeout=15) for p in newcomers))
        assert all("Multaqa" in text for text in welcomes)
        for texts in await asyncio.gather(*(_texts(person, 2) for person in askers)):
            assert BROADCAST in texts and any(text != BROADCAST for text in texts)

        await services.runner.wait(campaign_id)
        progress = await services.campaigns.progress(campaign_id)
        assert (progress.sent, progress.failed, progress.remaining) == (90, 0, 0)
        assert all(emulator.sent_count(person.id) == 1 for person in recipients[46:])
        # Only the two injected faults were refusals; the mix caused none.
        assert emulator.flood.rejected == 0
        assert emulator.flood.busiest() <= 30
    finally:
        await bot.stop()


async def test_a_reply_takes_the_next_turn_ahead_of_a_queued_broadcast(
    emulator: BotApiEmulator,
) -> None:
    from telegram.ext import ExtBot

    from bot.outbound.limiter import InteractiveLimiter, SendBudget
    from bot.outbound.sender import BulkSender, Outcome, SendPolicy, html_sender

    people = [emulator.user(first_name=f"P{i}", language_code="fr") for i in range(24)]
    for person in people:
        person.open_chat()
    asker = emulator.user(first_name="Asker", language_code="fr")
    asker.open_chat()
    arrivals: list[int] = []  # chat ids, in the order Telegram receives the sends

    def record(method: str, chat_id: int) -> None:
        arrivals.append(chat_id)

    emulator.faults.hook = record
    budget = SendBudget(per_second=8)  # slow, so that the broadcast queue is long
    policy = SendPolicy(per_second=8)
    urls = {"base_url": emulator.base_url, "base_file_url": emulator.base_file_url}
    bulk_bot = ExtBot(emulator.token, **urls)
    replies = ExtBot(emulator.token, rate_limiter=InteractiveLimiter(budget), **urls)
    await bulk_bot.initialize()
    await replies.initialize()
    try:
        sender = BulkSender(bulk_bot, policy, budget)
        broadcast = asyncio.gather(*(sender.deliver(p.id, html_sender(BROADCAST)) for p in people))
        await said(people[2], timeout=10)  # under way: 8 turns in the first second, 16 queued
        granted = budget.turns[1]  # broadcast sends given a turn before the reply was asked
        await replies.send_message(asker.id, "Votre place est confirmée.")
        results = await broadcast
    finally:
        await bulk_bot.shutdown()
        await replies.shutdown()
    assert all(result.outcome is Outcome.SENT for result in results)
    # The reply took the next turn: only sends already given theirs went first, not the 16
    # queued ones.
    assert arrivals.index(asker.id) <= granted
    assert budget.turns == [1, 24]
