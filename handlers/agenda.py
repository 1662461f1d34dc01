"""/agenda: the day on a phone screen, in the event's time zone and the person's language,
with what is on now and next, and the person's own workshop."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import MultaqaContext, Services
from bot.i18n import Translator
from bot.views.agenda import agenda_text
from handlers.common import chat_id_of, reply
from handlers.event_dates import event_over


async def send_agenda(
    services: Services, context: MultaqaContext, chat_id: int, user_id: int, t: Translator
) -> bool:
    """Send the agenda to one person; False if no event is loaded yet."""
    event = await services.event.current()
    if event is None:
        return False
    mine = await services.event.my_workshops(user_id)
    await context.bot.send_message(
        chat_id,
        str(agenda_text(t, event, services.clock.now(), mine)),
        parse_mode="HTML",
        disable_web_page_preview=True,
    )
    return True


async def agenda_command(update: Update, context: MultaqaContext) -> None:
    """/agenda."""
    who = context.who
    if await event_over(update, context):
        return
    if not await send_agenda(context.services, context, chat_id_of(update), who.user.id, who.t):
        await reply(update, context, who.t("agenda.not_yet"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [(0, CommandHandler("agenda", agenda_command, filters=filters.ChatType.PRIVATE))]
