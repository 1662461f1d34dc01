"""Organizers review proposals (one at a time, per workshop, newest or oldest first) and turn
them into recommendations with an owner and a due date. The role is checked on every button
and message; every decision is audited; authors are told in their language.

Typed answers (a note, a tag, a recommendation's text, owner and due date) are steps of the
"review" flow of the conversation manager (bot.conversation). "Send the note" and "send
the tag" are one-shot prompts: they expire after PROMPT_EXPIRY_MINUTES, so an organizer who
walked away is not caught by them later, and a tag must look like one (one short line)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.conversation import Flow, conversations
from bot.documents.rec_import import guess_language
from bot.i18n import Translator
from bot.labels import region_label
from handlers import recommendations
from handlers.common import chat_id_of, drop_buttons, inline, is_organizer, reply, toast
from handlers.proposals import notify_author, status_text, theme_label, themes
from handlers.recommendations import FLOW, REC_TEXT_LIMIT
from storage.drafts import Draft
from storage.proposals import Proposal, ProposalStatus, ProposalWithdrawn

log = logging.getLogger(__name__)

PREFIX = "rv"


def _b(action: str, *args: object) -> str:
    return callbacks.encode(PREFIX, action, *args)


def parse_due(text: str, today: date) -> date | None:
    """YYYY-MM-DD or DD/MM/YYYY, not in the past."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            due = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        return due if due >= today else None
    return None


# ---------------------------------------------------------------- the queue


async def _menu(update: Update, context: MultaqaContext) -> None:
    services, t = context.services, context.who.t
    counts = await services.proposals.counts_by_theme()
    rows = []
    for index, (code, label) in enumerate(await themes(services, t)):
        new, total = counts.get(code, (0, 0))
        rows.append([(t("rv.theme", theme=label, new=new, total=total), _b("q", index, "n"))])
    rows.append([(t("rv.all"), _b("q", "a", "n"))])
    await reply(update, context, t("rv.menu"), inline(rows))


async def _queue(services: Services, t: Translator, theme_index: str, order: str) -> list[int]:
    options = [code for code, _ in await themes(services, t)]
    theme = None if theme_index == "a" else options[int(theme_index)]
    return await services.proposals.queue(theme, newest_first=order == "n")


async def _show(
    update: Update, context: MultaqaContext, theme_index: str, order: str, position: int
) -> None:
    """One proposal with its files, and what can be done with it."""
    services, t = context.services, context.who.t
    ids = await _queue(services, t, theme_index, order)
    if not ids:
        await reply(update, context, t("rv.empty"), inline([[(t("rv.back_menu"), _b("menu"))]]))
        return
    position = max(0, min(position, len(ids) - 1))
    proposal = await services.proposals.get(ids[position])
    assert proposal is not None
    chat_id = chat_id_of(update)
    for attachment in proposal.attachments:  # the author's own files, by Telegram file id
        send = {
            "photo": context.bot.send_photo,
            "voice": context.bot.send_voice,
            "audio": context.bot.send_audio,
            "video": context.bot.send_video,
        }.get(attachment.kind, context.bot.send_document)
        await send(chat_id, attachment.file_id)
    author = await services.participants.get(proposal.author_id)
    nav = []
    if position > 0:
        nav.append(("◀️", _b("show", theme_index, order, position - 1)))
    if position < len(ids) - 1:
        nav.append(("▶️", _b("show", theme_index, order, position + 1)))
    where = (theme_index, order, position)
    rows = [nav] if nav else []
    rows += [
        [
            (t("rv.accept"), _b("acc", proposal.id, *where)),
            (t("rv.reject"), _b("rej", proposal.id)),
        ],
        [(t("rv.tag"), _b("tag", proposal.id)), (t("rv.merge"), _b("merge", proposal.id))],
        [
            (
                t("rv.order_oldest" if order == "n" else "rv.order_newest"),
                _b("show", theme_index, "o" if order == "n" else "n", 0),
            ),
            (t("rv.back_menu"), _b("menu")),
        ],
    ]
    await reply(
        update,
        context,
        t(
            "rv.card",
            ref=proposal.reference,
            position=position + 1,
            total=len(ids),
            theme=await theme_label(services, t, proposal.theme),
            author=author.full_name if author else "—",
            region=await region_label(services, t, author.region_code) if author else "",
            text=proposal.text or "📎",
            status=status_text(t, proposal),
            tags=t.plain("common.list_separator").join(proposal.tags) or "—",
        ),
        inline(rows),
    )


# ---------------------------------------------------------------- decisions


async def _decide(
    update: Update,
    context: MultaqaContext,
    proposal: Proposal,
    status: ProposalStatus,
    note: str | None = None,
    rec_id: int | None = None,
) -> bool:
    """Record the decision, audit it and tell the author; False (and the organizer told)
    when the author withdrew the proposal meanwhile."""
    services, who = context.services, context.who
    if not await services.proposals.review(proposal.id, status, who.user.id, note, rec_id):
        await reply(update, context, who.t("rv.withdrawn", ref=proposal.reference))
        return False
    await services.audit.record(
        who.user.id,
        f"proposal.{status}",
        proposal.reference,
        {"note": bool(note), "recommendation": rec_id},
    )
    updated = await services.proposals.get(proposal.id)
    if updated is not None:
        await notify_author(services, updated)
    return True


async def on_button(update: Update, context: MultaqaContext) -> None:
    """Every rv: button; forged or stale ones do nothing but say so (and are logged)."""
    who = context.who
    query = update.callback_query
    press = callbacks.decode(query.data if query else None, PREFIX)
    if press is None or not await is_organizer(context):
        log.warning("review button refused for user %s", who.user.id)
        await toast(update, who.t("common.invalid_button"))
        return
    try:
        await _dispatch(update, context, press)
    except (ValueError, IndexError):  # numbers that do not parse or point nowhere
        log.warning("malformed review button from user %s", who.user.id)
        await toast(update, who.t("common.invalid_button"))


async def _dispatch(update: Update, context: MultaqaContext, press: callbacks.Callback) -> None:
    services, who, t = context.services, context.who, context.who.t
    a = press.args
    if press.action == "menu":
        await toast(update)
        await _menu(update, context)
        return
    if press.action == "recs":
        await toast(update)
        await recommendations.listing(update, context)
        return
    if press.action in ("q", "show"):
        await toast(update)
        await _show(update, context, a[0], a[1], int(a[2]) if len(a) > 2 else 0)
        return
    if await recommendations.on_action(update, context, press):
        return
    if press.action == "owner":
        await _take_owner(update, context, int(a[0]))
        return
    if press.action in ("noowner", "nodue", "nonote"):
        await toast(update)
        await drop_buttons(update)
        await _skip(update, context, press.action)
        return
    proposal = await services.proposals.get(int(a[0]))
    if proposal is None:
        raise ValueError("no such proposal")
    await toast(update)
    if press.action == "acc":
        if await _decide(update, context, proposal, "accepted"):
            await reply(update, context, t("rv.accepted", ref=proposal.reference))
        await _show(update, context, a[1], a[2], int(a[3]))
    elif press.action in ("rej", "tag"):
        step = "note" if press.action == "rej" else "tag"
        draft = await conversations(context).start(
            update, context, FLOW, step, {"pid": proposal.id}
        )
        await ask(update, context, draft)
    elif press.action == "merge":
        recs = await services.recommendations.all(
            None if proposal.theme == "general" else proposal.theme
        )
        rows = [[(t("rv.new_rec"), _b("newrec", proposal.id))]]
        rows += [
            [
                (
                    t.plain("rv.rec_button", ref=r.reference, text=r.text[:40]),
                    _b("into", r.id, proposal.id),
                )
            ]
            for r in recs
            if r.status != "dropped"
        ][:10]
        await reply(update, context, t("rv.merge_where", ref=proposal.reference), inline(rows))
    elif press.action == "into":
        rec = await services.recommendations.get(int(a[0]))
        merged_into = await services.proposals.get(int(a[1]))
        if rec is None or merged_into is None:
            raise ValueError("stale merge")
        if not await services.recommendations.merge(rec.id, merged_into.id, who.user.id):
            await reply(update, context, t("rv.withdrawn", ref=merged_into.reference))
            return
        await _decide(update, context, merged_into, "merged", rec_id=rec.id)
        await reply(
            update,
            context,
            t("rv.merged", ref=merged_into.reference, rec=rec.reference),
        )
    elif press.action == "newrec":
        draft = await conversations(context).start(
            update, context, FLOW, "rec_text", {"pid": proposal.id, "theme": proposal.theme}
        )
        await ask(update, context, draft)
    else:
        raise ValueError("unknown action")


# ---------------------------------------------------------------- typed answers


async def ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """The question of the current step (also for /resume)."""
    t = context.who.t
    skip = {"note": "nonote", "rec_owner": "noowner", "rec_due": "nodue"}.get(draft.step)
    if "rid" in draft.data:
        skip = None  # editing a recommendation: nothing to skip
    text = {
        "note": t("rv.ask_note"),
        "tag": t("rv.ask_tag"),
        "rec_text": t("rv.ask_rec_text", limit=t.plural("count.characters", REC_TEXT_LIMIT)),
        "rec_owner": t("rv.ask_owner"),
        "rec_due": t("rv.ask_due", **await context.services.event.date_examples()),
    }[draft.step]
    label = t("rv.no_note") if draft.step == "note" else t("rv.skip")
    await reply(update, context, text, inline([[(label, _b(skip))]]) if skip else None)


TAG_LIMIT = 30


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """A note, a tag, a recommendation's text, its owner search or due date (from the
    conversation router, which checked the role)."""
    services, who = context.services, context.who
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    t = who.t
    if not text:
        await reply(update, context, t("reg.need_text"))
        return
    if draft.step == "note":
        proposal = await services.proposals.get(draft.data["pid"])
        await conversations(context).end(context, draft)
        if proposal is not None and await _decide(
            update, context, proposal, "rejected", note=text[:500]
        ):
            await reply(update, context, t("rv.rejected", ref=proposal.reference))
    elif draft.step == "tag":
        if len(text) > TAG_LIMIT or "\n" in text:  # not a tag: maybe not meant as one
            await reply(
                update, context, t("rv.bad_tag", limit=t.plural("count.characters", TAG_LIMIT))
            )
            return
        tags = await services.proposals.tag(draft.data["pid"], text)
        await conversations(context).end(context, draft)
        await services.audit.record(
            who.user.id, "proposal.tag", f"P-{draft.data['pid']:04d}", {"tag": text}
        )
        await reply(
            update, context, t("rv.tagged", tags=t.plain("common.list_separator").join(tags))
        )
    elif draft.step == "rec_text":
        if len(text) > REC_TEXT_LIMIT:
            await reply(
                update,
                context,
                t("rv.rec_too_long", limit=t.plural("count.characters", REC_TEXT_LIMIT)),
            )
            return
        if "rid" in draft.data:
            await recommendations.edit(update, context, draft, text=text)
            return
        draft.data["text"], draft.step = text, "rec_owner"
        await conversations(context).save(update, context, draft)
        await ask(update, context, draft)
    elif draft.step == "rec_owner":
        found = await services.participants.find(text, limit=8)
        if not found:
            await reply(
                update, context, t("rv.owner_not_found"), inline([[(t("rv.skip"), _b("noowner"))]])
            )
        else:
            rows = [[(f"{p.full_name} · {p.unit}"[:60], _b("owner", p.user_id))] for p in found]
            rows.append([(t("rv.skip"), _b("noowner"))])
            await reply(update, context, t("rv.pick_owner"), inline(rows))
    elif draft.step == "rec_due":
        due = parse_due(text, await services.event.today())
        if due is None:
            await reply(
                update,
                context,
                t("rv.bad_due", **await services.event.date_examples()),
                inline([[(t("rv.skip"), _b("nodue"))]]),
            )
        elif "rid" in draft.data:
            await recommendations.edit(update, context, draft, due=due)
        else:
            await _create_recommendation(update, context, draft, due)


async def _take_owner(update: Update, context: MultaqaContext, user_id: int) -> None:
    services, t = context.services, context.who.t
    draft = context.who.drafts.get(FLOW)
    if (
        draft is None
        or draft.step != "rec_owner"
        or await services.participants.get(user_id) is None
    ):
        await toast(update, t("common.stale_button"))
        return
    await toast(update)
    await drop_buttons(update)
    if "rid" in draft.data:
        await recommendations.edit(update, context, draft, owner=user_id)
        return
    draft.data["owner"], draft.step = user_id, "rec_due"
    await conversations(context).save(update, context, draft)
    await ask(update, context, draft)


async def _skip(update: Update, context: MultaqaContext, action: str) -> None:
    services, t = context.services, context.who.t
    draft = context.who.drafts.get(FLOW)
    if draft is None:
        await reply(update, context, t("common.stale_button"))
        return
    if action == "nonote" and draft.step == "note":
        proposal = await services.proposals.get(draft.data["pid"])
        await conversations(context).end(context, draft)
        if proposal is not None and await _decide(update, context, proposal, "rejected"):
            await reply(update, context, t("rv.rejected", ref=proposal.reference))
    elif action == "noowner" and draft.step == "rec_owner":
        draft.data["owner"], draft.step = None, "rec_due"
        await conversations(context).save(update, context, draft)
        await ask(update, context, draft)
    elif action == "nodue" and draft.step == "rec_due":
        await _create_recommendation(update, context, draft, None)
    else:
        await reply(update, context, t("common.stale_button"))


async def _create_recommendation(
    update: Update, context: MultaqaContext, draft: Draft, due: date | None
) -> None:
    services, who, t = context.services, context.who, context.who.t
    theme = draft.data["theme"]
    try:
        rec_id = await services.recommendations.create(
            None if theme == "general" else theme,
            draft.data["text"],
            guess_language(draft.data["text"]),
            draft.data.get("owner"),
            due,
            who.user.id,
            sources=[draft.data["pid"]],
        )
    except ProposalWithdrawn:  # nothing was created
        await conversations(context).end(context, draft)
        await reply(update, context, t("rv.withdrawn", ref=f"P-{draft.data['pid']:04d}"))
        return
    await conversations(context).end(context, draft)
    await services.audit.record(
        who.user.id,
        "recommendation.create",
        f"R-{rec_id}",
        {"source": draft.data["pid"], "owner": draft.data.get("owner")},
    )
    proposal = await services.proposals.get(draft.data["pid"])
    if proposal is not None:
        await notify_author(services, proposal)
    rec = await services.recommendations.get(rec_id)
    assert rec is not None
    await reply(
        update,
        context,
        t("rv.rec_created") + "\n" + await recommendations.recommendation_line(services, t, rec),
    )


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups (typed answers come through the router)."""
    return [(0, CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:"))]


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=ask,
    title_key="conv.flow_review",
    cancelled_key="conv.cancelled",
    role="organizer",
    short_steps=frozenset({"note", "tag"}),
)
