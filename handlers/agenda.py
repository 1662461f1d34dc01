"""/agenda: the day on a phone screen, in the event's time zone and the person's language,
with what is on now and next, and the person's own workshop; in pages when it is long."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks, replies
from bot.context import MultaqaContext, Services
from bot.i18n import Translator
from bot.views.agenda import agenda_page
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from handlers.event_dates import event_over

PREFIX = "ag"
AGENDA = callbacks.Prefix(PREFIX)
PAGE = AGENDA.button("page", callbacks.PageNo())


async def send_agenda(
    services: Services,
    context: MultaqaContext,
    chat_id: int,
    user_id: int,
    t: Translator,
    page: int = 0,
) -> bool:
    """Send the agenda (a page of it) to one person; False if no event is loaded yet."""
    event = await services.event.current()
    if event is None:
        return False
    mine = await services.event.my_workshops(user_id)
    view = agenda_page(t, event, services.clock.now(), mine, page, PAGE)
    await replies.queue(
        context.bot,
        replies.send_message(
            chat_id, str(view.text), inline(view.rows) if view.rows else None, preview=False
        ),
    )
    return True


async def agenda_command(update: Update, context: MultaqaContext) -> None:
    """/agenda."""
    who = context.who
    if await event_over(update, context):
        return
    if not await send_agenda(context.services, context, chat_id_of(update), who.user.id, who.t):
        await reply(update, context, who.t("agenda.not_yet"))


async def on_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ in the agenda."""
    who = context.who
    await toast(update)
    await drop_buttons(update)
    if await event_over(update, context):
        return
    if not await send_agenda(
        context.services, context, chat_id_of(update), who.user.id, who.t, press["page"]
    ):
        await reply(update, context, who.t("agenda.not_yet"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("agenda", agenda_command, filters=filters.ChatType.PRIVATE)),
        (0, callbacks.route(AGENDA, {PAGE: on_page})),
    ]
