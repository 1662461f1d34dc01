"""A broadcast's progress message (or final report) and its buttons: posted when a campaign
starts (by an organizer or by the clock) and edited in place as it goes."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.views.keyboards import inline_keyboard
from storage.campaigns import Campaign, Progress

PREFIX = "bc"


BC = callbacks.Prefix(PREFIX, role="organizer")  # broadcasts: organizers only
STOP = BC.button("stop", callbacks.Id("campaign"))
RESUME = BC.button("resume", callbacks.Id("campaign"))
UNSCHEDULE = BC.button("unsched", callbacks.Id("campaign"))
EXPORT = BC.button("export", callbacks.Id("campaign"))


def progress_view(
    t: Translator, campaign: Campaign, progress: Progress, rate: float, finished: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress (or final report) text and its buttons."""
    figures = dict(
        sent=progress.sent,
        failed=progress.failed,
        unreachable=progress.unreachable,
        remaining=progress.remaining,
        total=progress.total,
        id=campaign.id,
    )
    if finished:
        rows = []
        if progress.failed or progress.unreachable:
            rows.append([(t("bc.export"), EXPORT(campaign.id))])
        return t("bc.report", **figures), inline_keyboard(rows, t.is_rtl) if rows else None
    if campaign.state == "paused":
        return t("bc.paused", **figures), inline_keyboard(
            [[(t("bc.resume"), RESUME(campaign.id))]], t.is_rtl
        )
    minutes = max(1, round(progress.remaining / max(rate, 1) / 60))
    return (
        t("bc.progress", **figures, eta=t.plural("bc.minutes", minutes)),
        inline_keyboard([[(t("bc.stop"), STOP(campaign.id))]], t.is_rtl),
    )
