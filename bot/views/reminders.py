"""What the clock says for a due row (a reminder, the morning agenda, a notice), in the
person's language, or nothing when it is too late to say it."""

from __future__ import annotations

from datetime import datetime

from bot.context import Services
from bot.event.service import localized_text as localized
from bot.i18n import Translator
from bot.labels import room_label
from bot.views.agenda import agenda_text
from storage.event import Prompt


async def prompt_text(
    services: Services, prompt: Prompt, t: Translator, now: datetime
) -> str | None:
    """What to send for a due prompt, or None to drop it (too late, or nothing to say)."""
    if prompt.kind == "notice":
        return str(prompt.payload.get("text") or "") or None
    event = await services.event.current()
    if event is None:
        return None
    info = event.event
    mine = await services.event.my_workshops(prompt.user_id)
    if prompt.kind == "morning_agenda":
        return agenda_text(t, event, now, mine) if now < info.end else None
    if prompt.kind == "day_before":
        if now >= info.start:
            return None
        confirmed = [w for w, seat in mine if seat.state == "confirmed"]
        workshop = (
            t(
                "remind.your_workshop",
                title=localized(dict(confirmed[0].title), t),
                room=room_label(t, confirmed[0].room),
            )
            if confirmed
            else ""
        )
        return (
            t(
                "remind.day_before",
                title=localized(dict(info.title), t),
                date=t.date(info.start, event.zone),
                time=t.time(info.start, event.zone),
                venue=localized(dict(info.venue.name), t),
            )
            + workshop
        )
    # a session: an agenda item or a workshop
    item = event.item(prompt.subject or "")
    workshop = event.workshop(prompt.subject or "")
    if workshop is not None:
        slot = event.slot_of(workshop)
        start, title, room = slot.start, localized(dict(workshop.title), t), workshop.room
    elif item is not None:
        start, title, room = item.start, localized(dict(item.title), t), item.room or ""
    else:
        return None
    if now >= start:
        return None
    minutes = max(1, round((start - now).total_seconds() / 60))
    return t(
        "remind.session",
        title=title,
        room=room_label(t, room) if room else "",
        time=t.time(start, event.zone),
        minutes=t.plural("count.minutes", minutes),
    )
