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
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from storage.participants import ProfileFields
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, plain, said, said_text, shown

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
    # A workshop removed since the message was shown: the stale-button toast, nothing else.
    data = load_yaml(_reordered())
    data["workshops"] = [w for w in data["workshops"] if w["id"] != "management"]
    await event_bot.services.event.load(parse_event_text(dump_yaml(data)), None)
    press = await user.press_data(old.message_id, "ws:join:management")
    assert (await user.wait_callback_answer(press)).text == "This button is no longer active."
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


async def _fill(bot: RunningBot, workshop_id: str, first_id: int, count: int) -> list[int]:
    """`count` people registered straight in the database, each joining `workshop_id`."""
    seating = await bot.services.event.seating()
    ids = list(range(first_id, first_id + count))
    for user_id in ids:
        fields = ProfileFields(
            "en", bot.clock.now(), "Filler", "inspector", None, "central", "C", None
        )
        await bot.services.participants.save_profile(user_id, user_id, fields)
        await bot.services.signups.join(user_id, workshop_id, seating)
    return ids


async def _seats(bot: RunningBot, user: SimUser) -> list[tuple[str, str]]:
    return [(s.workshop_id, s.state) for s in await bot.services.signups.seats_of(user.id)]


async def test_switching_to_a_full_workshop_keeps_the_seat_until_one_is_free_there(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    amina = emulator.user(first_name="Amina", language_code="en")
    bilal = emulator.user(first_name="Bilal", language_code="en")  # waits for workshop 1
    farid = emulator.user(first_name="Farid", language_code="en")  # holds a seat in 3
    for person in (amina, bilal, farid):
        await enrol(event_bot, person, "en", "central")
    seating = await event_bot.services.event.seating()
    await event_bot.services.signups.join(farid.id, "training-offer", seating)
    await _fill(event_bot, "training-offer", 700_000, 24)  # workshop 3 is full (25)
    await amina.send("/workshops")
    await said(amina)
    await amina.press("➕ Sign up for workshop 1")
    assert "You have a seat in “Developing" in await said_text(amina)
    await _fill(event_bot, "management", 710_000, 29)  # workshop 1 is full (30) ...
    await event_bot.services.signups.join(bilal.id, "management", seating)  # ... Bilal waits
    await amina.press("⏳ Join the waiting list of workshop 3")
    ask = await said(amina)
    assert (
        "“Supporting and developing the training offer" in plain(ask.text) and "is full" in ask.text
    )
    assert "You keep your current seat until a seat there is yours" in plain(ask.text)
    # Long titles: each workshop named once, the question stays readable.
    assert plain(ask.text).count("Developing the management") == 1
    assert plain(ask.text).count("Supporting and developing the training offer") == 1
    await amina.press("⏳ Yes, wait for workshop 3")
    answer = await said_text(amina)
    assert "waiting list, position 1" in answer and "You keep your seat" in answer
    assert answer.count("Supporting and developing the training offer") == 1
    assert await _seats(event_bot, amina) == [
        ("management", "confirmed"),
        ("training-offer", "waiting"),
    ]
    assert (await event_bot.services.signups.counts())["management"] == (30, 1)
    # Farid leaves workshop 3: Amina gets his seat, hers in 1 goes to Bilal, both told.
    await farid.send("/workshops")
    await said(farid)
    await farid.press("✖️ Leave workshop 3")
    await said(farid)
    await farid.press("✖️ Yes, leave")
    told = await said_text(amina)
    assert "you now have a seat in “Supporting and developing the training offer" in told
    assert "Your seat in “Developing the management" in told and "next person waiting" in told
    assert "you now have a seat in “Developing the management" in await said_text(bilal)
    assert await _seats(event_bot, amina) == [("training-offer", "confirmed")]
    assert await _seats(event_bot, bilal) == [("management", "confirmed")]
    counts = await event_bot.services.signups.counts()
    assert counts["management"] == (30, 0) and counts["training-offer"] == (25, 0)


async def test_the_pressed_list_shows_the_seats_as_they_are_after_the_join(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Salma", language_code="en")
    await enrol(event_bot, user, "en", "central")
    await _fill(event_bot, "training-offer", 700_000, 24)  # one seat left in workshop 3
    await user.send("/workshops")
    listing = await said(user)
    assert "1 seat left" in listing.text
    await user.press("➕ Sign up for workshop 3")
    edited = await shown(user)
    assert edited.kind == "edit" and edited.message_id == listing.message_id
    entry = plain(edited.text).split("3. Supporting and developing", 1)[1].split("\n\n4.", 1)[0]
    assert "full · 0 waiting" in entry and "1 seat left" not in entry
    assert "✅ You have a seat in this workshop." in entry
    assert "✖️ Leave workshop 3" in edited.labels
    assert "You have a seat in “Supporting and developing the training offer" in await said_text(
        user
    )
    # The next person to press the same list's button finds the workshop full, and the list
    # they pressed says so too.
    other = emulator.user(first_name="Omar", language_code="en")
    await enrol(event_bot, other, "en", "central")
    await other.send("/workshops")
    await said(other)
    await user.send("/workshops")  # a fresh list for the first person: 29 seats left in 1
    await said(user)
    await user.press("✖️ Leave workshop 3")
    await said(user)
    await user.press("✖️ Yes, leave")
    await said(user)
    await said(user)  # the list again
    await other.press("➕ Sign up for workshop 1")
    edited = await shown(other)
    assert "29 seats left" in edited.text.split("2. ", 1)[0]


async def test_a_stale_button_acts_when_it_still_makes_sense_otherwise_one_toast(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Youssef", language_code="en")
    await enrol(event_bot, user, "en", "central")
    await user.send("/workshops")
    old = await said(user)
    await user.send("/workshops")
    await said(user)
    # Join from the older list: it acts, the old list shows the seat, the answer says so.
    await user.press_button(old.message_id, label="➕ Sign up for workshop 2")
    edited = await shown(user)
    assert edited.message_id == old.message_id and "✖️ Leave workshop 2" in edited.labels
    assert "You have a seat in “Framing partnerships" in await said_text(user)
    # An old "Yes, leave" once the seat is given up: one toast, nothing in the chat.
    await user.press("✖️ Leave workshop 2")
    first_ask = await said(user)
    await user.press("✖️ Leave workshop 2")  # asked twice, from the same list
    await said(user)
    await user.press("✖️ Yes, leave")
    assert "You left" in await said_text(user)
    await said(user)  # the list again
    press = await user.press_data(first_ask.message_id, first_ask.inline_buttons[0][0][1] or "")
    answer = await user.wait_callback_answer(press)
    assert answer.text == "This button is no longer active."
    # A workshop removed since: the same toast.
    data = load_yaml(EXAMPLE.read_text(encoding="utf-8"))
    data["workshops"] = [w for w in data["workshops"] if w["id"] != "repositioning"]
    await event_bot.services.event.load(parse_event_text(dump_yaml(data)), None)
    press = await user.press_data(old.message_id, "ws:join:repositioning")
    assert (await user.wait_callback_answer(press)).text == "This button is no longer active."
    # A proposal's button after the proposal was sent: the same toast.
    await user.send("Open the centres on Saturdays.")
    offer = await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    press = await user.press_data(offer.message_id, "pr:cancel")
    assert (await user.wait_callback_answer(press)).text == "This button is no longer active."
    await user.send("/help")  # none of the stale presses wrote in the chat
    assert "/workshops" in await said_text(user)
