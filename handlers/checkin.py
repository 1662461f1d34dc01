"""Check-in at the venue: the poster's deep link `/start checkin-<code>` marks the person
present (once) and tells them where to go; newcomers are checked in after registering."""

from __future__ import annotations

from telegram import Update

from bot.context import MultaqaContext, Services
from bot.event.service import localized_text as localized
from bot.labels import room_label
from handlers.common import reply
from handlers.event_dates import checkin_open


def is_checkin(services: Services, payload: str) -> bool:
    """Whether a /start payload is the venue's check-in code."""
    return payload == f"checkin-{services.settings.checkin_code}"


async def check_in(update: Update, context: MultaqaContext) -> None:
    """Mark the person present (once) and tell them where to go."""
    who = context.who
    services = context.services
    if not await checkin_open(update, context):
        return
    first = await services.checkins.check_in(who.user.id)
    confirmed = [
        w for w, seat in await services.event.my_workshops(who.user.id) if seat.state == "confirmed"
    ]
    where = (
        who.t(
            "checkin.workshop",
            title=localized(dict(confirmed[0].title), who.t),
            room=room_label(who.t, confirmed[0].room),
        )
        if confirmed
        else who.t("checkin.no_workshop")
    )
    await reply(update, context, who.t("checkin.done" if first else "checkin.again", where=where))
