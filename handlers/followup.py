"""Delegates answer follow-up prompts in the chat: /tasks lists their recommendations;
a status button (Not started / In progress / Done / Blocked) starts a short flow — a
percentage for In progress, what blocks for Blocked — then a comment or evidence (text,
voice, photo, document) or Skip, then a confirmation of what was recorded. The answer is
recorded once even if Telegram delivers the final press twice (keyed by update id)."""

from __future__ import annotations

import logging

from markupsafe import Markup
from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext
from bot.conversation import Flow, conversations
from bot.followup import buttons as B
from bot.followup.service import (
    STATUS_ICONS,
    rec_button_label,
    status_label,
)
from handlers.common import drop_buttons, file_of, inline, reply, toast
from storage.drafts import Draft
from storage.followup import Evidence, Tracked

log = logging.getLogger(__name__)

FLOW = "followup"
PAGE_SIZE = 8
COMMENT_LIMIT = 2000
EVIDENCE_LIMIT = 5


def _b(action: str, *args: object) -> str:
    return B.FU.buttons[action](*args)


async def _own_open(context: MultaqaContext, rec_id: int) -> Tracked | None:
    """The pressed recommendation if the person owns it (None otherwise)."""
    rec = await context.services.followup.repo.get(rec_id)
    if rec is None or rec.owner_id != context.who.user.id:
        return None
    return rec


async def tasks_text(context: MultaqaContext, page: int) -> tuple[str, list]:
    """The person's recommendations, one page, with a button to open each."""
    services = context.services
    t = context.who.t
    recs = await services.followup.repo.of_owner(context.who.user.id)
    if not recs:
        return t("fu.tasks.none"), []
    zone = await services.followup.zone()
    pages = (len(recs) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = recs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [t.plural("fu.tasks.header", len(recs))]
    for rec in shown:
        lines.append(
            t(
                "fu.tasks.line",
                icon=STATUS_ICONS[rec.status],
                ref=rec.reference,
                text=rec.text if len(rec.text) <= 160 else rec.text[:159] + "…",
                status=t(f"rec.{rec.status}"),
                progress=rec.progress,
                due=services.followup.due_text(t, rec.due_date, zone),
                updated=t.date(rec.updated_at, zone, "short"),
            )
        )
    rows = [[(rec_button_label(t, rec), _b("o", rec.id))] for rec in shown if rec.is_open]
    if pages > 1:
        lines.append(t("fu.page", page=page + 1, pages=pages))
        nav = []
        if page > 0:
            nav.append((t("fu.prev"), _b("t", page - 1)))
        if page < pages - 1:
            nav.append((t("fu.next"), _b("t", page + 1)))
        rows.append(nav)
    return Markup("\n\n").join(lines), rows


async def tasks_command(update: Update, context: MultaqaContext) -> None:
    """/tasks: my recommendations."""
    text, rows = await tasks_text(context, 0)
    await reply(update, context, text, inline(rows) if rows else None)


async def _open(update: Update, context: MultaqaContext, rec: Tracked) -> None:
    t = context.who.t
    services = context.services
    text = Markup("\n\n").join([await services.followup.card(t, rec), t("fu.prompt_how")])
    # Rows in logical order: inline() lays them out once for the reader's direction.
    markup = inline([*services.followup.status_rows(t, rec), [(t("fu.btn.tasks"), _b("t", 0))]])
    await reply(update, context, text, markup)


def _comment_buttons(context: MultaqaContext, rec_id: int, started: bool) -> object:
    t = context.who.t
    first = (t("fu.btn.save"), _b("v", rec_id)) if started else (t("fu.btn.skip"), _b("v", rec_id))
    return inline([[first], [(t("common.back"), _b("o", rec_id))]])


async def _ask_comment(update: Update, context: MultaqaContext, draft: Draft) -> None:
    draft.step = "comment"
    await conversations(context).save(update, context, draft)
    await reply(
        update,
        context,
        context.who.t("fu.ask_comment"),
        _comment_buttons(context, draft.data["rec"], bool(draft.data.get("evidence"))),
    )


def _progress_buttons(context: MultaqaContext, rec_id: int) -> object:
    t = context.who.t
    rows = [[(t.plain("fu.percent", n=n), _b("p", rec_id, n)) for n in (25, 50, 75)]]
    rows.append([(t("common.back"), _b("o", rec_id))])
    return inline(rows)


async def ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """The question of the current step again (/resume, a replayed update)."""
    t = context.who.t
    rec_id = draft.data["rec"]
    rec = await context.services.followup.repo.get(rec_id)
    ref = rec.reference if rec else f"R-{rec_id}"
    if draft.step == "progress":
        await reply(
            update, context, t("fu.ask_progress", ref=ref), _progress_buttons(context, rec_id)
        )
    elif draft.step == "blocker":
        await reply(
            update,
            context,
            t("fu.ask_blocker", ref=ref),
            inline([[(t("common.back"), _b("o", rec_id))]]),
        )
    else:
        await reply(
            update,
            context,
            t("fu.ask_comment"),
            _comment_buttons(
                context, rec_id, bool(draft.data.get("evidence") or draft.data.get("comment"))
            ),
        )


async def on_button(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """My tasks (paged), open one, a status, a percentage, save."""
    who = context.who
    t = who.t
    if press.button is B.TASKS:
        page = press["page"]
        await toast(update)
        await drop_buttons(update)
        text, rows = await tasks_text(context, page)
        await reply(update, context, text, inline(rows) if rows else None)
        return
    rec = await _own_open(context, press["rec"])
    if rec is None:
        log.warning("follow-up button for a recommendation not theirs (user %s)", who.user.id)
        await toast(update, t("fu.not_yours"))
        return
    if rec.status == "dropped":
        await toast(update, t("fu.closed"))
        return
    await toast(update)
    await drop_buttons(update)
    if press.action == "o":
        current = who.drafts.get(FLOW)
        if current is not None:
            await conversations(context).end(context, current)
        await _open(update, context, rec)
        return
    if press.action == "s":
        status = B.STATUS_CODES[press["status"]]
        draft = Draft(who.user.id, FLOW, "", {"rec": rec.id, "status": status})
        if status == "in_progress":
            draft.step = "progress"
            await conversations(context).save(update, context, draft)
            await reply(
                update,
                context,
                t("fu.ask_progress", ref=rec.reference),
                _progress_buttons(context, rec.id),
            )
        elif status == "blocked":
            draft.step = "blocker"
            await conversations(context).save(update, context, draft)
            await reply(
                update,
                context,
                t("fu.ask_blocker", ref=rec.reference),
                inline([[(t("common.back"), _b("o", rec.id))]]),
            )
        else:
            await _ask_comment(update, context, draft)
        return
    draft = who.drafts.get(FLOW)
    if draft is None or draft.data.get("rec") != rec.id:
        await callbacks.stale(update, context, "no status being given")
        return
    if press.action == "p":
        if draft.step != "progress":
            await callbacks.stale(update, context, "progress already given")
            return
        draft.data["progress"] = int(press["pct"])
        await _ask_comment(update, context, draft)
        return
    if draft.step != "comment":  # save
        await callbacks.stale(update, context, "nothing to save")
        return
    await _save(update, context, draft, rec)


async def _save(update: Update, context: MultaqaContext, draft: Draft, rec: Tracked) -> None:
    services = context.services
    t = context.who.t
    data = draft.data
    comment = "\n\n".join(part for part in (data.get("blocker"), data.get("comment")) if part)
    evidence = [Evidence(*item) for item in data.get("evidence", [])]
    recorded = await services.followup.record(
        rec.id,
        context.who.user.id,
        data["status"],
        data.get("progress"),
        comment or None,
        evidence,
        update.update_id,
    )
    await conversations(context).end(context, draft)
    if recorded is None:
        await reply(update, context, t("fu.not_yours"))
        return
    if recorded.to_status == "blocked":
        services.kick_clock()  # the organizers are told now
    lines = [
        t(
            "fu.recorded",
            ref=rec.reference,
            status=status_label(t, recorded.to_status or ""),
            progress=recorded.progress or 0,
        )
    ]
    if recorded.comment:
        lines.append(t("fu.recorded_comment", comment=recorded.comment))
    if recorded.evidence:
        lines.append(t.plural("fu.recorded_files", len(recorded.evidence)))
    await reply(
        update, context, Markup("\n").join(lines), inline([[(t("fu.btn.tasks"), _b("t", 0))]])
    )


def _evidence_of(message: Message) -> Evidence | None:
    found = file_of(message)
    return Evidence(*found) if found else None


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> bool | None:
    """A typed percentage, what blocks, or a comment/evidence (the manager's router)."""
    t = context.who.t
    message = update.effective_message
    assert message is not None
    rec_id = draft.data.get("rec")
    text = (message.text or message.caption or "").strip()
    if draft.step == "progress":
        if text.isdigit() and 0 <= int(text) <= 100:
            draft.data["progress"] = int(text)
            await _ask_comment(update, context, draft)
        else:
            await reply(update, context, t("fu.progress_invalid"))
        return None
    evidence = _evidence_of(message)
    if evidence is None and not message.text:
        await reply(update, context, t("fu.unsupported"))
        return None
    if draft.step == "blocker":
        draft.data["blocker"] = text[:COMMENT_LIMIT]
        if evidence is not None:
            item = [evidence.kind, evidence.file_id, evidence.file_name]
            draft.data.setdefault("evidence", []).append(item)
        await _ask_comment(update, context, draft)
        return None
    if draft.step != "comment":
        return False
    files = draft.data.setdefault("evidence", [])
    if evidence is not None:
        if len(files) >= EVIDENCE_LIMIT:
            await reply(
                update, context, t("fu.too_many_files"), _comment_buttons(context, rec_id, True)
            )
            return None
        files.append([evidence.kind, evidence.file_id, evidence.file_name])
    if text:
        joined = "\n\n".join(p for p in (draft.data.get("comment"), text) if p)
        draft.data["comment"] = joined[:COMMENT_LIMIT]
    await conversations(context).save(update, context, draft)
    await reply(update, context, t("fu.received"), _comment_buttons(context, rec_id, True))
    return None


async def digest_button(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The "You said, we did" digest, off or on again."""
    t = context.who.t
    if context.who.participant is None:
        await callbacks.refuse(update, context, "not registered")
        return
    off = press.button is B.DIGEST_OFF
    await context.services.followup.repo.set_digest_opt_out(context.who.user.id, off)
    await toast(update)
    await drop_buttons(update)
    other = (B.DIGEST_ON if off else B.DIGEST_OFF)()
    await reply(
        update,
        context,
        t("fu.digest.off_done" if off else "fu.digest.on_done"),
        inline([[(t("fu.digest.on" if off else "fu.digest.off"), other)]]),
    )


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=ask,
    title_key="conv.flow_followup",
    cancelled_key="fu.cancelled",
    role="delegate",
    file_steps=frozenset({"blocker", "comment"}),
)


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow (its typed answers come through the conversation router)."""
    private = filters.ChatType.PRIVATE
    return [
        (0, CommandHandler("tasks", tasks_command, filters=private)),
        (0, callbacks.route(B.FU, dict.fromkeys(B.FU.buttons.values(), on_button))),
        (0, callbacks.route(B.DG, dict.fromkeys(B.DG.buttons.values(), digest_button))),
    ]
