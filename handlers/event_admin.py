"""Organizers send the event file (YAML) to the bot: it is checked, the changes are shown,
and only Load (and, to remove workshops people signed up for, Remove anyway) applies it."""

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
from bot.documents.isolated import parse_event_upload
from bot.event.diff import diff_events
from bot.event.file import EventDefinition, EventFileError, decode_event_bytes
from bot.event.service import change_line
from bot.guard import has_role
from bot.i18n import Markup, shown
from handlers.common import drop_buttons, inline, preview_flow, reply, toast, upload_handlers

log = logging.getLogger(__name__)

FLOW = "event_file"
PREFIX = "evf"
MAX_BYTES = 512 * 1024
MAX_LINES = 25
EVF = callbacks.Prefix(PREFIX, role="organizer")
LOAD = EVF.button("load")
FORCE = EVF.button("force")  # remove workshops people signed up for
CANCEL = EVF.button("cancel")


async def on_document(update: Update, context: MultaqaContext) -> None:
    """A .yaml/.yml document: from an organizer, check it and show what would change."""
    if not await has_role(context, "organizer") or wants_file(context):
        return  # someone else's file, or content of the active flow: the router has it
    await _take_file(update, context)
    raise ApplicationHandlerStop  # the file was ours: the router does not see it


async def _take_file(update: Update, context: MultaqaContext) -> None:
    t = context.who.t
    message = update.effective_message
    document = message.document if message else None
    if document is None:
        return
    if (document.file_size or 0) > MAX_BYTES:
        await reply(update, context, t("evf.too_big"))
        return
    data = await (await context.bot.get_file(document.file_id)).download_as_bytearray()
    source = document.file_name or "event.yaml"
    try:
        text = decode_event_bytes(bytes(data), source)
        new = await parse_event_upload(text, source)
    except EventFileError as exc:
        problems = exc.problems
        listed = Markup("\n").join(
            t("evf.problem_line", problem=shown(t, p)) for p in problems[:MAX_LINES]
        )
        if len(problems) > MAX_LINES:
            listed += t.plural("evf.more", len(problems) - MAX_LINES)
        count = t.plural("count.problems", len(problems))
        await reply(update, context, t("evf.invalid", n=count, problems=listed))
        return
    services = context.services
    old = await services.event.current()
    lines = []
    if old is not None:
        lines = [line for c in diff_events(old, new) if (line := change_line(t, c, old, new))]
    await conversations(context).start(
        update, context, FLOW, "confirm", {"definition": new.to_json()}
    )
    listed = Markup("\n").join(lines[:MAX_LINES]) or t("evf.no_changes")
    await reply(
        update,
        context,
        t(
            "evf.preview",
            workshops=t.plural("count.workshops", len(new.workshops)),
            items=t.plural("count.agenda_items", len(new.agenda)),
            changes=listed,
        ),
        inline(
            [
                [(t("evf.load"), LOAD())],
                [(t("bc.cancel"), CANCEL())],
            ]
        ),
    )


async def on_button(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """evf:load, evf:force, evf:cancel."""
    who = context.who
    services = context.services
    draft = who.drafts.get(FLOW)
    if draft is None:
        await callbacks.stale(update, context, "no event file preview")
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update)
    if press.action == "cancel":
        await conversations(context).end(context, draft)
        await reply(update, context, who.t("evf.cancelled"))
        return
    if "definition" in draft.data:  # checked when it was sent: no second parse
        new = EventDefinition.from_json(draft.data["definition"])
    else:  # a draft written before this version kept the YAML itself
        new = await parse_event_upload(draft.data["yaml"], "event.yaml")
    report = await services.event.load(new, who.user.id, force=press.action == "force")
    if report.version is None:
        t = who.t
        names = t.plain("common.list_separator").join(
            t.plain("evf.blocked_one", workshop=wid, people=t.plural("count.participants", n))
            for wid, n in report.blocked
        )
        await reply(
            update,
            context,
            who.t("evf.blocked", workshops=names),
            inline(
                [
                    [(who.t("evf.force"), FORCE())],
                    [(who.t("bc.cancel"), CANCEL())],
                ]
            ),
        )
        return
    await conversations(context).end(context, draft)
    await services.audit.record(
        who.user.id,
        "event.load",
        f"version:{report.version}",
        {"changes": len(report.changes), "forced": press.action == "force"},
    )
    services.kick_clock()
    await reply(update, context, who.t.plural("evf.loaded", report.notices, version=report.version))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups: an upload starts the flow like a command."""
    return upload_handlers(
        callbacks.route(EVF, {LOAD: on_button, FORCE: on_button, CANCEL: on_button}),
        on_document,
        "yaml",
        "yml",
    )


CONVERSATION = preview_flow(FLOW, "conv.flow_event_file", "evf.cancelled")
