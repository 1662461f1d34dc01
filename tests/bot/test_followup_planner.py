"""The follow-up cadence as rules on plain values (the end-to-end tests drive the bot)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.event.follow_up import FollowUpPolicy, QuietHours
from bot.followup.planner import (
    FollowState,
    after_prompt,
    digest_period,
    is_allowed,
    next_allowed,
    next_digest_at,
    next_prompt,
    should_escalate_silence,
    silence_escalation_at,
)

ZONE = ZoneInfo("Africa/Casablanca")
END = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # a Wednesday, 17:00 local (UTC+1)
POLICY = FollowUpPolicy()


def at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    """Local (UTC+1 in March 2026) as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (at(12, 3, 10), True),  # Thursday morning
        (at(12, 3, 19, 30), False),  # evening: quiet
        (at(13, 3, 7, 0), False),  # early morning: quiet
        (at(14, 3, 11), False),  # Saturday
        (at(15, 3, 11), False),  # Sunday
    ],
)
def test_prompts_never_go_at_night_or_on_the_weekend(moment: datetime, allowed: bool) -> None:
    assert is_allowed(moment, POLICY, ZONE) is allowed


def test_a_moment_in_quiet_hours_moves_to_the_next_opening_skipping_the_weekend() -> None:
    assert next_allowed(at(13, 3, 20), POLICY, ZONE) == at(16, 3, 8, 30)  # Fri 20:00 → Mon
    assert next_allowed(at(12, 3, 6), POLICY, ZONE) == at(12, 3, 8, 30)
    daytime_quiet = FollowUpPolicy(quiet_hours=QuietHours(start=time(12), end=time(14)))
    assert next_allowed(at(12, 3, 12, 30), daytime_quiet, ZONE) == at(12, 3, 14)


def test_first_prompt_days_after_the_event_then_every_n_days_from_the_last_contact() -> None:
    first = next_prompt(POLICY, ZONE, END, None, FollowState(), at(11, 3, 18))
    assert first == at(18, 3, 10)
    prompted = after_prompt(FollowState(), POLICY, ZONE, None, first)
    assert next_prompt(POLICY, ZONE, END, None, prompted, first) == at(1, 4, 10)


def test_after_downtime_the_missed_prompt_is_due_once_now_not_per_missed_cycle() -> None:
    state = FollowState(last_prompt_at=at(18, 3, 10))
    back = at(20, 5, 15)  # weeks later, a Wednesday afternoon
    assert next_prompt(POLICY, ZONE, END, None, state, back) == back
    after = after_prompt(state, POLICY, ZONE, None, back)
    assert next_prompt(POLICY, ZONE, END, None, after, back) == at(3, 6, 10)


def test_pre_due_and_due_day_prompts_come_before_the_regular_one() -> None:
    due = date(2026, 3, 27)  # a Friday
    state = FollowState(last_prompt_at=at(18, 3, 10))
    pre = next_prompt(POLICY, ZONE, END, due, state, at(18, 3, 11))
    assert pre == at(24, 3, 10)  # 3 days before
    state = after_prompt(state, POLICY, ZONE, due, pre)
    assert state.pre_due_sent and not state.due_day_sent
    assert next_prompt(POLICY, ZONE, END, due, state, pre) == at(27, 3, 10)


def test_silence_escalates_once_per_stretch() -> None:
    state = FollowState()
    for _ in range(POLICY.escalate_after - 1):
        state = after_prompt(state, POLICY, ZONE, None, at(18, 3, 10))
    assert not should_escalate_silence(state, POLICY)
    state = after_prompt(state, POLICY, ZONE, None, at(1, 4, 10))
    assert should_escalate_silence(state, POLICY)
    escalated = FollowState(silent_prompts=state.silent_prompts, escalated_silent=2)
    assert not should_escalate_silence(escalated, POLICY)


def test_digest_periods_start_after_the_event() -> None:
    assert digest_period(POLICY, ZONE, END, at(20, 3, 12)) is None
    assert digest_period(POLICY, ZONE, END, at(25, 3, 11)) == (0, at(25, 3, 11))
    assert digest_period(POLICY, ZONE, END, at(8, 4, 10)) == (0, at(25, 3, 11))
    assert digest_period(POLICY, ZONE, END, at(8, 4, 11)) == (1, at(8, 4, 11))


def test_the_clock_wakes_when_the_next_digest_period_begins() -> None:
    # Before the first period, during it, and at the very moment the second one begins.
    assert next_digest_at(POLICY, ZONE, END, at(20, 3, 12)) == at(25, 3, 11)
    assert next_digest_at(POLICY, ZONE, END, at(25, 3, 10, 59)) == at(25, 3, 11)
    assert next_digest_at(POLICY, ZONE, END, at(25, 3, 11)) == at(8, 4, 11)
    assert next_digest_at(POLICY, ZONE, END, at(8, 4, 11)) == at(22, 4, 11)
    for moment in (at(20, 3, 12), at(30, 3, 9), at(8, 4, 10)):  # the period it wakes for
        wake = next_digest_at(POLICY, ZONE, END, moment)
        assert wake is not None and digest_period(POLICY, ZONE, END, wake)[1] == wake


def test_the_event_file_follow_up_section_is_validated_with_its_places() -> None:
    from pathlib import Path

    from bot.event.file import EventFileError, parse_event_text

    example = Path(__file__).parents[2] / "examples" / "study-day.yaml"
    text = example.read_text(encoding="utf-8").split("\nfollow_up:")[0] + (
        "\nfollow_up:\n  every_days: 0\n  weekend: [friday, funday]\n  send_at: '25:00'\n"
    )
    with pytest.raises(EventFileError) as raised:
        parse_event_text(text)
    problems = "\n".join(raised.value.problems)
    assert "follow_up.every_days" in problems
    assert "follow_up.weekend[1]" in problems
    assert "follow_up.send_at" in problems


def test_silence_is_escalated_after_a_grace_period_not_with_the_kth_prompt() -> None:
    first = after_prompt(FollowState(), POLICY, ZONE, None, at(18, 3, 10))
    assert silence_escalation_at(first, POLICY, ZONE) is None  # one prompt: not yet
    second = after_prompt(first, POLICY, ZONE, None, at(1, 4, 10))  # a Wednesday
    assert POLICY.escalate_grace_days == 2
    assert silence_escalation_at(second, POLICY, ZONE) == at(3, 4, 10)  # Friday, 2 days later
    # A grace ending on the weekend or at night waits for the next allowed moment.
    friday = after_prompt(first, POLICY, ZONE, None, at(3, 4, 18))
    assert silence_escalation_at(friday, POLICY, ZONE) == at(6, 4, 8, 30)
    longer = FollowUpPolicy(escalate_grace_days=5)
    assert silence_escalation_at(second, longer, ZONE) == at(6, 4, 10)
    escalated = FollowState(last_prompt_at=at(1, 4, 10), silent_prompts=2, escalated_silent=2)
    assert silence_escalation_at(escalated, POLICY, ZONE) is None
