"""A broadcast under way: the progress message edited in place, Stop/Resume, cancelling a
scheduled one, and the export of those not reached. Every button checks the role."""

from __future__ import annotations

import csv
import io

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.documents.export import inert
from bot.i18n import Html, Translator
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from storage.campaigns import Campaign, Progress

PREFIX = "bc"


def button(action: str, *args: object) -> str:
    """Callback data of a broadcast button."""
    return callbacks.encode(PREFIX, action, *args)


_b = button


async def start_campaign(
    services: Services, campaign_id: int, chat_id: int | None, t: Translator
) -> None:
    """Freeze recipients, post the progress message (if any chat), and launch the sending."""
    if not await services.campaigns.start(campaign_id):
        return
    if chat_id is not None:
        progress = await services.campaigns.progress(campaign_id)
        campaign = await services.campaigns.get(campaign_id)
        assert campaign is not None
        text, markup = progress_view(t, campaign, progress, services.sender_rate, False)
        message = await services.bot.send_message(
            chat_id, text, reply_markup=markup, parse_mode="HTML"
        )
        await services.campaigns.set_progress_message(campaign_id, chat_id, message.message_id)
    services.runner.launch(campaign_id)


def progress_view(
    t: Translator, campaign: Campaign, progress: Progress, rate: float, finished: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress (or final report) text and its buttons."""
    figures = dict(
        sent=progress.sent,
        failed=progress.failed,
        unreachable=progress.unreachable,
        remaining=progress.remaining,
        total=progress.total,
        id=campaign.id,
    )
    if finished:
        rows = []
        if progress.failed or progress.unreachable:
            rows.append([(t("bc.export"), _b("export", campaign.id))])
        return t("bc.report", **figures), inline(rows) if rows else None
    if campaign.state == "paused":
        return t("bc.paused", **figures), inline([[(t("bc.resume"), _b("resume", campaign.id))]])
    minutes = max(1, round(progress.remaining / max(rate, 1) / 60))
    return (
        t("bc.progress", **figures, eta=Html(t.plural("bc.minutes", minutes))),
        inline([[(t("bc.stop"), _b("stop", campaign.id))]]),
    )


async def report_progress(
    services: Services, campaign: Campaign, progress: Progress, finished: bool
) -> None:
    """Edit the campaign's progress message in place (the runner throttles the calls)."""
    if campaign.progress_chat_id is None or campaign.progress_message_id is None:
        return
    t = services.texts[campaign.author_locale]
    text, markup = progress_view(t, campaign, progress, services.sender_rate, finished)
    try:
        await services.bot.edit_message_text(
            text,
            campaign.progress_chat_id,
            campaign.progress_message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _campaign_id(arg: str | None) -> int | None:
    return int(arg) if arg and arg.isdigit() else None


async def _on_stop(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "paused", only_from=("sending",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update, context.who.t("bc.stopping"))
    await services.audit.record(context.who.user.id, "broadcast.stop", f"campaign:{campaign_id}")
    await services.runner.stop(campaign_id)


async def _on_resume(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "sending", only_from=("paused",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await services.audit.record(context.who.user.id, "broadcast.resume", f"campaign:{campaign_id}")
    services.runner.launch(campaign_id)


async def _on_unschedule(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "cancelled", only_from=("scheduled",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await drop_buttons(update)
    await services.audit.record(
        context.who.user.id, "broadcast.unschedule", f"campaign:{campaign_id}"
    )
    await reply(update, context, context.who.t("bc.cancelled"))


async def _on_export(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or await services.campaigns.get(campaign_id) is None:
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    t = context.who.t
    rows = await services.campaigns.not_reached(campaign_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t(f"bc.col_{c}") for c in ("user", "name", "region", "state", "reason")])
    for row in rows:
        region = await services.event.label_of(t, "region", row.region_code or "")
        cells = [row.user_id, row.full_name or "", region, t(f"bc.outcome_{row.state}")]
        writer.writerow([inert(cell) for cell in [*cells, row.last_error or ""]])
    await services.audit.record(
        context.who.user.id, "broadcast.export", f"campaign:{campaign_id}", {"rows": len(rows)}
    )
    await context.bot.send_document(
        chat_id_of(update),
        buffer.getvalue().encode("utf-8-sig"),
        filename=f"campaign-{campaign_id}-not-reached.csv",
        caption=t.plural("bc.export_caption", len(rows)),
    )


CAMPAIGN_ACTIONS = {
    "stop": _on_stop,
    "resume": _on_resume,
    "unsched": _on_unschedule,
    "export": _on_export,
}
