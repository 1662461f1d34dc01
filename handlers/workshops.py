"""/workshops: seats left, sign up with a button, waiting list with position, switch within a
time slot, leave; a freed seat goes to the first person waiting, who is told at once."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.event.file import EventDefinition, Workshop
from bot.event.service import localized_text as localized
from bot.i18n import Translator
from bot.labels import room_label
from bot.views.paging import Entry, Page, cut, page_of, paged
from handlers.common import drop_buttons, inline, reply, show, toast
from handlers.event_dates import event_over
from storage.event import JoinOutcome, Promotion

log = logging.getLogger(__name__)

PREFIX = "ws"


WS = callbacks.Prefix(PREFIX)
JOIN = WS.button("join", callbacks.Code("workshop"))
# Switch names only the workshop to go to: the seat to give up is the person's own in the
# same time slot, looked up at the press (two 32-character ids would not fit in 64 bytes).
SWITCH = WS.button("switch", callbacks.Code("workshop"))
LEAVE = WS.button("leave", callbacks.Code("workshop"))  # asks first
LEAVE_YES = WS.button("leaveyes", callbacks.Code("workshop"))
KEEP = WS.button("keep")
PAGE = WS.button("page", callbacks.PageNo())
DESCRIPTION_LIMIT = 600  # an event file may hold a long description: the list stays readable


async def _entries(
    services: Services, t: Translator, event: EventDefinition, user_id: int
) -> list[Entry]:
    counts = await services.signups.counts()
    mine = {seat.workshop_id: seat for seat in await services.signups.seats_of(user_id)}
    entries = []
    for index, workshop in enumerate(event.workshops):
        confirmed, waiting = counts.get(workshop.id, (0, 0))
        left = max(workshop.capacity - confirmed, 0)
        slot = event.slot_of(workshop)
        title = localized(dict(workshop.title), t)
        seats = t.plural("ws.seats_left", left) if left else t.plural("ws.full_waiting", waiting)
        text = t(
            "ws.entry",
            n=index + 1,
            title=title,
            description=cut(localized(dict(workshop.description), t), DESCRIPTION_LIMIT),
            time=t.span(t.time(slot.start, event.zone), t.time(slot.end, event.zone)),
            room=room_label(t, workshop.room),
            seats=seats,
        )
        seat = mine.get(workshop.id)
        if seat is not None:
            text += "\n\n" + (
                t("ws.you_confirmed")
                if seat.state == "confirmed"
                else t("ws.you_waiting", position=seat.position)
            )
            rows = [[(t("ws.leave", n=index + 1), LEAVE(workshop.id))]]
        else:
            key = "ws.join" if left else "ws.join_waiting"
            rows = [[(t(key, n=index + 1), JOIN(workshop.id))]]
        entries.append(Entry(text, rows))
    return entries


async def workshops_view(
    services: Services, t: Translator, user_id: int, page: int = 0, near: str | None = None
) -> Page | None:
    """One page of the list with seats left and the person's buttons (the page holding
    workshop `near` if given); None before an event is loaded."""
    event = await services.event.current()
    if event is None:
        return None
    entries = await _entries(services, t, event, user_id)
    header = t("ws.header")
    if near is not None:
        index = next((i for i, w in enumerate(event.workshops) if w.id == near), 0)
        page = page_of(entries, index, header=header)
    return paged(entries, page, PAGE, header=header)


async def workshops_command(update: Update, context: MultaqaContext) -> None:
    """/workshops."""
    who = context.who
    if who.participant is None:
        await reply(update, context, who.t("ws.register_first"))
        return
    if await event_over(update, context):
        return
    view = await workshops_view(context.services, who.t, who.user.id)
    if view is None:
        await reply(update, context, who.t("agenda.not_yet"))
        return
    await reply(update, context, view.text, inline(view.rows))


async def tell_promoted(services: Services, promoted: list[Promotion]) -> None:
    """Tell the people who got a freed seat, at once."""
    if promoted:
        await services.event.tell_promoted(promoted)
        services.kick_clock()


async def _workshop(
    update: Update, context: MultaqaContext, workshop_id: str
) -> tuple[EventDefinition, Workshop] | None:
    """The event and the workshop a button names; None (and the press answered) when the
    person is not registered or the workshop is no longer in the event, or (and the person
    told) when the event is over."""
    event = await context.services.event.current()
    workshop = event.workshop(workshop_id) if event else None
    if context.who.participant is None:
        await callbacks.refuse(update, context, "not registered")
        return None
    if event is None or workshop is None:  # a list shown before the workshop was removed
        await callbacks.stale(update, context, "no such workshop")
        return None
    if await context.services.event.is_over():  # a list shown before the end, pressed after
        await toast(update)
        await event_over(update, context)
        return None
    return event, workshop


async def _show_list(update: Update, context: MultaqaContext, near: str) -> None:
    """The pressed list, edited into the list as it is now (seats counted after the
    change, the person's buttons as they are now), at the page holding workshop `near`."""
    who = context.who
    view = await workshops_view(context.services, who.t, who.user.id, near=near)
    if view is not None:
        await show(update, context, view.text, inline(view.rows))
    else:
        await drop_buttons(update)


async def on_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ in the list."""
    who = context.who
    view = (
        await workshops_view(context.services, who.t, who.user.id, press["page"])
        if who.participant
        else None
    )
    if view is None:
        await callbacks.refuse(update, context, "no list")
        return
    await toast(update)
    await drop_buttons(update)
    if await event_over(update, context):
        return
    await reply(update, context, view.text, inline(view.rows))


async def on_leave(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """✖️ Leave: ask first (the seat may go to someone waiting at once)."""
    found = await _workshop(update, context, press["workshop"])
    if found is None:
        return
    _, workshop = found
    t = context.who.t
    await toast(update)
    await reply(
        update,
        context,
        t("ws.leave_confirm", title=localized(dict(workshop.title), t)),
        inline([[(t("ws.leave_yes"), LEAVE_YES(workshop.id))], [(t("ws.leave_no"), KEEP())]]),
    )


async def on_leave_yes(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Leave for good, then show the list again with the seats as they are now."""
    found = await _workshop(update, context, press["workshop"])
    if found is None:
        return
    _, workshop = found
    who, services, t = context.who, context.services, context.who.t
    seating = await services.event.seating()
    left, promoted = await services.signups.leave(who.user.id, workshop.id, seating)
    if not left:  # an old question, answered already (or a seat given up since)
        await callbacks.stale(update, context, "not in the workshop")
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update)
    await reply(update, context, t("ws.left", title=localized(dict(workshop.title), t)))
    await services.event.plan_reminders(who.user.id)
    await tell_promoted(services, promoted)
    view = await workshops_view(services, t, who.user.id, near=workshop.id)
    if view is not None:
        await reply(update, context, view.text, inline(view.rows))


async def on_join(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """➕ Sign up (or 🔁 switch within the same time slot). Pressed in a list, the list is
    shown again as it is after the change, and the answer comes below it; an old list still
    acts on the workshop it shows."""
    found = await _workshop(update, context, press["workshop"])
    if found is None:
        return
    event, workshop = found
    who, services, t = context.who, context.services, context.who.t
    title = localized(dict(workshop.title), t)
    outcome, promoted = await services.signups.join(
        who.user.id, workshop.id, await services.event.seating(), switch=press.button is SWITCH
    )
    await toast(update)
    await tell_promoted(services, promoted)
    if press.button is JOIN:
        await _show_list(update, context, workshop.id)
    else:
        await drop_buttons(update)
    if outcome.conflict is not None:
        await _ask_switch(update, context, event, workshop, outcome)
        return
    seat = outcome.seat
    assert seat is not None
    kept = event.workshop(outcome.kept) if outcome.kept else None
    if seat.state == "confirmed":
        key = "ws.already_confirmed" if outcome.already else "ws.confirmed"
        await reply(update, context, t(key, title=title, room=room_label(t, workshop.room)))
    elif kept is not None:
        other = localized(dict(kept.title), t)
        await reply(
            update,
            context,
            t("ws.waiting_keeping", title=title, other=other, position=seat.position),
        )
    else:
        await reply(update, context, t("ws.waiting", title=title, position=seat.position))
    await services.event.plan_reminders(who.user.id)


async def _ask_switch(
    update: Update,
    context: MultaqaContext,
    event: EventDefinition,
    workshop: Workshop,
    outcome: JoinOutcome,
) -> None:
    """A place held at the same time: switch? When this workshop is full, say so, and that a
    seat held is kept until a seat here is theirs."""
    t = context.who.t
    assert outcome.conflict is not None
    other = event.workshop(outcome.conflict.workshop_id)
    values = {
        "other": localized(dict(other.title), t) if other else outcome.conflict.workshop_id,
        "title": localized(dict(workshop.title), t),
    }
    n = event.workshops.index(workshop) + 1
    if not outcome.full:
        text, yes = t("ws.same_slot", **values), t("ws.switch_yes", n=n)
    elif outcome.conflict.state == "confirmed":
        text, yes = t("ws.same_slot_full_keep", **values), t("ws.switch_wait_yes", n=n)
    else:
        text, yes = t("ws.same_slot_full", **values), t("ws.switch_wait_yes", n=n)
    await reply(
        update,
        context,
        text,
        inline([[(yes, SWITCH(workshop.id))], [(t("ws.switch_no"), KEEP())]]),
    )


async def on_keep(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """'Keep my workshop' after a same-slot conflict, or 'No, stay' before leaving."""
    await toast(update)
    await drop_buttons(update)
    await reply(update, context, context.who.t("ws.kept"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("workshops", workshops_command, filters=filters.ChatType.PRIVATE)),
        (
            0,
            callbacks.route(
                WS,
                {
                    JOIN: on_join,
                    SWITCH: on_join,
                    LEAVE: on_leave,
                    LEAVE_YES: on_leave_yes,
                    KEEP: on_keep,
                    PAGE: on_page,
                },
            ),
        ),
    ]
