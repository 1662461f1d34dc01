"""Dates and times as people read them: one time zone (the event's), examples of dates that
are never in the past, and the event's own dates enforced (registration window, check-in on
the event's days, what still works after the event)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.event.file import parse_event_text
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_review import _open_queue, _proposal
from tests.harness import RunningBot, said, said_text, shown

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"


def example_in(zone: str) -> str:
    """The study day held in another time zone."""
    return EXAMPLE.read_text(encoding="utf-8").replace(
        "timezone: Africa/Casablanca", f"timezone: {zone}"
    )


@pytest.fixture
async def late_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """A bot whose clock is past every date an old prompt used as an example."""
    bot = await make_bot(clock=FakeClock(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))).start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_broadcast_times_are_read_in_the_events_zone_not_the_setting(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    # TIMEZONE says Casablanca (UTC+1); the event is held in New York (UTC-5 in winter).
    bot = await make_bot(clock=FakeClock(datetime(2019, 1, 28, 9, 0, tzinfo=UTC))).start()
    try:
        await bot.services.event.load(parse_event_text(example_in("America/New_York")), None)
        person = emulator.user(first_name="Sara", language_code="en")
        await enrol(bot, person, "en", "central")
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
        await organizer.send("/admin")
        await said(organizer)
        await organizer.press("📣 Broadcast a message")
        await shown(organizer)
        await organizer.send("The bus leaves at 08:15.")
        await said(organizer)
        await organizer.press("➡️ Continue")
        await shown(organizer)
        await organizer.press("Everyone (1)")
        for _ in range(3):
            await shown(organizer)
        await organizer.press("🕒 Schedule")
        await shown(organizer)
        await organizer.send("2019-01-29 08:15")
        assert "Scheduled for" in await said_text(organizer)
        (campaign_id,) = [
            r["id"] for r in await bot.services.db.fetchall("SELECT id FROM campaigns")
        ]
        campaign = await bot.services.campaigns.get(campaign_id)
        assert campaign.scheduled_at == datetime(2019, 1, 29, 13, 15, tzinfo=UTC)
    finally:
        await bot.stop()


async def test_the_due_date_example_is_never_in_the_past(
    emulator: BotApiEmulator, late_bot: RunningBot
) -> None:
    bot = late_bot
    author = emulator.user(first_name="Rachid", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(author, "A shared catalogue.", "💡 General (not tied to a workshop)")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    await said(organizer)
    await organizer.press("🔗 Into a recommendation")
    await said(organizer)
    await organizer.press("➕ A new recommendation")
    await said(organizer)
    await organizer.send("Publish the catalogue")
    await said(organizer)
    await organizer.press("Skip")
    prompt = await said_text(organizer)
    example = re.search(r"\d{2}/\d{2}/\d{4}", prompt)
    assert example is not None, prompt
    await organizer.send(example[0])  # what the prompt shows is accepted
    assert "R-1" in await said_text(organizer)
    due = (await bot.services.recommendations.get(1)).due_date
    assert due is not None and due > bot.clock.now().date()


async def test_registration_is_open_only_inside_the_events_window(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    clock = FakeClock(datetime(2019, 1, 10, 9, 0, tzinfo=UTC))  # opens on the 14th, 09:00
    bot = await make_bot(clock=clock).start()
    try:
        await bot.services.event.load(parse_event_text(EXAMPLE.read_text("utf-8")), None)
        early = emulator.user(first_name="Early", language_code="en")
        await early.send("/start")
        told = await said_text(early)
        assert "Registration for “Study day" in told and "opens on 14 January 2019, 09:00" in told
        assert await bot.services.drafts.get(early.id, "registration") is None  # nothing kept

        clock.advance(timedelta(days=20))  # the 30th: closed on the 29th at 18:00
        late = emulator.user(first_name="Late", language_code="fr")
        await late.send("/start")
        told = await said_text(late)
        assert "sont closes depuis le 29 janvier 2019, 18:00" in told
        assert "organisateurs" in told

        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
        await organizer.send("/start")  # organizers can still register
        assert "العربية" in (await said(organizer)).labels
    finally:
        await bot.stop()


async def test_after_the_event_agenda_and_workshops_say_so_and_what_still_works(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(datetime(2019, 1, 31, 9, 0, tzinfo=UTC))).start()
    try:
        await bot.services.event.load(parse_event_text(EXAMPLE.read_text("utf-8")), None)
        person = emulator.user(first_name="After", language_code="en")
        await enrol(bot, person, "en", "central")
        for command in ("/agenda", "/workshops"):
            await person.send(command)
            told = await said_text(person)
            assert "is over" in told and "/propose" in told and "/mine" in told
        await person.send("/start checkin-venue")
        assert "check-in is closed" in await said_text(person)
        assert await bot.services.checkins.count() == 0
    finally:
        await bot.stop()
