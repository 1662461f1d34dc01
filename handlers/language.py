"""/language: switch language at any time; every later message uses it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.commands import set_chat_commands
from bot.context import MultaqaContext
from handlers import registration
from handlers.common import chat_id_of, inline, reply, show, toast

log = logging.getLogger(__name__)

PREFIX = "lang"


async def language_command(update: Update, context: MultaqaContext) -> None:
    """Offer the languages, the current one marked."""
    who = context.who
    names = context.services.texts.language_names()
    rows = [
        [(("✓ " if code == who.locale else "") + name, callbacks.encode(PREFIX, "set", code))]
        for code, name in names.items()
    ]
    await reply(update, context, who.t("lang.choose"), inline(rows))


async def on_button(update: Update, context: MultaqaContext) -> None:
    """A language was chosen."""
    who = context.who
    texts = context.services.texts
    query = update.callback_query
    press = callbacks.decode(query.data if query else None, PREFIX)
    if press is None or press.action != "set" or press.arg() not in texts.locales:
        log.warning("malformed language button from user %s", who.user.id)
        await toast(update, who.t("common.invalid_button"))
        return
    code = press.arg()
    assert code is not None
    t = texts[code]
    who.locale, who.t = code, t
    await toast(update)
    if who.participant is not None:
        await context.services.participants.set_locale(who.user.id, code)
        await set_chat_commands(context.bot, chat_id_of(update), t, who.roles)
    draft = who.registration
    if draft is not None:
        draft.data["locale"] = code
        if draft.step == "language":
            draft.step = "consent"
        await registration.save_draft(update, context, draft)
        await show(update, context, t("lang.changed"))  # in the pressed message
        await registration.ask(update, context, draft)
        return
    if who.participant is None:
        await registration.begin(update, context, locale=code)  # asked in the pressed message
        return
    await show(update, context, t("lang.changed"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("language", language_command, filters=filters.ChatType.PRIVATE)),
        (0, CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")),
    ]
