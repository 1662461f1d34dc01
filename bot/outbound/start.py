"""Starting a campaign: freeze its recipients, post the organizer's progress message, and
hand it to the runner. Used by the broadcast flow ("Send now") and by the clock (a scheduled
broadcast whose time has come)."""

from __future__ import annotations

from bot.context import Services
from bot.i18n import Translator
from bot.views.campaign import progress_view


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
