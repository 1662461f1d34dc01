"""/admin for organizers: the figures so far, and the menu (figures and charts, exports, the
dashboard sign-in link, the audit log, the daily summary switch). The role is checked on
every use, for the command and for every button."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks, replies
from bot.context import MultaqaContext
from bot.documents.figures import split_message
from bot.event.service import localized_text as localized
from bot.followup import buttons as follow_up_buttons
from bot.guard import requires
from bot.i18n import Markup, Translator, unmarked
from bot.labels import region_label
from bot.views.admin import ADMIN, AUDIT, DASHBOARD, EXPORT, EXPORT_AS, FIGURES, PAGE, SUMMARY
from bot.views.paging import Entry, paged
from handlers import broadcast, recommendations, review
from handlers.common import chat_id_of, inline, reply, toast

log = logging.getLogger(__name__)

AUDIT_SHOWN = 20

callbacks.menu_entries(
    FIGURES,
    EXPORT,
    DASHBOARD,
    AUDIT,
    broadcast.NEW,
    review.MENU,
    recommendations.RECS,
    follow_up_buttons.HOME,
)


def menu(t: Translator) -> list[list[tuple[str, str]]]:
    """The organizer's menu under the figures."""
    return [
        [(t("admin.figures_button"), FIGURES()), (t("admin.export"), EXPORT())],
        [(t("admin.dashboard"), DASHBOARD()), (t("admin.audit"), AUDIT())],
        [(t("admin.broadcast"), broadcast.NEW())],
        [
            (t("admin.proposals"), review.MENU(0)),
            (t("admin.recommendations"), recommendations.RECS(0)),
        ],
        [(t("fu.admin.button"), follow_up_buttons.HOME())],
    ]


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
    entries = [Entry(line) for line in await _event_figures(context, t)]
    if entries:
        entries[0].text = "\n" + entries[0].text
    view = paged(entries, page, PAGE, header=header, extra_rows=menu(t), separator="\n")
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


async def on_figures(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The figures as text, then the charts."""
    await toast(update)
    t, desk = context.who.t, context.services.organizers.desk
    chat_id = chat_id_of(update)
    for part in split_message(await desk.figures_text(t)):
        await reply(update, context, part)
    await replies.flush(context.bot_data)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    for chart, png in await desk.charts(t):
        await replies.flush(context.bot_data)
        await context.bot.send_photo(
            chat_id,
            InputFile(png, filename=unmarked(t.plain("fig.chart_file", name=chart.name))),
            caption=chart.caption,
        )


async def on_export(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Choose the export's format."""
    t = context.who.t
    await toast(update)
    await reply(
        update,
        context,
        t("admin.export_choose"),
        inline(
            [
                [
                    (t("admin.export_xlsx"), EXPORT_AS("xlsx")),
                    (t("admin.export_csv"), EXPORT_AS("csv")),
                ]
            ]
        ),
    )


async def on_export_as(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The export, as one XLSX workbook or a ZIP of CSV files."""
    t = context.who.t
    arg = press["fmt"]
    await toast(update, t("admin.export_wait"))
    chat_id = chat_id_of(update)
    await replies.flush(context.bot_data)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    desk = context.services.organizers.desk
    with tempfile.TemporaryDirectory(prefix="multaqa-export-") as folder:
        paths = await desk.export(t, "xlsx" if arg == "xlsx" else "csv", Path(folder))
        if arg == "csv":
            from bot.documents.export import zip_files

            stamp = paths[0].stem.rsplit("-", 2)[-2:]
            paths = [zip_files(paths, Path(folder) / f"multaqa-csv-{'-'.join(stamp)}.zip")]
        await context.services.audit.record(context.who.user.id, "export", arg, {})
        with paths[0].open("rb") as fh:
            await replies.flush(context.bot_data)
            await context.bot.send_document(
                chat_id, InputFile(fh, filename=paths[0].name), caption=t("admin.export_caption")
            )


async def on_dashboard(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """A personal sign-in link to the dashboard."""
    t, services = context.who.t, context.services
    await toast(update)
    web = services.organizers.web
    base = services.organizers.base_url
    if base is None:
        await reply(update, context, t("admin.dashboard_off"))
        return
    token = await web.new_link(context.who.user.id, context.who.locale)
    await services.audit.record(context.who.user.id, "dashboard.link", "", {})
    # No link preview: a preview fetches the address; the sign-in page asks for a press anyway.
    await replies.queue(
        context.bot,
        replies.send_message(
            chat_id_of(update),
            str(t("admin.dashboard_link", url=f"{base}/signin/{token}")),
            preview=False,
        ),
    )


async def on_audit(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The last actions of the audit log."""
    t, services = context.who.t, context.services
    await toast(update)
    names = (await services.organizers.desk.labels(t)).names
    lines = []
    for entry in await services.audit.entries(AUDIT_SHOWN):
        actor_id = entry["actor_id"]
        person = await services.participants.get(actor_id) if actor_id is not None else None
        actor = person.full_name if person else str(actor_id) if actor_id else t("ex.system")
        lines.append(
            t(
                "admin.audit_line",
                at=names.when(entry["at"]),
                actor=actor,
                action=names.action(entry["action"]),
                subject=entry["subject"] or "",
            )
        )
    body = [t("admin.audit_title", n=len(lines)), *(lines or [t("admin.audit_empty")])]
    await reply(update, context, Markup("\n").join(body))


async def on_summary(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The daily summary switched on or off."""
    t, services = context.who.t, context.services
    on = press["state"] == "on"
    await services.organizers.notices.set_summary(context.who.user.id, on)
    await services.audit.record(context.who.user.id, "summary.on" if on else "summary.off")
    await toast(update)
    await reply(
        update,
        context,
        t("admin.summary_on" if on else "admin.summary_off"),
        inline(
            [
                [
                    (
                        t("admin.summary_stop" if on else "admin.summary_start"),
                        SUMMARY("off" if on else "on"),
                    )
                ]
            ]
        ),
    )


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("admin", admin_command, filters=filters.ChatType.PRIVATE)),
        (
            0,
            callbacks.route(
                ADMIN,
                {
                    PAGE: on_page,
                    FIGURES: on_figures,
                    EXPORT: on_export,
                    EXPORT_AS: on_export_as,
                    DASHBOARD: on_dashboard,
                    AUDIT: on_audit,
                    SUMMARY: on_summary,
                },
            ),
        ),
    ]
