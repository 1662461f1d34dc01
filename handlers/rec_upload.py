"""Organizers send the workshops' recommendation tables (CSV or XLSX) to the bot: the bot
shows what it will create and every row it cannot use, and creates them on Confirm."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
)

from bot import callbacks
from bot.context import MultaqaContext
from bot.conversation import conversations, wants_file
from bot.documents.rec_import import MAX_BYTES, ImportPlan, apply_import, plan_import
from bot.guard import has_role
from bot.i18n import Markup, Translator, shown
from bot.views.paging import utf16_len
from handlers.common import drop_buttons, inline, preview_flow, reply, toast, upload_handlers

log = logging.getLogger(__name__)

FLOW = "rec_import"
PREFIX = "ri"
IN_PREVIEW = 3000  # UTF-16 units of row reasons shown inside the preview itself
PART_SIZE = 3800  # UTF-16 units of row reasons per extra message (Telegram allows 4,096)
REFS_SHOWN = 60  # references listed after an import (the rest are under 📌 Recommendations)
RI = callbacks.Prefix(PREFIX, role="organizer")
GO = RI.button("go")
CANCEL = RI.button("cancel")


async def _plan(context: MultaqaContext, file_id: str, file_name: str) -> ImportPlan:
    services = context.services
    data = await (await context.bot.get_file(file_id)).download_as_bytearray()
    today = await services.event.today()
    return await plan_import(
        bytes(data),
        file_name,
        await services.event.current(),
        services.participants,
        today,
        services.recommendations,
    )


def _row_lines(t: Translator, plan: ImportPlan) -> list[Markup]:
    """Every row not used (row number and reason), then every row left out as identical."""
    lines = [t("ri.row", row=p.row, reason=shown(t, p.reason)) for p in plan.problems]
    lines += [t("ri.row_warning", row=p.row, reason=shown(t, p.reason)) for p in plan.identical]
    return lines


def _parts(lines: list[Markup], size: int) -> list[Markup]:
    """Lines grouped into texts of at most `size` UTF-16 units (a line is never cut)."""
    parts: list[Markup] = []
    current: list[Markup] = []
    for line in lines:
        if current and utf16_len("\n".join([*current, line])) > size:
            parts.append(Markup("\n").join(current))
            current = []
        current.append(line)
    if current:
        parts.append(Markup("\n").join(current))
    return parts


async def _show_rows(update: Update, context: MultaqaContext, plan: ImportPlan) -> Markup:
    """The refused and identical rows: inside the preview when they fit, else listed in as
    many messages as needed before it (each well under Telegram's 4,096 characters)."""
    t = context.who.t
    lines = _row_lines(t, plan)
    if utf16_len("\n".join(lines)) <= IN_PREVIEW:
        return Markup("\n").join(lines) or Markup("—")
    parts = _parts(lines, PART_SIZE)
    for number, part in enumerate(parts, start=1):
        header = t("ri.rows_part", part=number, parts=len(parts))
        await reply(update, context, header + "\n" + part)
    return t("ri.rows_above")


async def on_document(update: Update, context: MultaqaContext) -> None:
    """A .csv/.xlsx from an organizer: preview the import."""
    if not await has_role(context, "organizer") or wants_file(context):
        return  # someone else's file, or content of the active flow: the router has it
    await _take_table(update, context)
    raise ApplicationHandlerStop  # the file was ours: the router does not see it


async def _take_table(update: Update, context: MultaqaContext) -> None:
    message = update.effective_message
    document = message.document if message else None
    if document is None:
        return
    t = context.who.t
    if (document.file_size or 0) > MAX_BYTES:
        await reply(update, context, t("ri.too_big"))
        return
    name = document.file_name or "table.csv"
    plan = await _plan(context, document.file_id, name)
    if plan.file_problem:
        await reply(update, context, t("ri.file_problem", problem=shown(t, plan.file_problem)))
        return
    problems = await _show_rows(update, context, plan)
    if plan.identical:
        problems += "\n" + t.plural("ri.identical", len(plan.identical))
    await conversations(context).start(
        update, context, FLOW, "confirm", {"file_id": document.file_id, "name": name}
    )
    rows = [[(t("bc.cancel"), CANCEL())]]
    if plan.planned:
        rows.insert(0, [(t("ri.create", n=len(plan.planned)), GO())])
    await reply(
        update,
        context,
        t(
            "ri.preview",
            n=len(plan.planned),
            bad=len(plan.problems),
            problems=problems,
        ),
        inline(rows),
    )


async def on_button(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """ri:go creates what the preview showed (planned again: the data may have moved)."""
    who = context.who
    services = context.services
    draft = who.drafts.get(FLOW)
    if draft is None:
        await callbacks.stale(update, context, "no table preview")
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update)
    await conversations(context).end(context, draft)
    if press.action == "cancel":
        await reply(update, context, who.t("ri.cancelled"))
        return
    plan = await _plan(context, draft.data["file_id"], draft.data["name"])
    created = await apply_import(plan, services.recommendations, who.user.id)
    await services.followup.adopt_new(created, who.user.id)
    services.kick_clock()
    await services.audit.record(
        who.user.id,
        "recommendation.import",
        draft.data["name"],
        {"created": len(created), "skipped": len(plan.problems)},
    )
    t = who.t
    lines = [t.plural("ri.done", len(created))]
    if created:  # which ones, to find them under 📌 Recommendations
        refs = [f"R-{rec_id}" for rec_id in created[:REFS_SHOWN]]
        refs += ["…"] if len(created) > REFS_SHOWN else []
        lines.append(t("ri.created_refs", refs=t.plain("common.list_separator").join(refs)))
    await reply(update, context, Markup("\n").join(lines))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups: an upload starts the flow like a command."""
    return upload_handlers(
        callbacks.route(RI, {GO: on_button, CANCEL: on_button}), on_document, "csv", "xlsx"
    )


CONVERSATION = preview_flow(FLOW, "conv.flow_rec_import", "ri.cancelled")
