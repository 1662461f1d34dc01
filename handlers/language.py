"""/language: switch language at any time; every later message uses it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.commands import set_chat_commands
from bot.context import MultaqaContext
from bot.views.keyboards import note_reader
from handlers import registration
from handlers.common import chat_id_of, inline, reply, show, toast

log = logging.getLogger(__name__)

PREFIX = "lang"
LANGUAGE = callbacks.Prefix(PREFIX)
SET = LANGUAGE.button("set", callbacks.Code("locale"))


async def language_command(update: Update, context: MultaqaContext) -> None:
    """Offer the languages, the current one marked."""
    who = context.who
    names = context.services.texts.language_names()
    rows = [
        [(("✓ " if code == who.locale else "") + name, SET(code))] for code, name in names.items()
    ]
    await reply(update, context, who.t("lang.choose"), inline(rows))


async def on_set(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """A language was chosen."""
    who = context.who
    texts = context.services.texts
    code = press["locale"]
    if code not in texts.locales:
        await callbacks.refuse(update, context, "no such language")
        return
    t = texts[code]
    who.locale, who.t = code, t
    note_reader(t.is_rtl)  # what follows is laid out for the language chosen
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
    if who.participant is None and who.is_organizer:
        # An organizer need not register: the language is kept for them (their summaries and
        # escalations go in it), and no registration starts.
        await context.services.organizers.notices.remember_language(who.user.id, code, True)
        await set_chat_commands(context.bot, chat_id_of(update), t, who.roles)
        await show(update, context, t("lang.changed"))
        return
    if who.participant is None:
        await registration.begin(update, context, locale=code)  # asked in the pressed message
        return
    await show(update, context, t("lang.changed"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("language", language_command, filters=filters.ChatType.PRIVATE)),
        (0, callbacks.route(LANGUAGE, {SET: on_set})),
    ]
