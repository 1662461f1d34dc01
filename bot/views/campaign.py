"""A broadcast's progress message (or final report) and its buttons: posted when a campaign
starts (by an organizer or by the clock) and edited in place as it goes."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from storage.campaigns import Campaign, Progress

PREFIX = "bc"


def button(action: str, *args: object) -> str:
    """Callback data of a broadcast button."""
    return callbacks.encode(PREFIX, action, *args)


_b = button


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
            rows.append([(t("bc.export"), _b("export", campaign.id))])
        return t("bc.report", **figures), inline(rows) if rows else None
    if campaign.state == "paused":
        return t("bc.paused", **figures), inline([[(t("bc.resume"), _b("resume", campaign.id))]])
    minutes = max(1, round(progress.remaining / max(rate, 1) / 60))
    return (
        t("bc.progress", **figures, eta=t.plural("bc.minutes", minutes)),
        inline([[(t("bc.stop"), _b("stop", campaign.id))]]),
    )


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
