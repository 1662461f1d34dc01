"""Where `multaqa sandbox` starts the bot's clock, so that an event can be rehearsed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bot.cli.event import check_file
from bot.cli.sandbox import DEFAULT_EVENT, SandboxClock, rehearsal_offset
from bot.event.file import load_event_file
from sandbox import BotApiEmulator
from storage.clock import FakeClock, OffsetClock
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, settings_for


def example():  # type: ignore[no-untyped-def]
    definition, problems = check_file(DEFAULT_EVENT)
    assert definition is not None, problems
    return definition


def definition_zone() -> ZoneInfo:
    return example().zone


def test_a_past_event_is_rehearsed_from_the_morning_before_it() -> None:
    definition = example()  # 30 January 2019, registration until the 29th at 18:00
    now = datetime.now(UTC)
    start = now + rehearsal_offset(definition, now)
    local = start.astimezone(definition.zone)
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2019, 1, 29, 9, 0)
    assert definition.event.registration_opens <= start < definition.event.registration_closes


def test_no_move_while_registration_is_open() -> None:
    definition = example()
    during = definition.event.registration_opens + timedelta(days=2)
    assert rehearsal_offset(definition, during) == timedelta(0)


def test_an_event_not_open_yet_starts_inside_its_registration_window() -> None:
    definition = example()
    early = definition.event.registration_opens - timedelta(days=30)
    start = early + rehearsal_offset(definition, early)
    assert definition.event.registration_opens <= start < definition.event.registration_closes


async def test_next_stops_at_the_digest_before_a_later_follow_up(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    # Monday 11 February 2019, 09:00 in Casablanca: the first digest is due on the 13th at
    # 11:00; the delegate's next follow-up prompt on the 15th (three days before the due date).
    base = FakeClock(datetime(2019, 2, 11, 8, 0, tzinfo=UTC))
    clock = OffsetClock(base=base)
    bot = await RunningBot(settings_for(emulator, tmp_path / "n.db"), clock).start()
    try:
        services = bot.services
        await services.event.load(load_event_file(DEFAULT_EVENT), None)
        author = emulator.user(first_name="Zineb", language_code="fr")
        delegate = emulator.user(first_name="Hamza", language_code="fr")
        await enrol(bot, author, "fr", "oriental")
        await enrol(bot, delegate, "fr", "central")
        rec_id = await services.recommendations.create(
            "partnerships", "Créer un guichet", "fr", None, date(2019, 2, 18), 1
        )
        await services.followup.assign(rec_id, delegate.id, 1)
        await services.followup.repo.record(rec_id, delegate.id, "in_progress", 40)
        emulator.clock_control = SandboxClock(clock, services, definition_zone())
        async with httpx.AsyncClient(base_url=emulator.url) as http:
            reached = []
            for _ in range(4):
                step = (await http.post("/sandbox/clock", json={"to": "next"})).json()
                if not step["moved"]:
                    break
                reached.append((step["local"], step["reached"]))
                if step["local"] >= "2019-02-15":
                    break
        assert ("2019-02-13 11:00", "digest") in reached
        assert [local for local, _ in reached] == sorted(local for local, _ in reached)
        digest = await said(author)
        assert "Créer un guichet" in digest.text
    finally:
        await bot.stop()
