"""The bulk sender against the emulator with Telegram's flood control switched on: the two
things PTB's AIORateLimiter does not do (a per-private-chat limit; a 429 pause that no
concurrent success ends early, python-telegram-bot #5338), and how each error is settled."""

from __future__ import annotations

import asyncio
import time

from telegram import Bot

from bot.outbound.sender import BulkSender, Outcome, SendPolicy, html_sender
from sandbox import ApiError, BotApiEmulator


async def _bot(emulator: BotApiEmulator) -> Bot:
    bot = Bot(emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    await bot.initialize()
    return bot


async def test_one_private_chat_gets_at_most_one_message_per_second(
    emulator: BotApiEmulator,
) -> None:
    emulator.flood.enable()
    user = emulator.user(first_name="A")
    user.open_chat()
    bot = await _bot(emulator)
    sender = BulkSender(bot, SendPolicy(per_second=29))
    results = await asyncio.gather(
        *(sender.deliver(user.id, html_sender(f"message {n}")) for n in range(3))
    )
    await bot.shutdown()
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert emulator.flood.rejected == 0
    assert emulator.sent_count(user.id) == 3


async def test_a_429_pauses_every_send_and_no_concurrent_success_ends_the_pause_early(
    emulator: BotApiEmulator,
) -> None:
    users = [emulator.user(first_name=f"U{i}") for i in range(12)]
    for user in users:
        user.open_chat()
    flooded = users[0].id
    refused_at: list[float] = []

    def once_429(method: str, chat_id: int) -> ApiError | None:
        if chat_id == flooded and not refused_at:
            refused_at.append(time.monotonic())
            return ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        return None

    emulator.faults.hook = once_429
    bot = await _bot(emulator)
    sender = BulkSender(bot, SendPolicy(per_second=25))
    results = await asyncio.gather(
        *(sender.deliver(user.id, html_sender("Atelier 2 : salle D")) for user in users)
    )
    await bot.shutdown()
    assert all(r.outcome is Outcome.SENT for r in results)
    assert sender.retry_after_received == 1
    # Sends already on the wire when the 429 came back may land just after it; after
    # that, nothing for the whole retry_after, however many concurrent requests succeed.
    in_flight_margin = 2 / 25
    during_pause = [
        t
        for t in emulator.flood.sent_times
        if refused_at[0] + in_flight_margin < t < refused_at[0] + 0.99
    ]
    assert during_pause == []
    assert all(emulator.sent_count(user.id) == 1 for user in users)


async def test_errors_are_settled_by_kind(emulator: BotApiEmulator) -> None:
    blocked, deleted, flaky, broken = (emulator.user(first_name=n) for n in "ABCD")
    for user in (blocked, deleted, flaky, broken):
        user.open_chat()
    await blocked.block()
    emulator.faults.fail(deleted.id, 403, description="Forbidden: user is deactivated")
    emulator.faults.fail(flaky.id, 502, times=2, description="Bad Gateway")
    emulator.faults.fail(broken.id, 500, description="Internal Server Error")
    bot = await _bot(emulator)
    sender = BulkSender(bot, SendPolicy(per_second=29, max_attempts=3, backoff_seconds=0.01))
    outcomes = {}
    for name, user in (
        ("blocked", blocked),
        ("deleted", deleted),
        ("flaky", flaky),
        ("broken", broken),
    ):
        outcomes[name] = await sender.deliver(user.id, html_sender("Bonjour"))
    bad_html = await sender.deliver(flaky.id, html_sender("<b>unclosed"))
    await bot.shutdown()
    assert outcomes["blocked"].outcome is Outcome.UNREACHABLE
    assert outcomes["deleted"].outcome is Outcome.UNREACHABLE
    assert (outcomes["flaky"].outcome, outcomes["flaky"].attempts) == (Outcome.SENT, 3)
    assert (outcomes["broken"].outcome, outcomes["broken"].attempts) == (Outcome.FAILED, 3)
    assert bad_html.outcome is Outcome.FAILED and "parse entities" in (bad_html.error or "")
