"""The agenda as a person reads it: the day in the event's time zone and the person's
language, what is on now and next, their own workshop. Used by /agenda and by the clock's
morning agenda, so both say the same thing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.event.file import AgendaItem, EventDefinition, Workshop
from bot.event.service import localized_text as localized
from bot.i18n import Markup, Translator
from bot.labels import name_label, room_label
from bot.views.paging import Entry, Page, paged
from storage.event import Seat

KIND_ICONS = {"plenary": "🎤", "talk": "🗣", "workshop_slot": "🧩", "break": "☕"}


def _span(t: Translator, event: EventDefinition, start: datetime, end: datetime) -> Markup:
    return t.span(t.time(start, event.zone), t.time(end, event.zone))


def _now_and_next(event: EventDefinition, now: datetime) -> tuple[str | None, str | None]:
    current = next((i.id for i in event.agenda if i.start <= now < i.end), None)
    upcoming = next((i.id for i in event.agenda if i.start > now), None)
    return current, upcoming


def _item_entries(
    t: Translator,
    event: EventDefinition,
    item: AgendaItem,
    marker: str,
    mine: list[tuple[Workshop, Seat]],
) -> list[Markup]:
    """The item's lines, then one entry per parallel workshop (a slot may hold many)."""
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
        line += "\n" + t("agenda.speaker", speaker=name_label(t, item.speaker))
    own = [(workshop, seat) for workshop, seat in mine if workshop.slot == item.id]
    for workshop, seat in own:
        key = "agenda.my_workshop" if seat.state == "confirmed" else "agenda.my_waiting"
        line += "\n" + t(
            key,
            title=localized(dict(workshop.title), t),
            room=room_label(t, workshop.room),
            position=seat.position,
        )
    entries = [t("agenda.marked", marker=marker, line=line) if marker else line]
    if item.kind == "workshop_slot" and not own:  # no seat here yet: show what runs then
        entries += [
            t("agenda.workshop", title=localized(dict(w.title), t), room=room_label(t, w.room))
            for w in event.workshops
            if w.slot == item.id
        ]
    return entries


def agenda_page(
    t: Translator,
    event: EventDefinition,
    now: datetime,
    mine: list[tuple[Workshop, Seat]],
    page: int = 0,
    nav: Callable[[int], str] = lambda n: "",
) -> Page:
    """One page of the day, grouped by date, now/next marked, the person's workshop shown (a
    long programme with many parallel workshops has several pages; `nav` builds their
    buttons)."""
    info = event.event
    current, upcoming = _now_and_next(event, now)
    header = t(
        "agenda.header",
        title=localized(dict(info.title), t),
        venue=localized(dict(info.venue.name), t),
    )
    entries = []
    day = None
    for item in event.agenda:
        item_day = t.date(item.start, event.zone)
        if item_day != day:
            day = item_day
            entries.append(Entry("\n" + t("agenda.day", day=day)))
        marker = (
            t("agenda.now")
            if item.id == current
            else (t("agenda.next") if item.id == upcoming else Markup())
        )
        entries += [Entry(line) for line in _item_entries(t, event, item, marker, mine)]
    footer = Markup()
    if not any(seat for _, seat in mine) and event.workshops:
        footer = "\n" + t("agenda.no_workshop")
    return paged(entries, page, nav, header=header, footer=footer, separator="\n")


def agenda_text(
    t: Translator, event: EventDefinition, now: datetime, mine: list[tuple[Workshop, Seat]]
) -> Markup:
    """The agenda's first page as one text (the morning reminder); more pages are pointed to."""
    view = agenda_page(t, event, now, mine)
    if view.count > 1:
        return view.text + "\n\n" + t("agenda.more")
    return view.text
