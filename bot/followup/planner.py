"""When to prompt, escalate and summarise: pure functions of the policy, the event's zone, a
recommendation's follow-up state and now. No I/O, so every rule is tested on plain values.

The cadence is computed from what happened (last prompt, last answer), never counted in
cycles: after downtime the missed prompt is due once, at the first allowed moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.event.follow_up import FollowUpPolicy
from storage.followup import FollowState

# A prompt due within this window of another of the same delegate goes with it.
GROUP_WINDOW = timedelta(days=2)


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in the event's zone, as UTC."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The event-zone date of a UTC moment."""
    return moment.astimezone(zone).date()


def is_allowed(moment: datetime, policy: FollowUpPolicy, zone: ZoneInfo) -> bool:
    """Outside quiet hours and not on a weekend day."""
    local = moment.astimezone(zone)
    if local.weekday() in policy.weekend_days():
        return False
    quiet = policy.quiet_hours
    now = local.time()
    if quiet.start > quiet.end:  # overnight: 19:00 .. 08:30
        return quiet.end <= now < quiet.start
    return not (quiet.start <= now < quiet.end)


def next_allowed(moment: datetime, policy: FollowUpPolicy, zone: ZoneInfo) -> datetime:
    """`moment` if prompts may go then, else the first allowed moment after it."""
    if is_allowed(moment, policy, zone):
        return moment
    opening = policy.quiet_hours.end
    day = local_day(moment, zone)
    for offset in range(0, 9):
        candidate = at_local(day + timedelta(days=offset), opening, zone)
        if candidate > moment and is_allowed(candidate, policy, zone):
            return candidate
    # quiet hours that end before they start on the same day (e.g. 12:00-14:00)
    candidate = at_local(day, policy.quiet_hours.end, zone)
    while not is_allowed(candidate, policy, zone) or candidate <= moment:
        candidate += timedelta(minutes=30)
    return candidate


def _send_moment(day: date, policy: FollowUpPolicy, zone: ZoneInfo) -> datetime:
    return at_local(day, policy.send_at, zone)


def pre_due_day(due: date, policy: FollowUpPolicy) -> date | None:
    """The day of the prompt before the due date, if the policy has one."""
    return due - timedelta(days=policy.before_due_days) if policy.before_due_days else None


def next_prompt(
    policy: FollowUpPolicy,
    zone: ZoneInfo,
    event_end: datetime,
    due: date | None,
    state: FollowState,
    now: datetime,
) -> datetime:
    """When this recommendation's delegate should next be asked about it."""
    seen = [m for m in (state.last_prompt_at, state.last_answer_at) if m is not None]
    if seen:
        regular_day = local_day(max(seen), zone) + timedelta(days=policy.every_days)
    else:  # the first prompt: N days after the event, or after the assignment if later
        start = max(event_end, state.assigned_at or event_end)
        regular_day = local_day(start, zone) + timedelta(days=policy.first_after_days)
    candidates = [_send_moment(regular_day, policy, zone)]
    if due is not None:
        pre = pre_due_day(due, policy)
        if pre is not None and not state.pre_due_sent:
            candidates.append(_send_moment(pre, policy, zone))
        if policy.on_due_date and not state.due_day_sent:
            candidates.append(_send_moment(due, policy, zone))
    return next_allowed(max(min(candidates), now), policy, zone)


def after_prompt(
    state: FollowState, policy: FollowUpPolicy, zone: ZoneInfo, due: date | None, at: datetime
) -> FollowState:
    """The state once a prompt about this recommendation went at `at`."""
    today = local_day(at, zone)
    pre = pre_due_day(due, policy) if due is not None else None
    return FollowState(
        assigned_at=state.assigned_at,
        last_prompt_at=at,
        last_answer_at=state.last_answer_at,
        silent_prompts=state.silent_prompts + 1,
        pre_due_sent=state.pre_due_sent or (pre is not None and today >= pre),
        due_day_sent=state.due_day_sent or (due is not None and today >= due),
        escalated_silent=state.escalated_silent,
        escalated_overdue=state.escalated_overdue,
    )


def overdue_from(due: date, zone: ZoneInfo) -> datetime:
    """The first moment a recommendation due on `due` is late: the next local midnight."""
    return at_local(due + timedelta(days=1), time(0, 0), zone)


def days_late(due: date, now: datetime, zone: ZoneInfo) -> int:
    """Whole days past the due date (0 on the due date itself or before)."""
    return max((local_day(now, zone) - due).days, 0)


def should_escalate_silence(state: FollowState, policy: FollowUpPolicy) -> bool:
    """K prompts left unanswered, and not escalated for this stretch of silence yet."""
    return state.silent_prompts >= policy.escalate_after and state.escalated_silent == 0


def silence_escalation_at(
    state: FollowState, policy: FollowUpPolicy, zone: ZoneInfo
) -> datetime | None:
    """When the organizers hear of a delegate's silence (None: not to escalate): the K-th
    prompt gets `escalate_grace_days` to be answered, so the escalation never goes at the
    same minute as the prompt it is about; then at the first allowed moment. An answer in
    the meantime cancels it (the state's silence is back to 0 when it comes due)."""
    if not should_escalate_silence(state, policy) or state.last_prompt_at is None:
        return None
    grace = timedelta(days=policy.escalate_grace_days)
    return next_allowed(state.last_prompt_at + grace, policy, zone)


def weekly_summary_at(policy: FollowUpPolicy, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The next weekly summary moment at or after now (None: switched off)."""
    weekly = policy.weekly_summary
    if weekly is None:
        return None
    from bot.event.follow_up import WEEKDAYS

    target = WEEKDAYS.index(weekly.day)
    day = local_day(now, zone)
    for offset in range(8):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() == target:
            moment = at_local(candidate_day, weekly.at, zone)
            if moment >= now - timedelta(minutes=1):
                return moment
    return None


def digest_period(policy: FollowUpPolicy, zone: ZoneInfo, event_end: datetime, now: datetime):
    """(number, moment) of the latest digest period that has begun, or None: the first digest
    goes `every_days` after the event, then every `every_days`."""
    every = policy.digest.every_days
    if every <= 0:
        return None
    first_day = local_day(event_end, zone) + timedelta(days=every)
    elapsed = (local_day(now, zone) - first_day).days
    if elapsed < 0:
        return None
    number = elapsed // every
    moment = at_local(first_day + timedelta(days=number * every), policy.digest.at, zone)
    if moment > now:
        if number == 0:
            return None
        number -= 1
        moment = at_local(first_day + timedelta(days=number * every), policy.digest.at, zone)
    return number, moment


def next_digest_at(
    policy: FollowUpPolicy, zone: ZoneInfo, event_end: datetime, now: datetime
) -> datetime | None:
    """When the next digest period begins, after `now` (None: digests are switched off): the
    clock plans that period's rows then (see `digest_period`)."""
    every = policy.digest.every_days
    if every <= 0:
        return None
    first_day = local_day(event_end, zone) + timedelta(days=every)
    current = digest_period(policy, zone, event_end, now)
    number = 0 if current is None else current[0] + 1
    return at_local(first_day + timedelta(days=number * every), policy.digest.at, zone)
