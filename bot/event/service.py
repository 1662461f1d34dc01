"""The event as the bot knows it: the newest loaded definition, the choices registration
offers, and each participant's reminders planned as rows for the clock."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.event.diff import Change, Span, diff_events
from bot.event.file import AgendaItem, EventDefinition, Workshop
from bot.i18n import Markup, Translations, Translator
from bot.labels import room_label
from bot.settings import Settings
from storage.clock import Clock
from storage.database import Database
from storage.event import (
    EventStore,
    FileStamp,
    PlannedPrompt,
    Promotion,
    PromptRepository,
    PromptRow,
    ReminderPlan,
    Seat,
    Seating,
    SignupRepository,
    StoredEvent,
)
from storage.participants import ParticipantRepository

REMINDER_KINDS = ("day_before", "morning_agenda", "session")

# The event version an update reads, noted once at its start (bot.app.load_who reads it with
# the person): its handlers see one version throughout, without a database trip each time.
# Each update runs in its own task, so the note never outlives it; jobs read the database.
_version_of_update: ContextVar[int | None] = ContextVar("multaqa_event_version", default=None)


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

    @staticmethod
    def note_version(version: int) -> None:
        """The version this update reads (see `_version_of_update`)."""
        _version_of_update.set(version)

    async def current(self) -> EventDefinition | None:
        """The newest loaded definition, or None before any was loaded."""
        version = _version_of_update.get()
        if version is None:
            version = await self.store.latest_version()
        if version == 0:
            return None
        if self._cached is None or self._cached[0] != version:
            stored = await self.store.latest()
            assert stored is not None
            self._cached = (stored.version, EventDefinition.from_json(stored.definition_json))
        return self._cached[1]

    async def zone(self) -> ZoneInfo:
        """The one time zone: the loaded event's; the TIMEZONE setting before any event."""
        event = await self.current()
        return event.zone if event is not None else self.settings.zone

    async def today(self) -> date:
        """Today's date in the event's zone (due dates are days there)."""
        return self.clock.now().astimezone(await self.zone()).date()

    async def date_examples(self) -> dict[str, str]:
        """Examples for prompts that ask for a date or a time, computed from today so that
        they are never in the past: a due date a month ahead, a moment tomorrow morning."""
        local = self.clock.now().astimezone(await self.zone())
        due = (local + timedelta(days=30)).date()
        tomorrow = (local + timedelta(days=1)).date()
        return {
            "due_iso": due.isoformat(),
            "due_dmy": due.strftime("%d/%m/%Y"),
            "when": f"{tomorrow.isoformat()} 08:15",
        }

    async def registration_state(self) -> tuple[str, datetime | None]:
        """("open", None), ("not_yet", when it opens) or ("closed", when it closed), by the
        event's registration window; always open before any event is loaded."""
        event = await self.current()
        if event is None:
            return "open", None
        now, info = self.clock.now(), event.event
        if now < info.registration_opens:
            return "not_yet", info.registration_opens
        if now > info.registration_closes:
            return "closed", info.registration_closes
        return "open", None

    async def checkin_state(self) -> str:
        """ "open" on the event's days (in its zone), else "not_yet" or "over"."""
        event = await self.current()
        if event is None:
            return "open"
        zone, info = event.zone, event.event
        today = self.clock.now().astimezone(zone).date()
        if today < info.start.astimezone(zone).date():
            return "not_yet"
        if today > info.end.astimezone(zone).date() or self.clock.now() >= info.end:
            return "over"
        return "open"

    async def is_over(self) -> bool:
        """Whether the loaded event has ended."""
        event = await self.current()
        return event is not None and self.clock.now() >= event.event.end

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
        self,
        new: EventDefinition,
        loaded_by: int | None,
        force: bool = False,
        file: FileStamp | None = None,
    ) -> LoadReport:
        """Make `new` the event: tell everyone concerned what changed, in their language;
        release seats of removed workshops (only with `force` if people hold them), give
        seats freed by larger capacities, and re-plan everyone's reminders.

        All of it is one transaction: a crash leaves either the old version with nothing
        changed, or the new one with its seats, notices and reminders. It is set-wise (a few
        statements whatever the number of participants); the old version is read under the
        write lock, so two loads never diff against the same old version."""
        now = self.clock.now()
        async with self.store.loading() as tx:
            stored = await tx.latest()
            old = self._definition(stored) if stored is not None else None
            changes = diff_events(old, new) if old is not None else []
            counts = await tx.counts()
            removed = [c.id for c in changes if c.subject == "workshop" and c.kind == "removed"]
            blocked = [(w, sum(counts.get(w, (0, 0)))) for w in removed]
            blocked = [(w, n) for w, n in blocked if n]
            if blocked and not force:
                return LoadReport(None, changes, blocked)
            members = await tx.members(c.id for c in changes if c.subject == "workshop")
            version = await tx.save(new.event.slug, new.to_json(), loaded_by, file)
            for workshop_id in removed:
                await tx.drop_workshop(workshop_id)
            seating = seating_of(new)
            promoted = [
                promotion
                for workshop in new.workshops
                for promotion in await tx.promote(workshop.id, seating)
            ]
            people = await tx.people()
            notices = self._change_notices(old, new, changes, members, people, version, now)
            notices += self._promotion_notices(promoted, new, dict(people), now)
            await tx.add_prompts(notices)
            plan = reminder_plan(new, now)
            # Same reminder times and the same seats: everyone's rows are already right.
            if old is None or promoted or removed or plan != reminder_plan(old, now):
                await tx.replan_reminders(plan)
        self._cached = (version, new)
        _version_of_update.set(None)  # this update now reads the version it loaded
        changed_people = sum(1 for row in notices if row[0].startswith("changes:"))
        return LoadReport(version, changes, blocked, changed_people, len(promoted))

    def _definition(self, stored: StoredEvent) -> EventDefinition:
        if self._cached is not None and self._cached[0] == stored.version:
            return self._cached[1]
        return EventDefinition.from_json(stored.definition_json)

    def _change_notices(
        self,
        old: EventDefinition | None,
        new: EventDefinition,
        changes: list[Change],
        members: dict[str, list[int]],
        people: list[tuple[int, str]],
        version: int,
        now: datetime,
    ) -> list[PromptRow]:
        """One notice per person concerned, in their language; a text is built once per
        (language, set of changes), not once per person."""
        if old is None or not changes:
            return []
        theirs: dict[int, list[int]] = {}
        for index, change in enumerate(changes):
            concerned = (
                members.get(change.id, [])
                if change.subject == "workshop" and change.kind != "added"
                else [uid for uid, _ in people]
            )
            for user_id in concerned:
                theirs.setdefault(user_id, []).append(index)
        locales = dict(people)
        texts: dict[tuple[str, tuple[int, ...]], str | None] = {}
        due = now.astimezone(UTC).isoformat()
        rows: list[PromptRow] = []
        for user_id, indexes in theirs.items():
            locale = locales.get(user_id, self.texts.default_locale)
            key = (locale, tuple(indexes))
            if key not in texts:
                t = self.texts[locale]
                lines = [line for i in indexes if (line := change_line(t, changes[i], old, new))]
                texts[key] = str(Markup("\n").join([t("ev.changed"), *lines])) if lines else None
            text = texts[key]
            if text is not None:
                payload = json.dumps({"text": text}, ensure_ascii=False)
                rows.append((f"changes:{version}:{user_id}", "notice", user_id, None, due, payload))
        return rows

    def _promotion_notices(
        self,
        promoted: list[Promotion],
        event: EventDefinition,
        locales: dict[int, str],
        now: datetime,
    ) -> list[PromptRow]:
        due = now.astimezone(UTC).isoformat()
        rows: list[PromptRow] = []
        for promotion in promoted:
            if promotion.user_id not in locales:
                continue
            text = self._promoted_text(self.texts[locales[promotion.user_id]], event, promotion)
            rows.append(
                (
                    f"promoted:{promotion.workshop_id}:{promotion.user_id}:{now.isoformat()}",
                    "notice",
                    promotion.user_id,
                    promotion.workshop_id,
                    due,
                    json.dumps({"text": text}, ensure_ascii=False),
                )
            )
        return rows

    @staticmethod
    def _promoted_text(t: Translator, event: EventDefinition, promotion: Promotion) -> str:
        workshop = event.workshop(promotion.workshop_id)
        released = event.workshop(promotion.released) if promotion.released else None
        title = localized_text(dict(workshop.title), t) if workshop else promotion.workshop_id
        room = room_label(t, workshop.room) if workshop else ""
        if released is not None:
            return t(
                "ws.promoted_switched",
                title=title,
                room=room,
                other=localized_text(dict(released.title), t),
            )
        return t("ws.promoted", title=title, room=room)

    async def tell_promoted(self, promoted: list[Promotion]) -> None:
        """Queue "a seat freed up" for each promoted person (in their language) and give
        them the reminders of their new seat."""
        event = await self.current()
        if event is None or not promoted:
            return
        now = self.clock.now()
        notices = []
        for promotion in promoted:
            participant = await self.participants.get(promotion.user_id)
            if participant is None:
                continue
            text = self._promoted_text(self.texts[participant.locale], event, promotion)
            notices.append(
                PlannedPrompt.notice(
                    f"promoted:{promotion.workshop_id}:{promotion.user_id}:{now.isoformat()}",
                    promotion.user_id,
                    text,
                    now,
                    promotion.workshop_id,
                )
            )
            await self.plan_reminders(promotion.user_id)
        await self.prompts.add(notices)

    async def seating(self) -> Seating:
        """The seat rules' view of the current event (no workshop before one is loaded)."""
        event = await self.current()
        return seating_of(event) if event is not None else Seating({}, {})


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


def reminder_plan(event: EventDefinition, now: datetime) -> ReminderPlan:
    """Everyone's reminders as `_reminders_for` gives them to one person, as a template the
    database applies set-wise: the times are worked out once, not once per person."""
    before = timedelta(minutes=event.reminders.minutes_before)
    start = event.event.start

    def due(moment: datetime) -> str | None:
        return moment.astimezone(UTC).isoformat() if moment > now else None

    common: list[tuple[str, str, str | None, str | None]] = [
        (
            "day_before:",
            "day_before",
            None,
            due(_at_local(start - timedelta(days=1), event.reminders.day_before_at, event)),
        ),
        (
            "morning:",
            "morning_agenda",
            None,
            due(_at_local(start, event.reminders.morning_agenda_at, event)),
        ),
    ]
    common += [
        (f"session:{item.id}:", "session", item.id, due(item.start - before))
        for item in event.agenda
        if item.kind == "plenary"
    ]
    workshops = {
        w.id: (f"session:{w.id}:", due(event.slot_of(w).start - before)) for w in event.workshops
    }
    return ReminderPlan(common, workshops)


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


def _moved_texts(
    t: Translator, old: EventDefinition, new: EventDefinition, before: Span, after: Span
) -> tuple[Markup, Markup]:
    """The old and new times of a change; each with its date when the day changed, so a move
    to another day never reads as "08:30–09:00 instead of 08:30–09:00"."""
    was, now = _span_text(t, old, before), _span_text(t, new, after)
    if before.start.astimezone(old.zone).date() == after.start.astimezone(new.zone).date():
        return was, now
    return (
        t("ev.dated_span", date=t.date(before.start, old.zone), span=was),
        t("ev.dated_span", date=t.date(after.start, new.zone), span=now),
    )


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
        old_room = room_label(t, change.old) if isinstance(change.old, str | dict) else "—"
        new_room = room_label(t, change.new) if isinstance(change.new, str | dict) else "—"
        return t(f"{prefix}_room", title=title, old=old_room or "—", new=new_room or "—")
    if change.kind == "slot":  # a workshop moved to another slot: say it as a time change
        old_ws, new_ws = old.workshop(change.id), new.workshop(change.id)
        assert old_ws is not None and new_ws is not None
        before, after = _span_of(old, old_ws), _span_of(new, new_ws)
    else:
        assert isinstance(change.old, Span) and isinstance(change.new, Span)
        before, after = change.old, change.new
    was, now = _moved_texts(t, old, new, before, after)
    return t(f"{prefix}_time", title=title, old=was, new=now)


def _span_of(event: EventDefinition, thing: AgendaItem | Workshop) -> Span:
    if isinstance(thing, Workshop):
        slot = event.slot_of(thing)
        return Span(slot.start, slot.end)
    return Span(thing.start, thing.end)


def seating_of(event: EventDefinition) -> Seating:
    """Each workshop's capacity and time slot, for the seat rules (storage.event)."""
    return Seating(
        {w.id: w.capacity for w in event.workshops}, {w.id: w.slot for w in event.workshops}
    )


def localized_text(titles: dict[str, str], t: Translator) -> str:
    """A text of the event file in the reader's language (else any)."""
    return titles.get(t.locale) or next(iter(titles.values()), "")
