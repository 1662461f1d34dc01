"""Sending the follow-up rows the clock found due: prompts to delegates, escalations and
weekly summaries to organizers, digests to participants."""

from __future__ import annotations

import logging

from telegram import Bot, Message
from telegram.constants import ParseMode

from bot.context import Services
from bot.followup.service import Composed
from bot.outbound.sender import Outcome, Send
from bot.people import locale_of
from storage.event import Prompt
from storage.roles import ORGANIZER_PROMPT_KINDS

log = logging.getLogger(__name__)

# Organizers may hold the role without having registered: their private chat is their id.
_TO_ORGANIZERS = ORGANIZER_PROMPT_KINDS


def _sender(message: Composed) -> Send:
    async def send(bot: Bot, chat_id: int) -> Message:
        return await bot.send_message(
            chat_id, message.text, parse_mode=ParseMode.HTML, reply_markup=message.markup
        )

    return send


async def deliver_follow_up(services: Services, prompt: Prompt) -> None:
    """Compose the row from the database as it is now, send it, settle it."""
    followup = services.followup
    if prompt.kind in _TO_ORGANIZERS and not await services.roles.holds(
        prompt.user_id, "organizer"
    ):  # planned while they were an organizer: the case is not theirs to see any more
        await services.prompts.settle(prompt.id, "dropped")
        return
    participant = await services.participants.get(prompt.user_id)
    if participant is not None and not participant.reachable:
        await services.prompts.settle(prompt.id, "unreachable")
        return
    if participant is None and prompt.kind not in _TO_ORGANIZERS:
        await services.prompts.settle(prompt.id, "dropped")
        return
    chat_id = participant.chat_id if participant else prompt.user_id
    t = services.texts[await locale_of(services, prompt.user_id)]
    covered = None
    if prompt.kind == "followup":
        forced = tuple(int(r) for r in prompt.payload.get("recs", []))
        composed = await followup.compose_prompt(prompt.user_id, t, forced)
        message, covered = composed if composed else (None, None)
    elif prompt.kind == "escalation":
        message = await followup.compose_escalation(prompt, t)
    elif prompt.kind == "weekly_summary":
        message = await followup.compose_weekly(prompt.user_id, t)
    else:
        message = await followup.compose_digest(prompt, t)
    if message is None:
        await services.prompts.settle(prompt.id, "dropped")
        if prompt.kind == "followup":
            await followup.plan_delegate(prompt.user_id)
        return
    result = await services.runner.sender.deliver(chat_id, _sender(message))
    if result.outcome is Outcome.UNREACHABLE and participant is not None:
        await services.participants.set_reachable(participant.user_id, False)
    await services.prompts.settle(prompt.id, result.outcome.value)
    if prompt.kind == "followup" and covered is not None:
        if result.outcome is Outcome.SENT:
            await followup.prompt_sent(prompt.user_id, covered)
        else:
            await followup.plan_delegate(prompt.user_id)
