"""An organizer who never registered gets their scheduled messages (daily summary, weekly
summary, escalations) in the language they last used with the bot: Telegram's language_code,
or what they picked with /language; /language never starts a registration for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from bot.outbound.schedule import tick
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, said_text, shown_text
from tests.organizers.seed import SATURDAY, seed


@pytest.fixture
async def seeded(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The seeded event; the bot's default language is Arabic."""
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock, default_locale="ar").start()
    await seed(bot.services, clock)
    try:
        yield bot
    finally:
        await bot.stop()


async def _clock_at(bot: RunningBot, moment: datetime) -> None:
    clock: FakeClock = bot.clock  # type: ignore[assignment]
    clock.advance(moment - clock.now())
    await tick(bot.services)


async def test_an_unregistered_organizers_summary_comes_in_the_language_they_use(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    nadia = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="fr")
    await nadia.send("/admin")
    # /admin in French, as her Telegram is.
    assert "Inscriptions à ce jour" in await said_text(nadia)
    assert await seeded.services.participants.get(ORGANIZER_ID) is None  # never registered
    # Monday 28 January, 19:00 in Casablanca: the daily summary, in French, not in Arabic.
    await _clock_at(seeded, datetime(2019, 1, 28, 18, 0, tzinfo=UTC))
    assert "Résumé du jour" in (await said(nadia)).text


async def test_language_for_an_unregistered_organizer_keeps_it_and_starts_no_registration(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    nadia = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="fr")
    await nadia.send("/language")
    await said(nadia)
    await nadia.press("English")
    assert await shown_text(nadia) == "From now on I will write to you in English."
    assert await seeded.services.drafts.of_user(ORGANIZER_ID) == []  # no registration begun
    # Her Telegram still says French; her choice stands, live and in scheduled messages.
    await nadia.send("/admin")
    assert "Registrations so far" in await said_text(nadia)
    await _clock_at(seeded, datetime(2019, 1, 28, 18, 0, tzinfo=UTC))
    assert "Daily summary" in (await said(nadia)).text
