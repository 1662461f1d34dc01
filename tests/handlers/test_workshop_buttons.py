"""Workshop buttons name workshops by id: an old message still acts on the workshop it showed
after the event file was reordered; leaving asks first and shows the seats as they are."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.event.file import load_event_file, parse_event_text
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, plain, said, said_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
async def event_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    await bot.services.event.load(load_event_file(EXAMPLE), None)
    try:
        yield bot
    finally:
        await bot.stop()


def load_yaml(text: str) -> dict:
    """The event file as plain data, to change it in a test."""
    return YAML(typ="safe", pure=True).load(text)


def dump_yaml(data: dict) -> str:
    """Plain data back to an event file."""
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def _reordered() -> str:
    data = load_yaml(EXAMPLE.read_text(encoding="utf-8"))
    data["workshops"].reverse()  # partnerships was 2nd of 4, is now 3rd; management last
    return dump_yaml(data)


async def test_an_old_button_joins_the_workshop_it_showed_after_a_reorder(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Karim", language_code="en")
    await enrol(event_bot, user, "en", "central")
    await user.send("/workshops")
    old = await said(user)
    assert "2. Framing partnerships" in plain(old.text)
    report = await event_bot.services.event.load(parse_event_text(_reordered()), None)
    assert report.version is not None
    assert (await event_bot.services.event.current()).workshops[1].id == "training-offer"
    await user.press("➕ Sign up for workshop 2")  # on the message shown before the reload
    assert "You have a seat in “Framing partnerships" in await said_text(user)
    seats = await event_bot.services.signups.seats_of(user.id)
    assert [(s.workshop_id, s.state) for s in seats] == [("partnerships", "confirmed")]
    # A workshop removed since the message was shown gets a clear refusal, nothing else.
    data = load_yaml(_reordered())
    data["workshops"] = [w for w in data["workshops"] if w["id"] != "management"]
    await event_bot.services.event.load(parse_event_text(dump_yaml(data)), None)
    press = await user.press_data(old.message_id, "ws:join:management")
    assert (await user.wait_callback_answer(press)).text == "This button is not valid."
    assert [s.workshop_id for s in await event_bot.services.signups.seats_of(user.id)] == [
        "partnerships"
    ]


async def test_leaving_asks_first_and_the_list_after_shows_the_seat_freed(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Salma", language_code="en")
    await enrol(event_bot, user, "en", "central")
    await user.send("/workshops")
    await said(user)
    await user.press("➕ Sign up for workshop 1")
    await said(user)
    await user.send("/workshops")
    listing = await said(user)
    assert "29 seats left" in listing.text
    await user.press("✖️ Leave workshop 1")
    ask = await said(user)
    assert "Leave “Developing the management mechanisms" in plain(ask.text)
    assert ask.labels == ["✖️ Yes, leave", "No, keep my seat"]
    assert len(await event_bot.services.signups.seats_of(user.id)) == 1  # nothing yet
    await user.press("No, keep my seat")
    assert "Nothing changed" in await said_text(user)
    assert len(await event_bot.services.signups.seats_of(user.id)) == 1
    await user.press("✖️ Leave workshop 1")
    await said(user)
    await user.press("✖️ Yes, leave")
    assert "You left “Developing the management" in await said_text(user)
    after = await said(user)  # the list again, as it is now
    assert "1. Developing the management" in plain(after.text)
    assert "30 seats left" in after.text and "29 seats left" not in after.text
    assert "➕ Sign up for workshop 1" in after.labels
    assert await event_bot.services.signups.seats_of(user.id) == []
