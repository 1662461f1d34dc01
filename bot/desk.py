"""What organizers and the privacy flow ask of the event as a whole: figures and charts,
exports, erasing a person, the retention purge and backups. Used by /admin, /privacy, the web
dashboard, the daily jobs and the command line alike (so they all behave the same).

Long work (charts, exports, backups) runs in worker threads; the event loop keeps serving."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.documents.export import Format, export_async, labels_for
from bot.documents.figures import EventLabels, build_charts, figures_text
from bot.event.service import EventService
from bot.i18n import Translator
from bot.settings import Settings
from storage.backup import backup_async, backup_name, rotate
from storage.clock import Clock
from storage.database import Database
from storage.figures import Figures, read_figures
from storage.organizers import OrganizerDesk, WebAccess
from storage.privacy import Erasure, PrivacyRepository

if TYPE_CHECKING:
    from bot.documents.charts import Chart

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What the retention purge did (None when the period has not passed yet)."""

    due_at: datetime | None  # when personal data becomes due for purging (None: no event)
    erased: Erasure | None


class Desk:
    """The organizers' desk over one database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        event: EventService,
        privacy: PrivacyRepository | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.event = event
        self.privacy = privacy or PrivacyRepository(db, clock)

    @classmethod
    def for_database(cls, db: Database, settings: Settings, clock: Clock) -> Desk:
        """The desk on its own (command-line tools)."""
        return cls(db, settings, clock, EventService.for_database(db, settings, clock))

    async def labels(self, t: Translator) -> EventLabels:
        """Names of workshops, functions, regions in this language, and capacities."""
        names = await labels_for(self.event, t, self.settings.zone)
        event = await self.event.current()
        capacities = {w.id: w.capacity for w in event.workshops} if event else {}
        return EventLabels(names, capacities)

    async def figures(self) -> Figures:
        """Every count, now."""
        event = await self.event.current()
        return await read_figures(self.db, event.zone if event else self.settings.zone)

    async def figures_text(self, t: Translator) -> str:
        """The figures message in this language."""
        return figures_text(await self.figures(), await self.labels(t))

    async def charts(self, t: Translator) -> list[tuple[Chart, bytes]]:
        """The charts as PNG, drawn in a worker thread."""
        from bot.documents.charts import render_all  # matplotlib: imported when first drawn

        charts = build_charts(await self.figures(), await self.labels(t))
        return await asyncio.to_thread(render_all, charts, t.is_rtl)

    async def export(self, t: Translator, fmt: Format, out_dir: Path) -> list[Path]:
        """Write the export (XLSX, or CSV files) into `out_dir`, off the event loop."""
        labels = (await self.labels(t)).names
        return await export_async(self.db.path, out_dir, fmt, labels, self.clock.now())

    async def erase(self, user_id: int) -> Erasure:
        """A participant's own request: give up their seats (the first waiting person of each
        gets it and is told), then erase what identifies them."""
        seating = await self.event.seating()
        for seat in await self.event.signups.seats_of(user_id):
            _, promoted = await self.event.signups.leave(user_id, seat.workshop_id, seating)
            await self.event.tell_promoted(promoted)
        return await self.privacy.erase(user_id)

    async def purge_due_at(self) -> datetime | None:
        """When personal data of this event must be anonymised (end + retention days)."""
        event = await self.event.current()
        if event is None:
            return None
        return event.event.end + timedelta(days=self.settings.retention_days)

    async def purge_if_due(self) -> PurgeReport:
        """Anonymise everyone once the retention period after the event has passed."""
        due = await self.purge_due_at()
        if due is None or self.clock.now() < due:
            return PurgeReport(due, None)
        erased = await self.privacy.purge_all()
        if erased.people:
            log.info("retention purge: %d participant(s) anonymised", erased.people)
        return PurgeReport(due, erased)

    async def backup(self, target: Path | None = None) -> Path:
        """A consistent copy of the database (to `target`, else into the backup folder,
        keeping the newest `BACKUP_KEEP` copies there)."""
        if target is not None:
            return await backup_async(self.db.path, target)
        folder = self.settings.backup_dir or self.db.path.parent / "backups"
        copy = await backup_async(self.db.path, folder / backup_name(self.clock.now()))
        await asyncio.to_thread(rotate, folder, self.settings.backup_keep)
        return copy


@dataclass(slots=True)
class OrganizerTools:
    """The organizers' services the bot wires in (see bot.app)."""

    desk: Desk
    web: WebAccess
    notices: OrganizerDesk
    base_url: str | None  # where sign-in links point; None: the dashboard is off
    web_runner: Any = None  # the dashboard's aiohttp runner while it serves

    async def start(self, application: Any, services: Any) -> None:
        """At start: notices left in flight go back to pending (the clock delivers them and
        runs the daily jobs: bot.outbound.daily), and the dashboard starts."""
        from bot.web import start_web

        await self.notices.release_in_flight()
        self.web_runner = await start_web(services)
        if self.web_runner is None:  # off, or could not listen: no links to a dead address
            self.base_url = None

    async def stop(self) -> None:
        """At shutdown: stop serving the dashboard."""
        runner, self.web_runner = self.web_runner, None
        if runner is not None:
            await runner.cleanup()

    @classmethod
    def build(
        cls, db: Database, settings: Settings, clock: Clock, event: EventService
    ) -> OrganizerTools:
        """From settings: the dashboard is on when WEB_PORT is set."""
        base = None
        if settings.web_port is not None:
            base = (
                settings.web_public_url or f"http://{settings.web_host}:{settings.web_port}"
            ).rstrip("/")
        return cls(
            Desk(db, settings, clock, event),
            WebAccess(db, clock, timedelta(hours=settings.web_session_hours)),
            OrganizerDesk(db, clock),
            base,
        )
