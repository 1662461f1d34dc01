"""/workshops: seats left, sign up with a button, waiting list with position, switch within a
time slot, leave; a freed seat goes to the first person waiting, who is told at once."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.event.file import EventDefinition, Workshop
from bot.event.service import localized_text as localized
from bot.i18n import Markup, Translator
from bot.labels import room_label
from handlers.common import drop_buttons, inline, reply, toast
from handlers.event_dates import event_over

log = logging.getLogger(__name__)

PREFIX = "ws"


def _index(event: EventDefinition, arg: str | None) -> Workshop | None:
    if not arg or not arg.isdigit() or int(arg) >= len(event.workshops):
        return None
    return event.workshops[int(arg)]


async def workshops_text(
    services: Services, t: Translator, user_id: int
) -> tuple[Markup, list[list[tuple[str, str]]]] | None:
    """The list with seats left and the person's buttons; None before an event is loaded."""
    event = await services.event.current()
    if event is None:
        return None
    counts = await services.signups.counts()
    mine = {seat.workshop_id: seat for seat in await services.signups.seats_of(user_id)}
    parts = [t("ws.header")]
    rows = []
    for index, workshop in enumerate(event.workshops):
        confirmed, waiting = counts.get(workshop.id, (0, 0))
        left = max(workshop.capacity - confirmed, 0)
        slot = event.slot_of(workshop)
        title = localized(dict(workshop.title), t)
        seats = t.plural("ws.seats_left", left) if left else t.plural("ws.full_waiting", waiting)
        parts.append(
            t(
                "ws.entry",
                n=index + 1,
                title=title,
                description=localized(dict(workshop.description), t),
                time=t.span(t.time(slot.start, event.zone), t.time(slot.end, event.zone)),
                room=room_label(t, workshop.room),
                seats=seats,
            )
        )
        seat = mine.get(workshop.id)
        if seat is not None:
            parts.append(
                t("ws.you_confirmed")
                if seat.state == "confirmed"
                else t("ws.you_waiting", position=seat.position)
            )
            rows.append([(t("ws.leave", n=index + 1), callbacks.encode(PREFIX, "leave", index))])
        else:
            key = "ws.join" if left else "ws.join_waiting"
            rows.append([(t(key, n=index + 1), callbacks.encode(PREFIX, "join", index))])
    return Markup("\n\n").join(parts), rows


async def workshops_command(update: Update, context: MultaqaContext) -> None:
    """/workshops."""
    who = context.who
    if who.participant is None:
        await reply(update, context, who.t("ws.register_first"))
        return
    if await event_over(update, context):
        return
    view = await workshops_text(context.services, who.t, who.user.id)
    if view is None:
        await reply(update, context, who.t("agenda.not_yet"))
        return
    text, rows = view
    await reply(update, context, text, inline(rows))


async def tell_promoted(services: Services, promoted: list[int], workshop: Workshop) -> None:
    """Tell the people who got a freed seat, at once."""
    if promoted:
        await services.event.tell_promoted(promoted, workshop)
        services.kick_clock()


async def on_button(update: Update, context: MultaqaContext) -> None:
    """ws:join:N, ws:switch:N:FROM, ws:leave:N; anything else is refused."""
    who = context.who
    services = context.services
    query = update.callback_query
    press = callbacks.decode(query.data if query else None, PREFIX)
    event = await services.event.current()
    workshop = _index(event, press.arg()) if press and event else None
    if (
        press is None
        or event is None
        or workshop is None
        or who.participant is None
        or press.action not in ("join", "switch", "leave")
    ):
        log.warning("workshop button refused for user %s", who.user.id)
        await toast(update, who.t("common.invalid_button"))
        return
    t = who.t
    if await services.event.is_over():  # a list shown before the end, pressed after
        await toast(update)
        await event_over(update, context)
        return
    title = localized(dict(workshop.title), t)
    if press.action == "leave":
        left, promoted = await services.signups.leave(who.user.id, workshop.id, workshop.capacity)
        await toast(update)
        await drop_buttons(update)
        await reply(update, context, t("ws.left" if left else "ws.not_in", title=title))
        await services.event.plan_reminders(who.user.id)
        await tell_promoted(services, promoted, workshop)
        return
    same_slot = [w.id for w in event.workshops if w.slot == workshop.slot]
    leave, leave_capacity = None, 0
    if press.action == "switch":
        other = _index(event, press.arg(1))
        if other is None or other.slot != workshop.slot:
            await toast(update, t("common.invalid_button"))
            return
        leave, leave_capacity = other.id, other.capacity
    outcome, promoted = await services.signups.join(
        who.user.id, workshop.id, workshop.capacity, same_slot, leave, leave_capacity
    )
    await toast(update)
    await drop_buttons(update)
    if outcome.conflict is not None:
        other = event.workshop(outcome.conflict)
        assert other is not None
        other_index = event.workshops.index(other)
        index = event.workshops.index(workshop)
        await reply(
            update,
            context,
            t("ws.same_slot", other=localized(dict(other.title), t), title=title),
            inline(
                [
                    [
                        (
                            t("ws.switch_yes", n=index + 1),
                            callbacks.encode(PREFIX, "switch", index, other_index),
                        )
                    ],
                    [(t("ws.switch_no"), callbacks.encode("wsk", "keep"))],
                ]
            ),
        )
        return
    seat = outcome.seat
    assert seat is not None
    if seat.state == "confirmed":
        key = "ws.already_confirmed" if outcome.already else "ws.confirmed"
        await reply(update, context, t(key, title=title, room=room_label(t, workshop.room)))
    else:
        await reply(update, context, t("ws.waiting", title=title, position=seat.position))
    await services.event.plan_reminders(who.user.id)
    if leave is not None:
        left_workshop = event.workshop(leave)
        assert left_workshop is not None
        await tell_promoted(services, promoted, left_workshop)


async def keep_button(update: Update, context: MultaqaContext) -> None:
    """'Keep my workshop' after a same-slot conflict."""
    await toast(update)
    await drop_buttons(update)
    await reply(update, context, context.who.t("ws.kept"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("workshops", workshops_command, filters=filters.ChatType.PRIVATE)),
        (0, CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")),
        (0, CallbackQueryHandler(keep_button, pattern=r"^wsk:keep$")),
    ]
