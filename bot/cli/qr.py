"""`multaqa qr`: the venue's check-in poster, or with --register the invitation poster."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from telegram import Bot
from telegram.error import NetworkError

from bot.cli import texts as cli_texts
from bot.documents.poster import deep_link, render_poster
from bot.event.service import EventService, localized_text
from bot.i18n import Message, Translations, terminal
from bot.settings import Settings
from storage.clock import SystemClock
from storage.database import Database


async def _title(settings: Settings, texts: Translations) -> str:
    """The event's title in Arabic and French, from the database (or the product name)."""
    clock = SystemClock()
    db = await Database(settings.database_path).open()
    try:
        service = EventService.for_database(db, settings, clock)
        event = await service.current()
    finally:
        await db.close()
    if event is None:
        return f"{terminal(texts['ar']('qr.product'))}\n{terminal(texts['fr']('qr.product'))}"
    title = dict(event.event.title)
    return f"{localized_text(title, texts['ar'])}\n{localized_text(title, texts['fr'])}"


class TelegramUnreachable(RuntimeError):
    """getMe could not reach Telegram (no network, a wrong BOT_API_BASE_URL)."""


async def create_invite(settings: Settings, rec_id: int, label: str, days: int) -> str:
    """A one-time delegate invite for a recommendation; returns its /start payload."""
    from bot.followup.service import FollowUpService

    clock = SystemClock()
    db = await Database(settings.database_path).open()
    try:
        followup = FollowUpService.for_database(db, settings, clock)
        if await followup.repo.get(rec_id) is None:
            raise ValueError(Message("qr.no_recommendation", ref=f"R-{rec_id}"))
        token = await followup.repo.create_invite(
            "delegate", label, None, timedelta(days=days), [rec_id]
        )
    finally:
        await db.close()
    return f"inv-{token}"


async def make_poster(
    settings: Settings,
    register: bool,
    out: Path | None,
    bot_username: str | None,
    invite: tuple[int, str, int] | None = None,
) -> Path:
    """Write the poster; asks Telegram (getMe) for the bot's username unless given. With
    `invite` (recommendation id, label, days valid), a one-time invite for its owner."""
    if bot_username is not None:
        deep_link(bot_username, "register")  # a wrong name is said before anything is done
    else:
        bot = Bot(
            settings.bot_token.get_secret_value(),
            base_url=settings.bot_api_base_url,
            base_file_url=settings.bot_api_file_url,
        )
        try:
            async with bot:
                bot_username = bot.username
        except NetworkError as exc:  # TimedOut is one too
            raise TelegramUnreachable(cli_texts.text("qr.unreachable")) from exc
    payload = "register" if register else f"checkin-{settings.checkin_code}"
    texts = Translations(settings.default_locale)
    key = "qr.register" if register else "qr.checkin"
    name = "register" if register else "checkin"
    if invite is not None:
        payload = await create_invite(settings, *invite)
        key, name = "qr.invite", f"invite-R{invite[0]}"
        cli_texts.echo("cli.qr_invite_link", link=deep_link(bot_username, payload))
    # The poster's renderer orders Arabic itself: no invisible direction marks in its lines.
    lines = [terminal(texts["ar"](key)), terminal(texts["fr"](key))]
    target = out or Path(f"multaqa-{name}.png")
    render_poster(deep_link(bot_username, payload), await _title(settings, texts), lines, target)
    return target
