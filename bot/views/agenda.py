"""The agenda as a person reads it: the day in the event's time zone and the person's
language, what is on now and next, their own workshop. Used by /agenda and by the clock's
morning agenda, so both say the same thing."""

from __future__ import annotations

from datetime import datetime

from bot.event.file import AgendaItem, EventDefinition, Workshop
from bot.event.service import localized_text as localized
from bot.i18n import Markup, Translator
from bot.labels import room_label
from storage.event import Seat

KIND_ICONS = {"plenary": "🎤", "talk": "🗣", "workshop_slot": "🧩", "break": "☕"}


def _span(t: Translator, event: EventDefinition, start: datetime, end: datetime) -> Markup:
    return t.span(t.time(start, event.zone), t.time(end, event.zone))


def _now_and_next(event: EventDefinition, now: datetime) -> tuple[str | None, str | None]:
    current = next((i.id for i in event.agenda if i.start <= now < i.end), None)
    upcoming = next((i.id for i in event.agenda if i.start > now), None)
    return current, upcoming


def _item_line(
    t: Translator,
    event: EventDefinition,
    item: AgendaItem,
    marker: str,
    mine: list[tuple[Workshop, Seat]],
) -> Markup:
    title = localized(dict(item.title), t)
    line = t(
        "agenda.item",
        time=_span(t, event, item.start, item.end),
        icon=Markup(KIND_ICONS.get(item.kind, "•")),
        title=title,
    )
    if item.room:
        line += t("agenda.room", room=room_label(t, item.room))
    if item.speaker:
        line += "\n" + t("agenda.speaker", speaker=item.speaker)
    own = [(workshop, seat) for workshop, seat in mine if workshop.slot == item.id]
    for workshop, seat in own:
        key = "agenda.my_workshop" if seat.state == "confirmed" else "agenda.my_waiting"
        line += "\n" + t(
            key,
            title=localized(dict(workshop.title), t),
            room=room_label(t, workshop.room),
            position=seat.position,
        )
    if item.kind == "workshop_slot" and not own:  # no seat here yet: show what runs then
        for w in event.workshops:
            if w.slot == item.id:
                line += "\n" + t(
                    "agenda.workshop",
                    title=localized(dict(w.title), t),
                    room=room_label(t, w.room),
                )
    return t("agenda.marked", marker=marker, line=line) if marker else line


def agenda_text(
    t: Translator, event: EventDefinition, now: datetime, mine: list[tuple[Workshop, Seat]]
) -> Markup:
    """The whole day, grouped by date, now/next marked, the person's workshop shown."""
    info = event.event
    current, upcoming = _now_and_next(event, now)
    parts = [
        t(
            "agenda.header",
            title=localized(dict(info.title), t),
            venue=localized(dict(info.venue.name), t),
        )
    ]
    day = None
    for item in event.agenda:
        item_day = t.date(item.start, event.zone)
        if item_day != day:
            day = item_day
            parts.append("\n" + t("agenda.day", day=day))
        marker = (
            t("agenda.now")
            if item.id == current
            else (t("agenda.next") if item.id == upcoming else Markup())
        )
        parts.append(_item_line(t, event, item, marker, mine))
    if not any(seat for _, seat in mine) and event.workshops:
        parts.append("\n" + t("agenda.no_workshop"))
    return Markup("\n").join(parts)
