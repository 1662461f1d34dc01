"""The clock: a repeating job asks storage for due rows and hands them to the sender. It
stores nothing; after a restart the due rows are still in the database and go at the next
tick. Late rows follow one rule each: a session reminder after the session started, a
day-before reminder after the event started, and a morning agenda after the event ended
are dropped; notices go late rather than never."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram.ext import Application, ContextTypes

from bot.context import Services, services_of
from bot.event.service import localized_text as localized
from bot.i18n import Translator
from bot.outbound.sender import Outcome, html_sender
from bot.outbound.start import start_campaign
from bot.views.agenda import agenda_text
from storage.event import Prompt

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0


async def tick(services: Services) -> int:
    """One turn of the clock: start due broadcasts, send due prompts; returns how many."""
    async with services.clock_lock:  # a kick and the periodic job never run at once
        return await _start_due_campaigns(services) + await deliver_due_prompts(services)


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


async def _prompt_text(
    services: Services, prompt: Prompt, t: Translator, now: datetime
) -> str | None:
    """What to send for a due prompt, or None to drop it (too late, or nothing to say)."""
    if prompt.kind == "notice":
        return str(prompt.payload.get("text") or "") or None
    event = await services.event.current()
    if event is None:
        return None
    info = event.event
    mine = await services.event.my_workshops(prompt.user_id)
    if prompt.kind == "morning_agenda":
        return agenda_text(t, event, now, mine) if now < info.end else None
    if prompt.kind == "day_before":
        if now >= info.start:
            return None
        confirmed = [w for w, seat in mine if seat.state == "confirmed"]
        workshop = (
            t(
                "remind.your_workshop",
                title=localized(dict(confirmed[0].title), t),
                room=confirmed[0].room,
            )
            if confirmed
            else ""
        )
        return (
            t(
                "remind.day_before",
                title=localized(dict(info.title), t),
                date=t.date(info.start, event.zone),
                time=t.time(info.start, event.zone),
                venue=localized(dict(info.venue.name), t),
            )
            + workshop
        )
    # a session: an agenda item or a workshop
    item = event.item(prompt.subject or "")
    workshop = event.workshop(prompt.subject or "")
    if workshop is not None:
        slot = event.slot_of(workshop)
        start, title, room = slot.start, localized(dict(workshop.title), t), workshop.room
    elif item is not None:
        start, title, room = item.start, localized(dict(item.title), t), item.room or ""
    else:
        return None
    if now >= start:
        return None
    minutes = max(1, round((start - now).total_seconds() / 60))
    return t(
        "remind.session", title=title, room=room, time=t.time(start, event.zone), minutes=minutes
    )


async def deliver_due_prompts(services: Services) -> int:
    """Send every due prompt through the bulk sender; returns how many were handled."""
    handled = 0
    while batch := await services.prompts.claim_due():
        await asyncio.gather(*(_deliver(services, prompt) for prompt in batch))
        handled += len(batch)
    return handled


async def _deliver(services: Services, prompt: Prompt) -> None:
    participant = await services.participants.get(prompt.user_id)
    if participant is None or not participant.reachable:
        await services.prompts.settle(
            prompt.id, "dropped" if participant is None else "unreachable"
        )
        return
    t = services.texts[participant.locale]
    text = await _prompt_text(services, prompt, t, services.clock.now())
    if text is None:
        await services.prompts.settle(prompt.id, "dropped")
        return
    result = await services.runner.sender.deliver(participant.chat_id, html_sender(text))
    if result.outcome is Outcome.UNREACHABLE:
        await services.participants.set_reachable(participant.user_id, False)
    await services.prompts.settle(prompt.id, result.outcome.value)


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await tick(services_of(context.application))


def start_clock(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Run `tick` every few seconds (named, and replaced if already there); `kick` runs it
    at once."""
    queue = application.job_queue
    if queue is None:
        log.warning("no job queue: scheduled broadcasts and reminders will not be sent")
        return
    for job in queue.get_jobs_by_name("clock"):
        job.schedule_removal()
    queue.run_repeating(_tick_job, interval=TICK_SECONDS, first=1.0, name="clock")
    services.kick = lambda: application.create_task(tick(services), name="clock kick")
