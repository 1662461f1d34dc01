"""Where `multaqa sandbox` starts the bot's clock, so that an event can be rehearsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.cli.event import check_file
from bot.cli.sandbox import DEFAULT_EVENT, rehearsal_offset


def example():  # type: ignore[no-untyped-def]
    definition, problems = check_file(DEFAULT_EVENT)
    assert definition is not None, problems
    return definition


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
