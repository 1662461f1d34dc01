"""What Telegram tells of a person, kept where the bot needs it later: a participant's first
name and @username (an organizer may look for a delegate by them), and the language of an
organizer who never registered (their summaries and escalations go in it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telegram import User

    from bot.context import Services
    from storage.participants import Participant


async def note_telegram(
    services: Services,
    user: User,
    participant: Participant | None,
    roles: frozenset[str],
    locale: str,
) -> str:
    """The language of this update (`locale`, or what an unregistered organizer picked with
    /language); remembers what changed since it was last seen. Reads and writes only when
    something is to be kept: a participant's names when they changed, an organizer's
    language."""
    if participant is not None:
        if (participant.first_name, participant.username) != (user.first_name, user.username):
            await services.participants.remember_telegram(user.id, user.first_name, user.username)
        return locale
    if "organizer" not in roles:
        return locale
    notices = services.organizers.notices
    stored, chosen = await notices.language(user.id)
    if chosen and stored in services.texts.locales:
        return stored
    if stored != locale:
        await notices.remember_language(user.id, locale, chosen=False)
    return locale


async def locale_of(services: Services, user_id: int) -> str:
    """The language to write to someone in when they did not just write (a reminder, a
    summary, an escalation): a participant's; an organizer's last used; else the default."""
    locale = await services.participants.locale_of(user_id)
    return locale if locale in services.texts.locales else services.texts.default_locale
