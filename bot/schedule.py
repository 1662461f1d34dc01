"""The clock: a repeating job asks storage for due rows and hands them on. It stores nothing;
after a restart the due rows are still in the database and fire at the next tick."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from bot.context import Services, services_of

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0


async def tick(services: Services) -> int:
    """Start every scheduled campaign whose time has come; returns how many."""
    from handlers.broadcast import start_campaign

    started = 0
    for campaign_id in await services.campaigns.due():
        campaign = await services.campaigns.get(campaign_id)
        if campaign is None:
            continue
        t = services.texts[campaign.author_locale]
        await start_campaign(services, campaign_id, campaign.author_id, t)
        started += 1
    return started


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await tick(services_of(context.application))


def start_clock(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Run `tick` every few seconds (named, and replaced if already there)."""
    queue = application.job_queue
    if queue is None:
        log.warning("no job queue: scheduled broadcasts will not start")
        return
    for job in queue.get_jobs_by_name("clock"):
        job.schedule_removal()
    queue.run_repeating(_tick_job, interval=TICK_SECONDS, first=TICK_SECONDS, name="clock")
