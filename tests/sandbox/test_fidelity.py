"""Telegram behaviours the bot must live with: callback queries expire, a second poller
ends the first with 409 Conflict, blocking the bot is announced with my_chat_member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict

from sandbox import BotApiEmulator


class Monotonic:
    """Real-time seconds that only move when told to."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


async def test_a_callback_query_answered_too_late_is_refused(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    seconds = emu.monotonic = Monotonic()
    alice = emu.user("Alice")
    await alice.send("/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    await bot.send_message(alice.id, "Ready?", reply_markup=markup)
    quick, slow = await alice.press("Go"), await alice.press("Go")
    seconds.now += 14.9
    assert await bot.answer_callback_query(quick["callback_query"]["id"], text="ok")
    seconds.now += 0.2  # 15.1 s after the press: Telegram has given up on it
    with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query(slow["callback_query"]["id"], text="late")
    assert [a.text for a in alice.answered_callbacks] == ["ok"]


async def test_a_second_poller_ends_the_first_with_conflict(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    other = telegram.Bot(emu.token, base_url=emu.base_url)
    async with other:
        first = asyncio.ensure_future(bot.get_updates(timeout=5))
        await asyncio.wait_for(emu.updates.parked.wait(), 5)
        second = asyncio.ensure_future(other.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 5)
        alice = emu.user("Alice")
        await alice.send("/start")
        updates = await asyncio.wait_for(second, 5)
        assert [u.message.text for u in updates] == ["/start"]


async def test_one_poller_polling_again_is_no_conflict(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    assert await bot.get_updates(timeout=0) == ()
    alice = emu.user("Alice")
    await alice.send("hello")
    (update,) = await bot.get_updates(timeout=1)
    assert update.message.text == "hello"
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_blocking_is_announced_to_the_bot(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = emu.user("Alice")
    await alice.send("/start")
    await alice.block()
    await alice.unblock()
    updates = await bot.get_updates(timeout=0)
    changes = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
        if u.my_chat_member
    ]
    assert changes == [("member", "kicked"), ("kicked", "member")]


async def test_an_address_in_a_message_comes_back_as_a_url_entity_without_marks(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    alice = emu.user("Alice")
    await alice.send("/start")
    sent = await bot.send_message(
        alice.id, "Link:\n\u2068http://127.0.0.1:8081/signin/abc-_1\u2069.", parse_mode="HTML"
    )
    [entity] = sent.entities
    assert entity.type == "url"
    assert sent.parse_entity(entity) == "http://127.0.0.1:8081/signin/abc-_1"
