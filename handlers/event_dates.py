"""The event's own dates, as people meet them: registration only inside its window, check-in
only on the event's days, and after the event what still works instead of the programme."""

from __future__ import annotations

from telegram import Update

from bot.context import MultaqaContext
from bot.event.service import localized_text
from handlers.common import reply
from handlers.invites import PAYLOAD_PREFIX, is_invite


async def _title(context: MultaqaContext) -> str:
    event = await context.services.event.current()
    return localized_text(dict(event.event.title), context.who.t) if event else ""


async def registration_open(
    update: Update, context: MultaqaContext, payload: str | None = None
) -> bool:
    """Whether a newcomer may register now; if not, they are told when it opens or that it
    is closed. Someone who scans the venue's check-in poster on the event's days is there:
    they may register (and are checked in at the end) whatever the window. So may someone
    holding a valid invite: owners of recommendations are invited after the event."""
    services, t = context.services, context.who.t
    state, when = await services.event.registration_state()
    if state == "open" or when is None:
        return True
    if is_invite(payload):
        token = (payload or "").removeprefix(PAYLOAD_PREFIX)
        if await services.followup.repo.invite_state(token) == "ok":
            return True
    if (
        payload
        and payload == f"checkin-{services.settings.checkin_code}"
        and await services.event.checkin_state() == "open"
    ):
        return True
    zone = await services.event.zone()
    key = "reg.not_open" if state == "not_yet" else "reg.closed"
    await reply(
        update,
        context,
        t(key, title=await _title(context), when=t.datetime(when, zone, "d MMMM y, HH:mm")),
    )
    return False


async def checkin_open(update: Update, context: MultaqaContext) -> bool:
    """Whether check-in works today (the event's days); if not, the person is told why."""
    services, t = context.services, context.who.t
    state = await services.event.checkin_state()
    if state == "open":
        return True
    event = await services.event.current()
    assert event is not None
    day = t.date(event.event.start, event.zone)
    await reply(update, context, t(f"checkin.{state}", date=day))
    return False


async def event_over(update: Update, context: MultaqaContext) -> bool:
    """After the event: say so, and what still works (proposals, follow-up); True if over."""
    if not await context.services.event.is_over():
        return False
    await reply(update, context, context.who.t("ev.over", title=await _title(context)))
    return True
