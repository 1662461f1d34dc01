"""The clock: it sleeps until the next due row, then asks storage for the due rows and hands
them to the sender. It stores nothing; after a restart the due rows are still in the
database and go at once. Late rows follow one rule each: a session reminder after the
session started, a day-before reminder after the event started, and a morning agenda after
the event ended are dropped; notices go late rather than never.

How it wakes (no polling of the tables):
- at the due time of the earliest pending row (`storage.due.next_due`), to the millisecond;
- when this process writes a nearer row: `services.kick_clock()` (handlers call it);
- when the injected clock is moved (FakeClock in tests, OffsetClock in the sandbox: their
  `on_move` listeners);
- when another process (the CLI) wrote to the database: while asleep the clock reads
  SQLite's `PRAGMA data_version` once a second (no table read, no write lock) and looks for
  the next due row again when it changed;
- at the organizers' daily moments (`bot.outbound.daily.next_daily_at`: the summary, the
  backup, the purge) and when a follow-up digest period begins, where it plans that work
  (`plan_daily`, `sweep`); what they plan are due rows like any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram.ext import Application

from bot.context import Services
from bot.followup.delivery import deliver_follow_up
from bot.followup.service import FOLLOW_UP_KINDS
from bot.outbound.daily import deliver_notices, next_daily_at, next_summary_at, plan_daily
from bot.outbound.limiter import woken
from bot.outbound.sender import Outcome, html_sender
from bot.outbound.start import start_campaign
from bot.views.reminders import prompt_text
from storage.due import NextDue, next_due
from storage.event import Prompt

log = logging.getLogger(__name__)

PIPELINE = 200  # prompts claimed and waiting for their turn at most
WATCH_SECONDS = 1.0  # how often a sleeping clock checks whether another process wrote
STOP_SECONDS = 10.0  # how long stop() waits for a pass under way to end
CATCH_UP_SECONDS = 60.0  # how long catch_up() waits for a pass (a hang fails, not waits)


async def _due_now(services: Services) -> int:
    """Start due broadcasts, send due prompts; returns how many rows were handled."""
    async with services.clock_lock:  # never two passes at once
        return (
            await _start_due_campaigns(services)
            + await deliver_due_prompts(services)
            + await deliver_notices(services)
        )


async def tick(services: Services) -> int:
    """Bring the clock up to now and return how many rows it handled since the last call
    (handled by this call or by the running clock, woken by a move of the clock)."""
    clockwork = _running.get(id(services))
    if clockwork is None or not clockwork.running:
        return await _due_now(services)
    return await clockwork.catch_up()


async def _start_due_campaigns(services: Services) -> int:
    started = 0
    for campaign_id in await services.campaigns.due():
        campaign = await services.campaigns.get(campaign_id)
        if campaign is None:
            continue
        await start_campaign(
            services, campaign_id, campaign.author_id, services.texts[campaign.author_locale]
        )
        started += 1
    return started


async def deliver_due_prompts(services: Services) -> int:
    """Send every due prompt through the bulk sender; returns how many were handled.

    A pipeline rather than batch after batch: more rows are claimed as soon as half of those
    in flight are done, so one send waiting out retries never holds up the ones behind it,
    and the sender always has rows waiting for their turn."""
    handled = 0
    in_flight: set[asyncio.Task[None]] = set()
    more = True
    try:
        while True:
            if more and len(in_flight) <= PIPELINE // 2:
                batch = await services.prompts.claim_due(PIPELINE - len(in_flight))
                more = bool(batch)
                handled += len(batch)
                in_flight.update(asyncio.create_task(_deliver(services, p)) for p in batch)
            if not in_flight:
                return handled
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a failed delivery fails the pass (see release_in_flight)
    finally:  # stopped or failed: nothing keeps sending behind the clock's back
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)


async def _deliver(services: Services, prompt: Prompt) -> None:
    if prompt.kind in FOLLOW_UP_KINDS:
        await deliver_follow_up(services, prompt)
        return
    participant = await services.participants.get(prompt.user_id)
    if participant is None or not participant.reachable:
        await services.prompts.settle(
            prompt.id, "dropped" if participant is None else "unreachable"
        )
        return
    t = services.texts[participant.locale]
    text = await prompt_text(services, prompt, t, services.clock.now())
    if text is None:
        await services.prompts.settle(prompt.id, "dropped")
        return
    result = await services.runner.sender.deliver(participant.chat_id, html_sender(text))
    if result.outcome is Outcome.UNREACHABLE:
        await services.participants.set_reachable(participant.user_id, False)
    await services.prompts.settle(prompt.id, result.outcome.value)


class Clockwork:
    """The running clock of one bot: one task that sleeps until something is due."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._wake = asyncio.Event()
        self._passes = 0  # finished passes
        self._passed = asyncio.Condition()
        self._handled = 0  # rows handled since the last `catch_up`
        self._task: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._daily_at: datetime | None = None  # None: plan the day's work at the first pass

    def start(self) -> None:
        """Run the clock (and listen to the injected clock's moves, if it can move)."""
        on_move = getattr(self.services.clock, "on_move", None)
        if on_move is not None:
            self._unlisten = on_move(lambda _now: self.wake())
        self._task = asyncio.create_task(self._run(), name="clock")

    async def stop(self) -> None:
        """Stop the clock; a pass under way is cancelled (its claimed rows go back to pending
        at the next start, see PromptRepository.release_in_flight). Bounded: a pass that does
        not end within STOP_SECONDS is logged and left behind, never waited for for ever."""
        if self._unlisten is not None:
            self._unlisten()
        if self._task is not None:
            self._task.cancel()
            done, _ = await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            if not done:
                log.error("the clock did not stop within %.0f s", STOP_SECONDS)
            elif not self._task.cancelled() and self._task.exception() is not None:
                log.error("the clock had failed: %r", self._task.exception())

    @property
    def running(self) -> bool:
        """Whether the clock's task is alive."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look for due rows now (a row was written, or the clock moved)."""
        self._wake.set()

    async def catch_up(self) -> int:
        """Wait for a pass that starts after this call; rows handled since the last call."""
        # A pass under way may have looked for due rows before this call: wait for the next.
        wanted = self._passes + (2 if self.services.clock_lock.locked() else 1)
        self.wake()
        async with asyncio.timeout(CATCH_UP_SECONDS), self._passed:
            await self._passed.wait_for(lambda: self._passes >= wanted)
        handled, self._handled = self._handled, 0
        return handled

    async def _run(self) -> None:
        while True:
            try:
                self._wake.clear()
                began = self.services.clock.now()
                if self._daily_at is None or began >= self._daily_at:
                    self._daily_at = await self._plan_own_work(began)
                handled = await _due_now(self.services)
                self._passes += 1  # no await since the lock was released: `catch_up` is exact
                self._handled += handled
                async with self._passed:
                    self._passed.notify_all()
                await self._sleep(began if handled == 0 else None)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad row or a closed database must not stop the clock
                log.exception("the clock failed a pass; trying again shortly")
                await asyncio.sleep(WATCH_SECONDS)

    async def _plan_own_work(self, now: datetime) -> datetime:
        """Plan the organizers' daily jobs and the follow-up periods that began; returns when
        to do it next. A failure is logged and tried again a minute later, and never keeps
        the due rows from going."""
        await plan_daily(self.services, now)  # logs each job's failure itself
        try:
            await sweep(self.services)
        except Exception:
            log.exception("the follow-up sweep failed")
        try:
            return await _next_moment(self.services, now)
        except Exception:
            log.exception("could not find the next daily moment")
            return now + timedelta(minutes=1)

    async def _sleep(self, idle_since: datetime | None) -> None:
        """Until the next row is due, a wake-up, or a write by another process.

        `idle_since`: when the last pass began, if it found nothing to do."""
        services = self.services
        due = await next_due(services.db)
        version = await services.db.data_version()
        while True:
            now = services.clock.now()
            daily = self._daily_at
            if daily is not None and daily <= now:
                return
            if due is not None and due.at <= now:
                if idle_since is None or due.at > idle_since:
                    return
                # Due already at the last pass, which could not take it: try again in a
                # second (a plain poll for as long as that row waits, never a spin).
                await woken(self._wake, WATCH_SECONDS)
                return
            seconds = WATCH_SECONDS
            if due is not None:
                seconds = min(seconds, (due.at - now).total_seconds())
            if daily is not None:
                seconds = min(seconds, (daily - now).total_seconds())
            if await woken(self._wake, seconds):
                return
            if (current := await services.db.data_version()) != version:
                version = current  # another process wrote: perhaps a row, or a new event
                due = await next_due(services.db)
                # an earlier daily moment (a new event file) counts; a passed one is kept
                moment = await _next_moment(services, services.clock.now())
                self._daily_at = moment if daily is None else min(daily, moment)


async def next_for_people(services: Services) -> NextDue | None:
    """The next moment someone gets something: a due row, the organizers' daily summary or a
    follow-up digest (both planned at their time, so not yet rows). The sandbox's "next"
    jumps there."""
    due = await next_due(services.db)
    summary = await next_summary_at(services, services.clock.now())
    if (
        summary is not None
        and (due is None or summary < due.at)
        and await _summary_wanted(services)
    ):
        due = NextDue(summary, "daily_summary")
    # A digest's rows are planned when its period begins: until then it is not a row.
    digest = await services.followup.coming_digest_at()
    if digest is not None and (due is None or digest < due.at):
        due = NextDue(digest, "digest")
    return due


async def _summary_wanted(services: Services) -> bool:
    """Whether any organizer gets the daily summary (it can be switched off)."""
    notices = services.organizers.notices
    for user_id in await services.roles.holders("organizer"):
        if await notices.wants_summary(user_id):
            return True
    return False


async def _next_moment(services: Services, now: datetime) -> datetime:
    """The next moment the clock plans work itself: an organizers' daily job, or the start of
    a follow-up digest period."""
    moment = await next_daily_at(services, now)
    digest = await services.followup.next_sweep_at()
    return moment if digest is None else min(moment, digest)


_running: dict[int, Clockwork] = {}  # by id(services): how `tick` finds the running clock


def start_clock(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Start the clock of this bot (at start-up, after the database is open)."""
    previous = _running.pop(id(services), None)
    if previous is not None:
        application.create_task(previous.stop())
    clockwork = _running[id(services)] = Clockwork(services)
    clockwork.start()
    services.kick = clockwork.wake


async def sweep(services: Services) -> int:
    """Plan the rows of periods that began (digests, weekly summaries); idempotent."""
    planned = await services.followup.sweep()
    if planned:
        services.kick_clock()
    return planned


async def stop_clock(services: Services) -> None:
    """Stop the clock of this bot (at shut-down, before the database closes)."""
    clockwork = _running.pop(id(services), None)
    if clockwork is not None:
        services.kick = None
        await clockwork.stop()
