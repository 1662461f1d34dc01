"""Runs campaigns: claims pending deliveries, sends them through the BulkSender, records each
outcome, reports progress, and resumes by itself after a stop or a crash."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.outbound.sender import BulkSender, Outcome, html_sender
from bot.outbound.versions import version_for
from storage.campaigns import Campaign, CampaignRepository, Delivery, Progress

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Campaign, Progress, bool], Awaitable[None]]
BATCH = 100


class CampaignRunner:
    """One task per sending campaign; `stop` lets in-flight messages finish, then pauses."""

    def __init__(
        self,
        repo: CampaignRepository,
        sender: BulkSender,
        default_locale: str,
        on_progress: ProgressCallback | None = None,
        progress_every: float = 3.0,
        fallback: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.repo = repo
        self.fallback = fallback  # language fallback order (bot.outbound.versions)
        self.sender = sender
        self.default_locale = default_locale
        self.on_progress = on_progress
        self.progress_every = progress_every
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._stops: dict[int, asyncio.Event] = {}

    def running(self, campaign_id: int) -> bool:
        """Whether this campaign is being sent by this process."""
        task = self._tasks.get(campaign_id)
        return task is not None and not task.done()

    def launch(self, campaign_id: int) -> asyncio.Task[None]:
        """Send (or go on sending) a campaign already in state `sending`; idempotent."""
        task = self._tasks.get(campaign_id)
        if task is not None and not task.done():
            return task
        self._stops[campaign_id] = asyncio.Event()
        task = asyncio.create_task(self._run(campaign_id), name=f"campaign {campaign_id}")
        self._tasks[campaign_id] = task
        return task

    async def wait(self, campaign_id: int) -> None:
        """Until this process is no longer sending the campaign (done, stopped or failed)."""
        task = self._tasks.get(campaign_id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self, campaign_id: int) -> None:
        """Halt after the messages in flight; the rest stays pending for Resume."""
        stop = self._stops.get(campaign_id)
        task = self._tasks.get(campaign_id)
        if stop is not None:
            stop.set()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def shutdown(self) -> None:
        """Stop every campaign (the database keeps them `sending`, to resume at start)."""
        await asyncio.gather(*(self.stop(cid) for cid in list(self._tasks)))

    async def resume_all(self) -> list[int]:
        """At start-up: release what was in flight at a crash and go on with every campaign."""
        await self.repo.release_in_flight()
        campaigns = await self.repo.in_state("sending")
        for campaign_id in campaigns:
            self.launch(campaign_id)
        return campaigns

    async def _run(self, campaign_id: int) -> None:
        campaign = await self.repo.get(campaign_id)
        if campaign is None or campaign.state != "sending":
            return
        stop = self._stops[campaign_id]
        slots = asyncio.Semaphore(self.sender.policy.concurrency)
        loop = asyncio.get_running_loop()
        last_report = 0.0
        try:
            while not stop.is_set():
                batch = await self.repo.claim(campaign_id, BATCH)
                if not batch:
                    break
                pending = [asyncio.create_task(self._one(campaign, d, slots, stop)) for d in batch]
                for finished in asyncio.as_completed(pending):
                    await finished
                    if loop.time() - last_report >= self.progress_every:
                        last_report = loop.time()
                        await self._report(campaign, finished=False)
        except Exception:
            log.exception("campaign %s stopped by an error; it resumes at next start", campaign_id)
            await self.repo.release_in_flight(campaign_id)
            raise
        await self.repo.release_in_flight(campaign_id)  # claimed but not sent: back to pending
        if stop.is_set():
            await self._report(campaign, finished=False)
            return
        await self.repo.set_state(campaign_id, "done", only_from=("sending",))
        await self._report(campaign, finished=True)

    async def _one(
        self, campaign: Campaign, delivery: Delivery, slots: asyncio.Semaphore, stop: asyncio.Event
    ) -> None:
        async with slots:
            if stop.is_set():
                return  # stays `sending` until released as pending at the end of the run
            text = campaign.texts[version_for(campaign.texts, delivery.locale, self.fallback)]
            send = html_sender(text, campaign.media_kind, campaign.media_file_id)
            result = await self.sender.deliver(delivery.chat_id, send, delivery.attempts)
            await self.repo.settle(
                delivery,
                result.outcome.value,
                message_id=result.message_id,
                error=result.error,
                attempts=result.attempts,
            )

    async def _report(self, campaign: Campaign, finished: bool) -> None:
        if self.on_progress is None:
            return
        fresh = await self.repo.get(campaign.id) or campaign
        try:
            await self.on_progress(fresh, await self.repo.progress(campaign.id), finished)
        except Exception:  # a failed progress edit must never stop the sending
            log.exception("progress report for campaign %s failed", campaign.id)


__all__ = ["CampaignRunner", "Outcome"]
