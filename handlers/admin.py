"""/admin for organizers: the figures so far. The role is checked on every use."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import MultaqaContext
from bot.event.service import localized_text as localized
from bot.guard import requires
from bot.i18n import Html, Translator
from handlers import broadcast, recommendations, review
from handlers.common import inline, reply

log = logging.getLogger(__name__)


@requires("organizer")
async def admin_command(update: Update, context: MultaqaContext) -> None:
    """Registration figures, per region."""
    who = context.who
    t = who.t
    figures = await context.services.participants.figures()
    lines = [
        t("admin.region_line", region=Html(t(f"region.{code}")), n=count)
        for code, count in figures.by_region.items()
    ]
    await reply(
        update,
        context,
        t(
            "admin.figures",
            registered=Html(t.plural("admin.registered", figures.registered)),
            unreachable=Html(t.plural("admin.unreachable", figures.unreachable)),
            regions=Html("\n".join(lines) or t("admin.no_regions")),
        )
        + await _event_figures(context, t),
        inline(
            [
                [(t("admin.broadcast"), broadcast.NEW())],
                [
                    (t("admin.proposals"), review.MENU(0)),
                    (t("admin.recommendations"), recommendations.RECS(0)),
                ],
            ]
        ),
    )


async def _event_figures(context: MultaqaContext, t: Translator) -> str:
    """Check-ins, and seats taken / waiting per workshop (empty before an event is loaded)."""
    services = context.services
    event = await services.event.current()
    if event is None:
        return ""
    counts = await services.signups.counts()
    lines = [t("admin.checkins", n=await services.checkins.count())]
    for workshop in event.workshops:
        confirmed, waiting = counts.get(workshop.id, (0, 0))
        lines.append(
            t(
                "admin.workshop_line",
                title=localized(dict(workshop.title), t),
                confirmed=confirmed,
                capacity=workshop.capacity,
                waiting=waiting,
            )
        )
    return "\n\n" + "\n".join(lines)


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [(0, CommandHandler("admin", admin_command, filters=filters.ChatType.PRIVATE))]
