"""/agenda: the day on a phone screen, in the event's time zone and the person's language,
with what is on now and next, and the person's own workshop."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.event.file import AgendaItem, EventDefinition, Workshop
from bot.event.service import localized_text as localized
from bot.i18n import Html, Translator
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from handlers.paging import Entry, Page, paged
from storage.event import Seat

PREFIX = "ag"
AGENDA = callbacks.Prefix(PREFIX)
PAGE = AGENDA.button("page", callbacks.PageNo())
KIND_ICONS = {"plenary": "🎤", "talk": "🗣", "workshop_slot": "🧩", "break": "☕"}


def _span(t: Translator, event: EventDefinition, start: datetime, end: datetime) -> str:
    return f"{t.time(start, event.zone)}–{t.time(end, event.zone)}"


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
) -> list[str]:
    """The item's lines, then one entry per parallel workshop (a slot may hold many)."""
    title = localized(dict(item.title), t)
    line = t(
        "agenda.item",
        time=Html(_span(t, event, item.start, item.end)),
        icon=Html(KIND_ICONS.get(item.kind, "•")),
        title=title,
    )
    if item.room:
        line += t("agenda.room", room=item.room)
    if item.speaker:
        line += "\n" + t("agenda.speaker", speaker=item.speaker)
    own = [(workshop, seat) for workshop, seat in mine if workshop.slot == item.id]
    for workshop, seat in own:
        key = "agenda.my_workshop" if seat.state == "confirmed" else "agenda.my_waiting"
        line += "\n" + t(
            key,
            title=localized(dict(workshop.title), t),
            room=workshop.room,
            position=seat.position,
        )
    entries = [f"{marker}<b>{line}</b>" if marker else line]
    if item.kind == "workshop_slot" and not own:  # no seat here yet: show what runs then
        entries += [
            t("agenda.workshop", title=localized(dict(w.title), t), room=w.room)
            for w in event.workshops
            if w.slot == item.id
        ]
    return entries


def agenda_entries(
    t: Translator, event: EventDefinition, now: datetime, mine: list[tuple[Workshop, Seat]]
) -> tuple[str, list[Entry], str]:
    """Header, the day's lines (grouped by date, now/next marked, the person's workshop
    shown) and footer, for the pager."""
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
            entries.append(Entry(f"\n🗓 <b>{day}</b>"))
        marker = (
            t("agenda.now")
            if item.id == current
            else (t("agenda.next") if item.id == upcoming else "")
        )
        entries += [Entry(line) for line in _item_entries(t, event, item, marker, mine)]
    footer = ""
    if not any(seat for _, seat in mine) and event.workshops:
        footer = "\n" + t("agenda.no_workshop")
    return header, entries, footer


def agenda_page(
    t: Translator,
    event: EventDefinition,
    now: datetime,
    mine: list[tuple[Workshop, Seat]],
    page: int = 0,
) -> Page:
    """One page of the agenda (a long programme with many parallel workshops has several)."""
    header, entries, footer = agenda_entries(t, event, now, mine)
    return paged(entries, page, PAGE, header=header, footer=footer, separator="\n")


def agenda_text(
    t: Translator, event: EventDefinition, now: datetime, mine: list[tuple[Workshop, Seat]]
) -> str:
    """The agenda's first page as one text (the morning reminder); more pages are pointed to."""
    view = agenda_page(t, event, now, mine)
    if view.count > 1:
        return view.text + "\n\n" + t("agenda.more")
    return view.text


async def send_agenda(
    services: Services,
    context: MultaqaContext,
    chat_id: int,
    user_id: int,
    t: Translator,
    page: int = 0,
) -> bool:
    """Send the agenda (a page of it) to one person; False if no event is loaded yet."""
    event = await services.event.current()
    if event is None:
        return False
    mine = await services.event.my_workshops(user_id)
    view = agenda_page(t, event, services.clock.now(), mine, page)
    await context.bot.send_message(
        chat_id,
        view.text,
        parse_mode="HTML",
        disable_web_page_preview=True,
        reply_markup=inline(view.rows) if view.rows else None,
    )
    return True


async def agenda_command(update: Update, context: MultaqaContext) -> None:
    """/agenda."""
    who = context.who
    if not await send_agenda(context.services, context, chat_id_of(update), who.user.id, who.t):
        await reply(update, context, who.t("agenda.not_yet"))


async def on_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ in the agenda."""
    who = context.who
    await toast(update)
    await drop_buttons(update)
    if not await send_agenda(
        context.services, context, chat_id_of(update), who.user.id, who.t, press["page"]
    ):
        await reply(update, context, who.t("agenda.not_yet"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("agenda", agenda_command, filters=filters.ChatType.PRIVATE)),
        (0, callbacks.route(AGENDA, {PAGE: on_page})),
    ]
