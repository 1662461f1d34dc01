"""One-time invite links for recommendation owners who have not registered: the deep link
`/start inv-<token>` registers the person if needed, then gives them the recommendations
waiting for them. Expired, used and forged links are refused with a clear message."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import MultaqaContext
from handlers.common import reply

log = logging.getLogger(__name__)

PAYLOAD_PREFIX = "inv-"


def is_invite(payload: str | None) -> bool:
    """Whether a /start payload is an invite."""
    return bool(payload) and payload.startswith(PAYLOAD_PREFIX)  # type: ignore[union-attr]


async def refuse_early(update: Update, context: MultaqaContext, payload: str) -> bool:
    """Before registering a newcomer: tell them at once when the link cannot work (so they do
    not register for nothing), else that registering comes first. True: refused."""
    t = context.who.t
    state = await context.services.followup.repo.invite_state(payload.removeprefix(PAYLOAD_PREFIX))
    if state != "ok":
        await reply(update, context, t(f"fu.invite.{state}"))
        return True
    await reply(update, context, t("fu.invite.register_first"))
    return False


async def open_invite(update: Update, context: MultaqaContext, payload: str) -> None:
    """A registered person opened an invite: attach what waits for them."""
    services = context.services
    t = context.who.t
    user_id = context.who.user.id
    redeemed = await services.followup.repo.redeem(payload.removeprefix(PAYLOAD_PREFIX), user_id)
    if redeemed.outcome == "used" and redeemed.role is not None:
        await reply(update, context, t("fu.invite.already_yours"))
        return
    if redeemed.outcome != "ok":
        log.info("invite refused (%s) for user %s", redeemed.outcome, user_id)
        await reply(update, context, t(f"fu.invite.{redeemed.outcome}"))
        return
    for rec_id in redeemed.recommendations:
        await services.followup.assign(rec_id, user_id, None)
    await reply(update, context, t.plural("fu.invite.welcome", len(redeemed.recommendations)))
    services.kick_clock()
