"""Runs campaigns: claims pending deliveries, sends them through the BulkSender, records each
outcome, reports progress, and resumes by itself after a stop or a crash.

One owner per campaign: the runner takes a lease on a campaign before sending it and renews
it (heartbeat) while it sends. The bot (`owner="bot"`, one per database thanks to its lock
file) and `multaqa broadcast` (`owner="cli:<pid>:<random>"`) never send the same campaign; a
campaign whose owner stopped heartbeating is taken over by the bot's watcher, so a campaign
never sits in `sending` without a runner."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.outbound.sender import BulkSender, Outcome, html_sender
from bot.outbound.versions import version_for
from storage.campaigns import Campaign, CampaignRepository, Delivery, Progress

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Campaign, Progress, bool], Awaitable[None]]
BATCH = 100
LEASE_SECONDS = 15.0


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
        owner: str = "bot",
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.repo = repo
        self.fallback = fallback  # language fallback order (bot.outbound.versions)
        self.sender = sender
        self.default_locale = default_locale
        self.on_progress = on_progress
        self.progress_every = progress_every
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._stops: dict[int, asyncio.Event] = {}
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._watcher: asyncio.Task[None] | None = None

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
        # A fresh context: the task outlives the update whose handler launched it, and must
        # not write under that update's idempotency scope (storage.database.update_scope).
        task = asyncio.create_task(
            self._run(campaign_id), name=f"campaign {campaign_id}", context=contextvars.Context()
        )
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
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await asyncio.gather(*(self.stop(cid) for cid in list(self._tasks)))

    async def resume_all(self) -> list[int]:
        """At start-up: go on with every campaign nobody alive is sending (a campaign the
        command line is sending stays its own), then keep watching for orphans."""
        campaigns = [cid for cid in await self.repo.orphans(self.owner) if not self.running(cid)]
        for campaign_id in campaigns:
            self.launch(campaign_id)
        if self._watcher is None:
            self._watcher = asyncio.create_task(
                self._watch(), name="campaign watcher", context=contextvars.Context()
            )
        return campaigns

    async def _watch(self) -> None:
        """Take over campaigns whose owner died (its lease ran out), as long as we run."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                for campaign_id in await self.repo.orphans(self.owner):
                    if not self.running(campaign_id):
                        log.warning("campaign %s had no live sender: taking it over", campaign_id)
                        self.launch(campaign_id)
            except Exception:
                log.exception("looking for campaigns without a sender failed")

    async def _heartbeat(self, campaign_id: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self.repo.renew(campaign_id, self.owner, self.lease_seconds):
                log.warning("campaign %s was stopped or taken over elsewhere", campaign_id)
                stop.set()

    async def _run(self, campaign_id: int) -> None:
        campaign = await self.repo.get(campaign_id)
        if campaign is None or campaign.state != "sending":
            return
        if not await self.repo.take(campaign_id, self.owner, self.lease_seconds):
            log.info("campaign %s is being sent by another process", campaign_id)
            return
        stop = self._stops[campaign_id]
        heartbeat = asyncio.create_task(self._heartbeat(campaign_id, stop))
        try:
            await self._send(campaign, stop)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            with contextlib.suppress(Exception):
                await self.repo.let_go(campaign_id, self.owner)

    async def _send(self, campaign: Campaign, stop: asyncio.Event) -> None:
        campaign_id = campaign.id
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
        if stop.is_set() and (await self.repo.progress(campaign_id)).remaining:
            await self._report(campaign, finished=False)
            return
        # Everyone reached, even if Stop was pressed while the last batch was in flight.
        if await self.repo.set_state(campaign_id, "done", only_from=("sending", "paused")):
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
