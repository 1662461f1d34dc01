"""The organizers' daily jobs, on the same clock-and-rows rule as reminders: the clock
(bot.outbound.schedule) wakes at `next_daily_at` and runs `plan_daily`, which looks at the time
and at the database, never at memory, so a restart neither loses nor repeats a day's work; the
notices it plans are rows the clock delivers like any other due row.

- the daily summary, during the registration window, at `organizers.daily_summary_at` (event
  file): one row per organizer and day in organizer_notices (keyed `summary:<day>:<id>`),
  delivered by the sender; one button switches it off;
- the retention purge, once a day: anonymise everyone past RETENTION_DAYS after the event, and
  tell organizers what was purged;
- the backup, once a day at BACKUP_AT, keeping BACKUP_KEEP copies."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, Message
from telegram.constants import ParseMode

from bot.context import Services
from bot.documents.figures import split_message
from bot.i18n import Html
from bot.outbound.sender import Outcome
from bot.people import locale_of
from bot.views.admin import SUMMARY
from bot.views.keyboards import in_reading_order, inline_keyboard
from storage.organizers import OrganizerNotice

log = logging.getLogger(__name__)


async def _organizers(services: Services) -> list[tuple[int, str]]:
    """(id, language) of every organizer now."""
    found = []
    for user_id in await services.roles.holders("organizer"):
        found.append((user_id, await locale_of(services, user_id)))
    return found


def _local_day(services: Services, now: datetime, zone) -> str:  # type: ignore[no-untyped-def]
    return now.astimezone(zone).date().isoformat()


async def plan_summaries(services: Services, now: datetime) -> int:
    """Queue today's summary for each organizer who wants it, once the time has come."""
    event = await services.event.current()
    if event is None:
        return 0
    info, local = event.event, now.astimezone(event.zone)
    opens = info.registration_opens.astimezone(event.zone).date()
    closes = info.registration_closes.astimezone(event.zone).date()
    if not (opens <= local.date() <= closes) or local.time() < event.organizers.daily_summary_at:
        return 0
    tools, day = services.organizers, local.date().isoformat()
    today = dict((await tools.desk.figures()).by_day).get(local.date(), 0)
    planned = []
    for user_id, locale in await _organizers(services):
        key = f"summary:{day}:{user_id}"
        if not await tools.notices.wants_summary(user_id) or await tools.notices.notice_exists(key):
            continue
        t = services.texts[locale]
        head = t("sum.title", day=t.date(now, event.zone), today=today)
        text = Html("\n\n").join([head, await tools.desk.figures_text(t)])
        parts = split_message(text)
        for index, part in enumerate(parts):  # the off switch under the last part
            last = index == len(parts) - 1
            rows = [[(t("admin.summary_stop"), SUMMARY("off"))]] if last else []
            buttons = in_reading_order(rows, t.is_rtl)  # stored as the reader will see them
            planned.append((key if index == 0 else f"{key}:{index}", user_id, part, buttons))
    await tools.notices.add_notices(planned)
    return len(planned)


async def purge_once_a_day(services: Services, now: datetime) -> int:
    """The retention purge (at most once a day); tells organizers when anyone was purged."""
    tools = services.organizers
    due = await tools.desk.purge_due_at()
    if due is None or now < due:
        return 0
    day = _local_day(services, now, services.settings.zone)
    if not await tools.notices.claim_day("purge", day):
        return 0
    report = await tools.desk.purge_if_due()
    if report.erased is None or not report.erased.people:
        return 0
    erased = report.erased
    await tools.notices.record_day(
        "purge", day, {"people": erased.people, "proposals_cleared": erased.proposals_cleared}
    )
    await services.audit.record(None, "privacy.purge", "", {"people": erased.people})
    notices = []
    for user_id, locale in await _organizers(services):
        t = services.texts[locale]
        notices.append(
            (
                f"purge:{day}:{user_id}",
                user_id,
                t(
                    "privacy.purged",
                    people=erased.people,
                    cleared=erased.proposals_cleared,
                    kept=erased.proposals_kept,
                    days=services.settings.retention_days,
                ),
                [],
            )
        )
    await tools.notices.add_notices(notices)
    return erased.people


async def backup_once_a_day(services: Services, now: datetime) -> bool:
    """The daily backup, once the time of day has come."""
    zone = services.settings.zone
    hour, minute = (int(p) for p in services.settings.backup_at.split(":"))
    local = now.astimezone(zone)
    if local.time() < time(hour, minute):
        return False
    if not await services.organizers.notices.claim_day("backup", local.date().isoformat()):
        return False
    try:
        path = await services.organizers.desk.backup()
    except Exception as exc:  # a full disk must not stop the bot: logged, tried tomorrow
        log.error("daily backup failed: %s", type(exc).__name__, exc_info=exc)
        return False
    log.info("daily backup written to %s", path)
    return True


def _send(notice: OrganizerNotice):  # type: ignore[no-untyped-def]
    # Laid out for the reader when planned (see daily_summaries).
    markup = inline_keyboard(notice.buttons, rtl=False) if notice.buttons else None

    async def send(bot: Bot, chat_id: int) -> Message:
        return await bot.send_message(
            chat_id, notice.text, parse_mode=ParseMode.HTML, reply_markup=markup
        )

    return send


async def deliver_notices(services: Services) -> int:
    """Send due organizer notices (private chat id = user id)."""
    sent = 0
    while batch := await services.organizers.notices.claim_due():
        for notice in batch:
            result = await services.runner.sender.deliver(notice.user_id, _send(notice))
            state = "sent" if result.outcome is Outcome.SENT else result.outcome.value
            await services.organizers.notices.settle(notice.id, state)
            sent += result.outcome is Outcome.SENT
    return sent


async def plan_daily(services: Services, now: datetime) -> None:
    """Plan what is due today: the summaries, the purge, the backup (each idempotent)."""
    for step in (plan_summaries, purge_once_a_day, backup_once_a_day):
        try:
            await step(services, now)
        except Exception as exc:
            log.error("daily job %s failed: %s", step.__name__, type(exc).__name__, exc_info=exc)


async def daily_tick(services: Services) -> None:
    """One turn by hand (tests, tools): plan what is due today, then deliver the notices."""
    await plan_daily(services, services.clock.now())
    await deliver_notices(services)


def _next_at(now: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The first moment after `now` when the local clock in `zone` shows `at`."""
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), at, tzinfo=zone)
    if moment <= now:
        moment = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return moment


async def next_summary_at(services: Services, now: datetime) -> datetime | None:
    """When the next daily summary is planned (None outside the registration window)."""
    event = await services.event.current()
    if event is None:
        return None
    moment = _next_at(now, event.zone, event.organizers.daily_summary_at)
    closes = event.event.registration_closes.astimezone(event.zone).date()
    return moment if moment.astimezone(event.zone).date() <= closes else None


async def next_daily_at(services: Services, now: datetime) -> datetime:
    """When `plan_daily` next has something to do: the summary's time, the backup's time, or
    the purge's day (its due time, then each midnight after it)."""
    zone = services.settings.zone
    hour, minute = (int(p) for p in services.settings.backup_at.split(":"))
    moments = [_next_at(now, zone, time(hour, minute))]
    if (summary := await next_summary_at(services, now)) is not None:
        moments.append(summary)
    purge = await services.organizers.desk.purge_due_at()
    if purge is not None:
        moments.append(purge if purge > now else _next_at(now, zone, time(0, 0)))
    return min(moments)
