"""The conversation manager's handlers: the router that gives a message to the person's active
flow, edited messages, /cancel and /resume, and the sweeper of expired drafts. The manager
itself (Flow, Conversations) is in bot.conversation; its design is explained there."""

from __future__ import annotations

import logging

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks
from bot.context import MultaqaContext, services_of
from bot.conversation import conversations
from handlers.common import reply

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


# ---------------------------------------------------------------- handlers


async def route(update: Update, context: MultaqaContext) -> None:
    """Group 1: a message goes to the person's active flow, and only to it."""
    if not context.has_who:
        return
    draft = context.who.active
    if draft is None:
        return  # no flow: the fallbacks answer
    manager = conversations(context)
    if not await manager.allowed(context, draft):
        return  # an undeclared flow's own handler (a later group) takes it, or the fallbacks
    flow = manager.flows[draft.flow]
    if manager.replayed(update, draft):
        await flow.ask(update, context, draft)
    elif await flow.on_message(update, context, draft) is False:
        return  # nothing to type at this step: the fallbacks answer (the flow stays)
    raise ApplicationHandlerStop


# Commands that act on the pending prompt itself rather than leave it.
_KEEP_PROMPT = frozenset({"cancel", "resume"})


def _command_of(update: Update) -> str | None:
    """The command a new message starts with (`/workshops@bot` → workshops), or None."""
    message = update.message
    text = message.text if message is not None else None
    if not text or not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else None


async def end_one_shot_prompt(update: Update, context: MultaqaContext) -> None:
    """Group -1: a command or a menu entry ends a pending one-shot prompt ("type the tag"),
    as starting a flow puts the current one aside: the sentence typed after /workshops is
    never taken as the tag asked for before it."""
    if not context.has_who:
        return
    draft = context.who.active
    if draft is None:
        return
    manager = conversations(context)
    flow = manager.flows.get(draft.flow)
    if flow is None or draft.step not in flow.short_steps:
        return
    query = update.callback_query
    command = _command_of(update)
    if (command is None or command in _KEEP_PROMPT) and not (
        query is not None and callbacks.is_menu_entry(query.data)
    ):
        return
    log.info("one-shot prompt %s/%s of user %s ended", draft.flow, draft.step, draft.user_id)
    await manager.end(context, draft)


async def on_edited(update: Update, context: MultaqaContext) -> None:
    """An edited message: the active flow may take it (it replaces what it edits); anything
    else gets a short answer. Never taken as new content, never run as a command again."""
    if context.has_who:
        draft = context.who.active
        manager = conversations(context)
        flow = manager.flows.get(draft.flow) if draft else None
        if (
            draft is not None
            and flow is not None
            and flow.on_edit is not None
            and await manager.allowed(context, draft)
            and await flow.on_edit(update, context, draft)
        ):
            raise ApplicationHandlerStop
        await reply(update, context, context.who.t("conv.edit_ignored"))
    raise ApplicationHandlerStop


async def cancel_command(update: Update, context: MultaqaContext) -> None:
    """/cancel: leave whatever flow the person is in; nothing of it is kept."""
    who = context.who
    draft = who.active
    manager = conversations(context)
    if draft is None:
        await reply(update, context, who.t("common.nothing_to_cancel"), ReplyKeyboardRemove())
        return
    await manager.end(context, draft)
    flow = manager.flows.get(draft.flow)
    key = flow.key(flow.cancelled_key, draft) if flow else "conv.cancelled"
    await reply(update, context, who.t(key), ReplyKeyboardRemove())


async def resume_command(update: Update, context: MultaqaContext) -> None:
    """/resume: take back the flow most recently put aside, at the step it was at."""
    who = context.who
    manager = conversations(context)
    aside = next((d for d in who.drafts.values() if not d.active and d.flow in manager.flows), None)
    if aside is None:
        active = who.active
        if active is not None and active.flow in manager.flows:
            await manager.flows[active.flow].ask(update, context, active)
            return
        await reply(update, context, who.t("conv.nothing_to_resume"))
        return
    if not await manager.allowed(context, aside):
        await reply(update, context, who.t("conv.nothing_to_resume"))
        return
    await manager.save(update, context, aside)
    await manager.flows[aside.flow].ask(update, context, aside)


async def _sweep(context: MultaqaContext) -> None:
    swept = await context.services.drafts.sweep()
    if swept:
        log.info("%d expired draft(s) removed", swept)


def start_sweeper(application: Application) -> None:  # type: ignore[type-arg]
    """Remove expired drafts regularly (reads ignore them anyway; this keeps the table
    small and leaves nothing of an abandoned flow behind)."""
    queue = application.job_queue
    if queue is None:
        log.warning("no job queue: expired drafts are only removed when read")
        return
    services_of(application)  # fail early if the services are missing
    queue.run_repeating(_sweep, interval=SWEEP_SECONDS, first=SWEEP_SECONDS, name="drafts")


def handlers() -> list[tuple[int, BaseHandler]]:
    """Registered first (see bot.app): edits are stopped before any command sees them."""
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE
    return [
        (-1, TypeHandler(Update, end_one_shot_prompt)),
        (0, MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_edited)),
        (0, CommandHandler("cancel", cancel_command, filters=private & new)),
        (0, CommandHandler("resume", resume_command, filters=private & new)),
        (1, MessageHandler(private & new & ~filters.COMMAND & ~filters.StatusUpdate.ALL, route)),
    ]
