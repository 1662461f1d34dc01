"""Starting a campaign: freeze its recipients, post the organizer's progress message, and
hand it to the runner. Used by the broadcast flow ("Send now") and by the clock (a scheduled
broadcast whose time has come)."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.context import Services
from bot.i18n import Translator
from bot.views.campaign import progress_view
from storage.campaigns import Campaign, Progress

log = logging.getLogger(__name__)


async def start_campaign(
    services: Services, campaign_id: int, chat_id: int | None, t: Translator
) -> None:
    """Freeze recipients, post the progress message (if any chat), launch the sending.

    The sending is launched whatever becomes of the progress message: if posting it fails
    (a 502), the runner's next report posts it again (handlers.campaign.report_progress).
    The campaign is owned by this process from `start` on (a lease, see
    bot/outbound/campaigns.py), and a crash before `launch` is resumed at the next start.
    """
    runner = services.runner
    if not await services.campaigns.start(campaign_id, runner.owner, runner.lease_seconds):
        return
    try:
        if chat_id is not None:
            await services.campaigns.set_progress_message(campaign_id, chat_id, None)
            campaign = await services.campaigns.get(campaign_id)
            assert campaign is not None
            progress = await services.campaigns.progress(campaign_id)
            await post_progress(services, campaign, progress)
    except TelegramError as exc:
        log.warning("progress message of campaign %s not posted yet (%s)", campaign_id, exc)
    finally:
        runner.launch(campaign_id)


async def post_progress(
    services: Services, campaign: Campaign, progress: Progress, finished: bool = False
) -> None:
    """Post a new progress message (or the final report) and remember it."""
    assert campaign.progress_chat_id is not None
    t = services.texts[campaign.author_locale]
    text, markup = progress_view(t, campaign, progress, services.sender_rate, finished)
    message = await services.bot.send_message(
        campaign.progress_chat_id, text, reply_markup=markup, parse_mode="HTML"
    )
    await services.campaigns.set_progress_message(
        campaign.id, campaign.progress_chat_id, message.message_id
    )
