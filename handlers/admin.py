"""/admin for organizers: the figures so far. The role is checked on every use."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext
from bot.event.service import localized_text as localized
from bot.i18n import Markup, Translator
from bot.labels import region_label
from handlers.basics import unknown_command
from handlers.common import inline, is_organizer, reply

log = logging.getLogger(__name__)


async def admin_command(update: Update, context: MultaqaContext) -> None:
    """Registration figures, per region."""
    who = context.who
    if not await is_organizer(context):
        log.warning("user %s tried /admin without the organizer role", who.user.id)
        await unknown_command(update, context)
        return
    t = who.t
    figures = await context.services.participants.figures()
    services = context.services
    lines = [
        t("admin.region_line", region=await region_label(services, t, code), n=count)
        for code, count in figures.by_region.items()
    ]
    await reply(
        update,
        context,
        t(
            "admin.figures",
            registered=t.plural("admin.registered", figures.registered),
            unreachable=t.plural("admin.unreachable", figures.unreachable),
            regions=Markup("\n").join(lines) or t("admin.no_regions"),
        )
        + await _event_figures(context, t),
        inline(
            [
                [(t("admin.broadcast"), callbacks.encode("bc", "new"))],
                [
                    (t("admin.proposals"), callbacks.encode("rv", "menu")),
                    (t("admin.recommendations"), callbacks.encode("rv", "recs")),
                ],
            ]
        ),
    )


async def _event_figures(context: MultaqaContext, t: Translator) -> Markup:
    """Check-ins, and seats taken / waiting per workshop (empty before an event is loaded)."""
    services = context.services
    event = await services.event.current()
    if event is None:
        return Markup()
    counts = await services.signups.counts()
    lines = [t("admin.checkins", n=await services.checkins.count())]
    for workshop in event.workshops:
        confirmed, waiting = counts.get(workshop.id, (0, 0))
        lines.append(
            t(
                "admin.workshop_line",
                title=localized(dict(workshop.title), t),
                seats=t.plural("admin.seats_taken", workshop.capacity, taken=confirmed),
                waiting=t.plural("admin.waiting", waiting),
            )
        )
    return "\n\n" + Markup("\n").join(lines)


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [(0, CommandHandler("admin", admin_command, filters=filters.ChatType.PRIVATE))]
