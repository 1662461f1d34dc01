"""A broadcast under way: the progress message edited in place, Stop/Resume, cancelling a
scheduled one, and the export of those not reached. Every button checks the role."""

from __future__ import annotations

import csv
import io

from telegram import Update
from telegram.error import BadRequest

from bot import callbacks, replies
from bot.context import MultaqaContext, Services
from bot.documents.export import inert
from bot.i18n import unmarked
from bot.labels import region_label
from bot.outbound.start import (
    post_progress,
    start_campaign,  # noqa: F401  (the broadcast flow's import)
)
from bot.views.campaign import (  # noqa: F401  (likewise)
    BC,
    EXPORT,
    PREFIX,
    RESUME,
    STOP,
    UNSCHEDULE,
    progress_view,
)
from handlers.common import chat_id_of, drop_buttons, reply, toast
from storage.campaigns import Campaign, Progress


async def report_progress(
    services: Services, campaign: Campaign, progress: Progress, finished: bool
) -> None:
    """Edit the campaign's progress message in place (the runner throttles the calls); post it
    if it could not be posted when the campaign started."""
    if campaign.progress_chat_id is None:
        return
    if campaign.progress_message_id is None:
        await post_progress(services, campaign, progress, finished)
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


async def _on_stop(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    services, campaign_id = context.services, press["campaign"]
    if not await services.campaigns.set_state(campaign_id, "paused", only_from=("sending",)):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update, context.who.t("bc.stopping"))
    await services.audit.record(context.who.user.id, "broadcast.stop", f"campaign:{campaign_id}")
    await services.runner.stop(campaign_id)


async def _on_resume(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    services, campaign_id = context.services, press["campaign"]
    if not await services.campaigns.set_state(campaign_id, "sending", only_from=("paused",)):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await services.audit.record(context.who.user.id, "broadcast.resume", f"campaign:{campaign_id}")
    services.runner.launch(campaign_id)


async def _on_unschedule(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    services, campaign_id = context.services, press["campaign"]
    if not await services.campaigns.set_state(campaign_id, "cancelled", only_from=("scheduled",)):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await drop_buttons(update)
    await services.audit.record(
        context.who.user.id, "broadcast.unschedule", f"campaign:{campaign_id}"
    )
    await reply(update, context, context.who.t("bc.cancelled"))


async def _on_export(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    services, campaign_id = context.services, press["campaign"]
    if await services.campaigns.get(campaign_id) is None:
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    t = context.who.t
    rows = await services.campaigns.not_reached(campaign_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t.plain(f"bc.col_{c}") for c in ("user", "name", "region", "state", "reason")])
    for row in rows:
        region = await region_label(services, t, row.region_code or "")
        cells = [row.user_id, row.full_name or "", region, t.plain(f"bc.outcome_{row.state}")]
        writer.writerow([inert(cell) for cell in [*cells, row.last_error or ""]])
    await services.audit.record(
        context.who.user.id, "broadcast.export", f"campaign:{campaign_id}", {"rows": len(rows)}
    )
    await replies.flush(context.bot_data)
    await context.bot.send_document(
        chat_id_of(update),
        buffer.getvalue().encode("utf-8-sig"),
        filename=unmarked(t.plain("bc.export_filename", id=str(campaign_id))),
        caption=t.plain_plural("bc.export_caption", len(rows)),
    )


CAMPAIGN_ROUTES: dict[callbacks.Button, callbacks.ButtonHandler] = {
    STOP: _on_stop,
    RESUME: _on_resume,
    UNSCHEDULE: _on_unschedule,
    EXPORT: _on_export,
}
