"""/help, and the answers to whatever no flow expected: unknown commands, stray messages,
stale or forged buttons, and the bot being blocked or unblocked."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import MultaqaContext
from bot.i18n import Markup
from handlers.common import reply, toast
from handlers.proposals import offer_capture
from handlers.registration import commands_help

log = logging.getLogger(__name__)


async def help_command(update: Update, context: MultaqaContext) -> None:
    """/help: what this bot does and the commands this person can use."""
    who = context.who
    key = "help.registered" if who.participant else "help.newcomer"
    await reply(update, context, who.t(key, commands=_commands(context)))


def _commands(context: MultaqaContext) -> Markup:
    return commands_help(context.who.t, context.who)


async def unknown_command(update: Update, context: MultaqaContext) -> None:
    """A command this bot does not have (or that this person may not use)."""
    await reply(update, context, context.who.t("common.unknown_command"))


async def unexpected_message(update: Update, context: MultaqaContext) -> None:
    """A message outside any flow."""
    who = context.who
    if who.participant is not None and await offer_capture(update, context):
        return  # proposals are collected as ordinary messages
    key = "common.unexpected_registered" if who.participant else "common.unexpected_newcomer"
    await reply(update, context, who.t(key))


async def unknown_button(update: Update, context: MultaqaContext) -> None:
    """A button no flow recognises: forged, or from a version of the bot long gone."""
    user = update.effective_user
    log.warning("unrecognised button pressed by user %s", user.id if user else None)
    t = (
        context.who.t
        if context.has_who
        else context.services.texts[context.services.texts.default_locale]
    )
    await toast(update, t("common.invalid_button"))


async def membership_changed(update: Update, context: MultaqaContext) -> None:
    """The user blocked or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    reachable = status not in (ChatMember.BANNED, ChatMember.LEFT)
    if await context.services.participants.set_reachable(change.from_user.id, reachable):
        log.info(
            "user %s is now %s", change.from_user.id, "reachable" if reachable else "unreachable"
        )


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers with their groups; register after every flow so the fallbacks come last."""
    private = filters.ChatType.PRIVATE
    return [
        (0, CommandHandler("help", help_command, filters=private)),
        (0, ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)),
        # Last in group 0, so they only see what no flow's handler took (bot.app adds
        # this module last).
        (0, MessageHandler(private & filters.COMMAND, unknown_command)),
        (0, CallbackQueryHandler(unknown_button)),
        (
            9,
            MessageHandler(
                private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, unexpected_message
            ),
        ),
    ]
