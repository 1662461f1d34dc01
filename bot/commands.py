"""The command menus: per language for everyone, per chat for organizers (and after sign-up)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from bot.i18n import Translations, Translator

log = logging.getLogger(__name__)

# (command, key of its description). Names are lowercase English, as Telegram requires.
PARTICIPANT_COMMANDS = (
    ("start", "cmd.start"),
    ("agenda", "cmd.agenda"),
    ("workshops", "cmd.workshops"),
    ("propose", "cmd.propose"),
    ("mine", "cmd.mine"),
    ("profile", "cmd.profile"),
    ("language", "cmd.language"),
    ("help", "cmd.help"),
    ("cancel", "cmd.cancel"),
)
ORGANIZER_COMMANDS = (("admin", "cmd.admin"),)
DELEGATE_COMMANDS = (("tasks", "cmd.tasks"),)


def commands_for(roles: Iterable[str]) -> list[tuple[str, str]]:
    """The commands someone with these roles can use."""
    commands = list(PARTICIPANT_COMMANDS)
    roles = frozenset(roles)
    if "delegate" in roles:
        commands.extend(DELEGATE_COMMANDS)
    if "organizer" in roles:
        commands.extend(ORGANIZER_COMMANDS)
    return commands


def _menu(t: Translator, roles: Iterable[str]) -> list[BotCommand]:
    return [BotCommand(name, t.plain(key)) for name, key in commands_for(roles)]


async def set_default_commands(bot: Bot, texts: Translations) -> None:
    """Participants' menu in every private chat, in each language (default locale otherwise)."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(_menu(texts[texts.default_locale], ()), scope=scope)
    for code in texts.locales:
        await bot.set_my_commands(_menu(texts[code], ()), scope=scope, language_code=code)


async def set_chat_commands(bot: Bot, chat_id: int, t: Translator, roles: Iterable[str]) -> None:
    """One person's menu in their chosen language, with the commands of their roles."""
    try:
        await bot.set_my_commands(_menu(t, roles), scope=BotCommandScopeChat(chat_id))
    except (BadRequest, Forbidden) as exc:
        # An organizer who never opened the bot has no chat yet; their menu comes at /start.
        log.info("could not set the menu of chat %s: %s", chat_id, exc.message)
