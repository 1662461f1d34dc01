"""The event as the bot knows it: the newest loaded definition, the choices registration
offers, and each participant's reminders planned as rows for the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.event.diff import Change, Span, diff_events
from bot.event.file import AgendaItem, EventDefinition, Workshop
from bot.i18n import Markup, Translations, Translator
from bot.labels import room_label
from bot.settings import Settings
from storage.clock import Clock
from storage.database import Database
from storage.event import EventStore, PlannedPrompt, PromptRepository, Seat, SignupRepository
from storage.participants import ParticipantRepository

REMINDER_KINDS = ("day_before", "morning_agenda", "session")


@dataclass(frozen=True, slots=True)
class Choice:
    """A button of the function or region question."""

    code: str
    titles: dict[str, str] | None  # from the event file; None: the catalogue's text


class EventService:
    """Reads the current event (cached per stored version) and plans reminders."""

    def __init__(
        self,
        store: EventStore,
        signups: SignupRepository,
        prompts: PromptRepository,
        participants: ParticipantRepository,
        texts: Translations,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.store = store
        self.participants = participants
        self.texts = texts
        self.signups = signups
        self.prompts = prompts
        self.settings = settings
        self.clock = clock
        self._cached: tuple[int, EventDefinition] | None = None

    @classmethod
    def for_database(cls, db: Database, settings: Settings, clock: Clock) -> EventService:
        """The service on its own (command-line tools), without the bot's other services."""
        return cls(
            EventStore(db, clock),
            SignupRepository(db, clock),
            PromptRepository(db, clock),
            ParticipantRepository(db, clock),
            Translations(settings.default_locale),
            settings,
            clock,
        )

    async def current(self) -> EventDefinition | None:
        """The newest loaded definition, or None before any was loaded."""
        version = await self.store.latest_version()
        if version == 0:
            return None
        if self._cached is None or self._cached[0] != version:
            stored = await self.store.latest()
            assert stored is not None
            self._cached = (stored.version, EventDefinition.from_json(stored.definition_json))
        return self._cached[1]

    async def choices(self, kind: str) -> list[Choice]:
        """The functions or regions offered at registration: the event's, else settings'."""
        event = await self.current()
        defined = (event.functions if kind == "function" else event.regions) if event else []
        if defined:
            return [Choice(item.code, dict(item.title)) for item in defined]
        codes = self.settings.functions if kind == "function" else self.settings.regions
        return [Choice(code, None) for code in codes]

    @staticmethod
    def label(t: Translator, kind: str, choice: Choice) -> str:
        """A choice's label in a language."""
        if choice.titles:
            return choice.titles.get(t.locale) or next(iter(choice.titles.values()))
        return t(f"{kind}.{choice.code}")

    async def label_of(self, t: Translator, kind: str, code: str) -> str:
        """The label of a stored code (which may have left the lists since)."""
        for choice in await self.choices(kind):
            if choice.code == code:
                return self.label(t, kind, choice)
        return t(f"{kind}.{code}") if code else ""

    async def my_workshops(self, user_id: int) -> list[tuple[Workshop, Seat]]:
        """The person's workshops that still exist, with their seat."""
        event = await self.current()
        if event is None:
            return []
        found = []
        for seat in await self.signups.seats_of(user_id):
            workshop = event.workshop(seat.workshop_id)
            if workshop is not None:
                found.append((workshop, seat))
        return found

    async def plan_reminders(self, user_id: int) -> None:
        """Make the person's pending reminder rows match the event and their workshops."""
        event = await self.current()
        wanted: list[PlannedPrompt] = []
        if event is not None:
            wanted = _reminders_for(
                event, user_id, await self.my_workshops(user_id), self.clock.now()
            )
        await self.prompts.plan(user_id, REMINDER_KINDS, wanted)

    async def load(
        self, new: EventDefinition, loaded_by: int | None, force: bool = False
    ) -> LoadReport:
        """Make `new` the event: tell everyone concerned what changed, in their language;
        release seats of removed workshops (only with `force` if people hold them), give
        seats freed by larger capacities, and re-plan everyone's reminders."""
        old = await self.current()
        changes = diff_events(old, new) if old is not None else []
        counts = await self.signups.counts()
        removed = [c.id for c in changes if c.subject == "workshop" and c.kind == "removed"]
        blocked = [(w, sum(counts.get(w, (0, 0)))) for w in removed if sum(counts.get(w, (0, 0)))]
        if blocked and not force:
            return LoadReport(None, changes, blocked)
        members = {
            c.id: await self.signups.members(c.id) for c in changes if c.subject == "workshop"
        }
        version = await self.store.save(new.event.slug, new.to_json(), loaded_by)
        self._cached = None
        for workshop_id in removed:
            await self.signups.drop_workshop(workshop_id)
        promoted = []
        for workshop in new.workshops:
            for user_id in await self.signups.promote(workshop.id, workshop.capacity):
                promoted.append((user_id, workshop))
        notices = await self._tell(old, new, changes, members, version) if old else 0
        for user_id, workshop in promoted:
            await self.tell_promoted([user_id], workshop)
        for user_id, _ in await self.participants.everyone():
            await self.plan_reminders(user_id)
        return LoadReport(version, changes, blocked, notices, len(promoted))

    async def _tell(
        self,
        old: EventDefinition,
        new: EventDefinition,
        changes: list[Change],
        members: dict[str, list[int]],
        version: int,
    ) -> int:
        everyone = await self.participants.everyone()
        lines: dict[int, list[Change]] = {}
        for change in changes:
            concerned = (
                members.get(change.id, [])
                if change.subject == "workshop" and change.kind != "added"
                else [uid for uid, _ in everyone]
            )
            for user_id in concerned:
                lines.setdefault(user_id, []).append(change)
        locales = dict(everyone)
        now = self.clock.now()
        notices = []
        for user_id, theirs in lines.items():
            t = self.texts[locales.get(user_id, self.texts.default_locale)]
            text = [line for c in theirs if (line := change_line(t, c, old, new))]
            if text:
                notices.append(
                    PlannedPrompt.notice(
                        f"changes:{version}:{user_id}",
                        user_id,
                        Markup("\n").join([t("ev.changed"), *text]),
                        now,
                    )
                )
        await self.prompts.add(notices)
        return len(notices)

    async def tell_promoted(self, user_ids: list[int], workshop: Workshop) -> None:
        """Queue "a seat freed up" for each promoted person (in their language) and give
        them the reminders of their new seat."""
        now = self.clock.now()
        notices = []
        for user_id in user_ids:
            participant = await self.participants.get(user_id)
            if participant is None:
                continue
            t = self.texts[participant.locale]
            text = t(
                "ws.promoted",
                title=localized_text(dict(workshop.title), t),
                room=room_label(t, workshop.room),
            )
            notices.append(
                PlannedPrompt.notice(
                    f"promoted:{workshop.id}:{user_id}:{now.isoformat()}",
                    user_id,
                    text,
                    now,
                    workshop.id,
                )
            )
            await self.plan_reminders(user_id)
        await self.prompts.add(notices)


def _at_local(day: datetime, hhmm: object, event: EventDefinition) -> datetime:
    local = day.astimezone(event.zone)
    return local.replace(
        hour=hhmm.hour,
        minute=hhmm.minute,
        second=0,  # type: ignore[attr-defined]
        microsecond=0,
    )


def _reminders_for(
    event: EventDefinition, user_id: int, workshops: list[tuple[Workshop, Seat]], now: datetime
) -> list[PlannedPrompt]:
    """Day before, morning agenda, and a reminder before each plenary and the person's
    (confirmed) workshop. Times already past are not planned."""
    rules = event.reminders
    start = event.event.start
    before = timedelta(minutes=rules.minutes_before)
    plan = [
        PlannedPrompt(
            f"day_before:{user_id}",
            "day_before",
            user_id,
            None,
            _at_local(start - timedelta(days=1), rules.day_before_at, event),
        ),
        PlannedPrompt(
            f"morning:{user_id}",
            "morning_agenda",
            user_id,
            None,
            _at_local(start, rules.morning_agenda_at, event),
        ),
    ]
    for item in event.agenda:
        if item.kind == "plenary":
            plan.append(
                PlannedPrompt(
                    f"session:{item.id}:{user_id}", "session", user_id, item.id, item.start - before
                )
            )
    for workshop, seat in workshops:
        if seat.state == "confirmed":
            slot = event.slot_of(workshop)
            plan.append(
                PlannedPrompt(
                    f"session:{workshop.id}:{user_id}",
                    "session",
                    user_id,
                    workshop.id,
                    slot.start - before,
                )
            )
    return [p for p in plan if p.due_at > now]


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What loading a new version of the event did (or would need force to do)."""

    version: int | None  # None: refused
    changes: list[Change]
    blocked: list[tuple[str, int]]  # removed workshops that have sign-ups: (id, people)
    notices: int = 0
    promoted: int = 0


NOTIFIED = ("added", "removed", "time", "slot", "room")


def _span_text(t: Translator, event: EventDefinition, span: Span) -> Markup:
    return t.span(t.time(span.start, event.zone), t.time(span.end, event.zone))


def change_line(
    t: Translator, change: Change, old: EventDefinition, new: EventDefinition
) -> str | None:
    """One change in one language, or None when nobody needs telling."""
    if change.kind not in NOTIFIED:
        return None
    source = old if change.kind == "removed" else new
    thing = source.item(change.id) if change.subject == "agenda" else source.workshop(change.id)
    if thing is None:
        return None
    title = localized_text(dict(thing.title), t)
    prefix = "ev.item" if change.subject == "agenda" else "ev.ws"
    if change.kind == "removed":
        return t(f"{prefix}_removed", title=title)
    if change.kind == "added":
        span = _span_of(new, thing)
        return t(f"{prefix}_added", title=title, time=_span_text(t, new, span))
    if change.kind == "room":
        return t(
            f"{prefix}_room", title=title, old=str(change.old or "—"), new=str(change.new or "—")
        )
    if change.kind == "slot":  # a workshop moved to another slot: say it as a time change
        old_ws, new_ws = old.workshop(change.id), new.workshop(change.id)
        assert old_ws is not None and new_ws is not None
        before, after = _span_of(old, old_ws), _span_of(new, new_ws)
    else:
        assert isinstance(change.old, Span) and isinstance(change.new, Span)
        before, after = change.old, change.new
    return t(
        f"{prefix}_time", title=title, old=_span_text(t, old, before), new=_span_text(t, new, after)
    )


def _span_of(event: EventDefinition, thing: AgendaItem | Workshop) -> Span:
    if isinstance(thing, Workshop):
        slot = event.slot_of(thing)
        return Span(slot.start, slot.end)
    return Span(thing.start, thing.end)


def localized_text(titles: dict[str, str], t: Translator) -> str:
    """A text of the event file in the reader's language (else any)."""
    return titles.get(t.locale) or next(iter(titles.values()), "")
