"""/admin for organizers: the figures so far. The role is checked on every use."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext
from bot.event.service import localized_text as localized
from bot.followup import buttons as follow_up_buttons
from bot.guard import requires
from bot.i18n import Markup, Translator
from bot.labels import region_label
from bot.views.paging import Entry, paged
from handlers import broadcast, recommendations, review
from handlers.common import inline, reply, toast

log = logging.getLogger(__name__)


ADMIN = callbacks.Prefix("ad", role="organizer")
PAGE = ADMIN.button("page", callbacks.PageNo())


@requires("organizer")
async def admin_command(update: Update, context: MultaqaContext) -> None:
    """Registration figures, per region, and per workshop (paged: an event may have many)."""
    await _figures(update, context, 0)


async def on_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ through the workshops' figures."""
    await toast(update)
    await _figures(update, context, press["page"])


async def _figures(update: Update, context: MultaqaContext, page: int) -> None:
    t = context.who.t
    figures = await context.services.participants.figures()
    services = context.services
    lines = [
        t("admin.region_line", region=await region_label(services, t, code), n=count)
        for code, count in figures.by_region.items()
    ]
    header = t(
        "admin.figures",
        registered=t.plural("admin.registered", figures.registered),
        unreachable=t.plural("admin.unreachable", figures.unreachable),
        regions=Markup("\n").join(lines) or t("admin.no_regions"),
    )
    menu = [
        [(t("admin.broadcast"), broadcast.NEW())],
        [
            (t("admin.proposals"), review.MENU(0)),
            (t("admin.recommendations"), recommendations.RECS(0)),
        ],
        [(t("fu.admin.button"), follow_up_buttons.HOME())],
    ]
    entries = [Entry(line) for line in await _event_figures(context, t)]
    if entries:
        entries[0].text = "\n" + entries[0].text
    view = paged(entries, page, PAGE, header=header, extra_rows=menu, separator="\n")
    await reply(update, context, view.text, inline(view.rows))


async def _event_figures(context: MultaqaContext, t: Translator) -> list[Markup]:
    """Check-ins, and seats taken / waiting per workshop (none before an event is loaded)."""
    services = context.services
    event = await services.event.current()
    if event is None:
        return []
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
    return lines


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("admin", admin_command, filters=filters.ChatType.PRIVATE)),
        (0, callbacks.route(ADMIN, {PAGE: on_page})),
    ]
