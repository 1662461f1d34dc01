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
from telegram.ext import BaseHandler

from bot import callbacks, replies
from bot.context import MultaqaContext, Services
from bot.conversation import Flow, conversations
from bot.documents.owners import find_people
from bot.documents.rec_import import guess_language
from bot.i18n import Markup, Translator, unmarked
from bot.labels import region_label
from bot.views.paging import Entry, cut, paged, utf16_len
from handlers import recommendations
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from handlers.proposals import notify_author, status_text, theme_label, themes
from handlers.recommendations import FLOW, REC_TEXT_LIMIT, RV
from storage.drafts import Draft
from storage.proposals import Proposal, ProposalStatus, ProposalWithdrawn

log = logging.getLogger(__name__)

PREFIX = "rv"
ALL = "*"  # the queue of every theme
_theme = callbacks.Code("theme", also=(ALL,))  # a workshop id, "general", or ALL
_order = callbacks.OneOf("order", ("n", "o"))  # newest or oldest first
MENU = RV.button("menu", callbacks.PageNo())
SHOW = RV.button("show", _theme, _order, callbacks.Number("at"))  # at: a proposal id, 0: first
ACCEPT = RV.button("acc", callbacks.Id("proposal"), _theme, _order)
REJECT = RV.button("rej", callbacks.Id("proposal"))
TAG = RV.button("tag", callbacks.Id("proposal"))
MERGE = RV.button("merge", callbacks.Id("proposal"), callbacks.PageNo())
INTO = RV.button("into", callbacks.Id("recommendation"), callbacks.Id("proposal"))
NEW_REC = RV.button("newrec", callbacks.Id("proposal"))
OWNER = RV.button("owner", callbacks.Id("participant"))
NO_OWNER = RV.button("noowner")
NO_DUE = RV.button("nodue")
NO_NOTE = RV.button("nonote")
CANCEL = RV.button("cancel")  # leave the question (a note, a tag, a new recommendation)
CARD_LIMIT = 4096  # Telegram's limit for a message, in UTF-16 units


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


async def _menu(update: Update, context: MultaqaContext, page: int = 0) -> None:
    services, t = context.services, context.who.t
    counts = await services.proposals.counts_by_theme()
    entries = []
    for code, label in await themes(services, t):
        new, total = counts.get(code, (0, 0))
        entries.append(
            Entry("", [[(t("rv.theme", theme=label, new=new, total=total), SHOW(code, "n", 0))]])
        )
    view = paged(
        entries, page, MENU, header=t("rv.menu"), extra_rows=[[(t("rv.all"), SHOW(ALL, "n", 0))]]
    )
    await reply(update, context, view.text, inline(view.rows))


async def _queue(services: Services, t: Translator, theme: str, order: str) -> list[int]:
    return await services.proposals.queue(
        None if theme == ALL else theme, newest_first=order == "n"
    )


def _position(ids: list[int], at: int, order: str) -> int:
    """Where proposal `at` stands in the queue; if it left it, the one that came after it."""
    if at in ids:
        return ids.index(at)
    if at == 0:
        return 0
    after = [i for i, pid in enumerate(ids) if (pid < at if order == "n" else pid > at)]
    return after[0] if after else len(ids) - 1


async def _show(update: Update, context: MultaqaContext, theme: str, order: str, at: int) -> None:
    """One proposal with its files, and what can be done with it."""
    services, t = context.services, context.who.t
    if theme != ALL and theme not in {code for code, _ in await themes(services, t)}:
        await reply(update, context, t("rv.empty"), inline([[(t("rv.back_menu"), MENU(0))]]))
        return
    ids = await _queue(services, t, theme, order)
    if not ids:
        await reply(update, context, t("rv.empty"), inline([[(t("rv.back_menu"), MENU(0))]]))
        return
    position = _position(ids, at, order)
    proposal = await services.proposals.get(ids[position])
    assert proposal is not None
    chat_id = chat_id_of(update)
    for attachment in proposal.attachments:  # the author's own files, by Telegram file id
        await replies.queue(
            context.bot, replies.send_file(chat_id, attachment.kind, attachment.file_id)
        )
    author = await services.participants.get(proposal.author_id)
    nav = []
    if position > 0:
        nav.append(("◀️", SHOW(theme, order, ids[position - 1])))
    if position < len(ids) - 1:
        nav.append(("▶️", SHOW(theme, order, ids[position + 1])))
    rows = [nav] if nav else []
    rows += [
        [
            (t("rv.accept"), ACCEPT(proposal.id, theme, order)),
            (t("rv.reject"), REJECT(proposal.id)),
        ],
        [(t("rv.tag"), TAG(proposal.id)), (t("rv.merge"), MERGE(proposal.id, 0))],
        [
            (
                t("rv.order_oldest" if order == "n" else "rv.order_newest"),
                SHOW(theme, "o" if order == "n" else "n", 0),
            ),
            (t("rv.back_menu"), MENU(0)),
        ],
    ]

    def card(text: str) -> Markup:
        return t(
            "rv.card",
            ref=proposal.reference,
            position=position + 1,
            total=len(ids),
            theme=theme_label_,
            author=author.full_name if author else "—",
            region=region,
            text=text,
            status=status_text(t, proposal),
            tags=t.plain("common.list_separator").join(proposal.tags) or "—",
        )

    theme_label_ = await theme_label(services, t, proposal.theme)
    region = await region_label(services, t, author.region_code) if author else ""
    text = proposal.text or "📎"
    # The text counts as Telegram counts it (escapes do not); the rest as sent, which is more.
    room = CARD_LIMIT - utf16_len(card(""))
    if utf16_len(text) > room:  # cut, and the whole text as a file
        await replies.flush(context.bot_data)
        await context.bot.send_document(
            chat_id,
            proposal.text.encode("utf-8"),
            filename=unmarked(t.plain("rv.full_text_filename", ref=proposal.reference)),
            caption=t.plain("rv.full_text", ref=proposal.reference),
        )
        text = cut(text, room, t("rv.cut_marker"))
    await reply(update, context, card(text), inline(rows))


# ---------------------------------------------------------------- decisions


# The audit log's action of each decision (each has its catalogue key audit.<action>).
DECISION_ACTIONS = {
    "accepted": "proposal.accepted",
    "merged": "proposal.merged",
    "rejected": "proposal.rejected",
}


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
        DECISION_ACTIONS[status],
        proposal.reference,
        {"note": bool(note), "recommendation": rec_id},
    )
    updated = await services.proposals.get(proposal.id)
    if updated is not None:
        await notify_author(services, updated)
    return True


async def on_menu(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The themes with their counts (paged)."""
    await toast(update)
    await _menu(update, context, press["page"])


async def on_show(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ through the queue, or a theme chosen in the menu."""
    await toast(update)
    await _show(update, context, press["theme"], press["order"], press["at"])


async def _proposal(
    update: Update, context: MultaqaContext, press: callbacks.Press
) -> Proposal | None:
    proposal = await context.services.proposals.get(press["proposal"])
    if proposal is None:
        await callbacks.refuse(update, context, "no such proposal")
        return None
    await toast(update)
    return proposal


async def on_accept(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """✅ Accept, then the same card again with its new status."""
    proposal = await _proposal(update, context, press)
    if proposal is None:
        return
    if await _decide(update, context, proposal, "accepted"):
        await reply(update, context, context.who.t("rv.accepted", ref=proposal.reference))
    await _show(update, context, press["theme"], press["order"], proposal.id)


async def on_reject(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """➖ Not retained: ask for a note to the author (or none)."""
    proposal = await _proposal(update, context, press)
    if proposal is None:
        return
    draft = await conversations(context).start(update, context, FLOW, "note", {"pid": proposal.id})
    await ask(update, context, draft)


async def on_tag(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """🏷 Tag: ask for the tag."""
    proposal = await _proposal(update, context, press)
    if proposal is None:
        return
    draft = await conversations(context).start(update, context, FLOW, "tag", {"pid": proposal.id})
    await ask(update, context, draft)


async def on_merge(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Merge: a new recommendation, or one of the theme's (paged)."""
    proposal = await _proposal(update, context, press)
    if proposal is None:
        return
    services, t = context.services, context.who.t
    recs = await services.recommendations.all(
        None if proposal.theme == "general" else proposal.theme
    )
    entries = [
        Entry(
            "",
            [
                [
                    (
                        cut(t.plain("rv.rec_button", ref=r.reference, text=r.text), 60),
                        INTO(r.id, proposal.id),
                    )
                ]
            ],
        )
        for r in recs
        if r.status != "dropped"
    ]
    view = paged(
        entries,
        press["page"],
        lambda page: MERGE(proposal.id, page),
        header=t("rv.merge_where", ref=proposal.reference),
        extra_rows=[
            [(t("rv.new_rec"), NEW_REC(proposal.id))],
            # Back to this proposal's card (its theme's queue), or to the themes.
            [
                (t("common.back"), SHOW(proposal.theme, "n", proposal.id)),
                (t("rv.back_menu"), MENU(0)),
            ],
        ],
    )
    await reply(update, context, view.text, inline(view.rows))


async def on_into(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Merge into an existing recommendation."""
    services, who, t = context.services, context.who, context.who.t
    rec = await services.recommendations.get(press["recommendation"])
    merged_into = await services.proposals.get(press["proposal"])
    if rec is None or merged_into is None:
        await callbacks.refuse(update, context, "stale merge")
        return
    await toast(update)
    if not await services.recommendations.merge(rec.id, merged_into.id, who.user.id):
        await reply(update, context, t("rv.withdrawn", ref=merged_into.reference))
        return
    await _decide(update, context, merged_into, "merged", rec_id=rec.id)
    await reply(update, context, t("rv.merged", ref=merged_into.reference, rec=rec.reference))


async def on_new_rec(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """A new recommendation from this proposal: ask for its text."""
    proposal = await _proposal(update, context, press)
    if proposal is None:
        return
    draft = await conversations(context).start(
        update, context, FLOW, "rec_text", {"pid": proposal.id, "theme": proposal.theme}
    )
    await ask(update, context, draft)


async def on_owner(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """An owner picked among the people found."""
    await _take_owner(update, context, press["participant"])


async def on_skip(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """No owner / no due date / no note."""
    await toast(update)
    await drop_buttons(update)
    await _skip(update, context, press.action)


async def on_cancel(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """✖️ Cancel under a question of the review: leave it, nothing of it kept (as /cancel)."""
    draft = context.who.drafts.get(FLOW)
    if draft is None:
        await callbacks.stale(update, context, "review question gone")
        return
    await toast(update)
    await drop_buttons(update)
    await conversations(context).end(context, draft)
    await reply(update, context, context.who.t("conv.cancelled"))


# ---------------------------------------------------------------- typed answers


async def ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """The question of the current step (also for /resume)."""
    t = context.who.t
    skip = {"note": NO_NOTE, "rec_owner": NO_OWNER, "rec_due": NO_DUE}.get(draft.step)
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
    row = [(label, skip())] if skip else []
    await reply(update, context, text, inline([[*row, (t("common.cancel"), CANCEL())]]))


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
        found = await find_people(services.participants, text, limit=8)
        if not found:
            await reply(
                update, context, t("rv.owner_not_found"), inline([[(t("rv.skip"), NO_OWNER())]])
            )
        else:
            rows = [
                [
                    (
                        t.plain("rv.owner_choice", name=p.full_name[:40], unit=p.unit[:30]),
                        OWNER(p.user_id),
                    )
                ]
                for p in found
            ]
            rows.append([(t("rv.skip"), NO_OWNER())])
            await reply(update, context, t("rv.pick_owner"), inline(rows))
    elif draft.step == "rec_due":
        due = parse_due(text, await services.event.today())
        if due is None:
            await reply(
                update,
                context,
                t("rv.bad_due", **await services.event.date_examples()),
                inline([[(t("rv.skip"), NO_DUE())]]),
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
        await callbacks.stale(update, context, "review question gone")
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
        await callbacks.stale(update, context, "another review question")


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
    await services.followup.adopt_new([rec_id], who.user.id)
    services.kick_clock()
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
    return [
        (
            0,
            callbacks.route(
                RV,
                {
                    MENU: on_menu,
                    SHOW: on_show,
                    ACCEPT: on_accept,
                    REJECT: on_reject,
                    TAG: on_tag,
                    MERGE: on_merge,
                    INTO: on_into,
                    NEW_REC: on_new_rec,
                    OWNER: on_owner,
                    NO_OWNER: on_skip,
                    NO_DUE: on_skip,
                    NO_NOTE: on_skip,
                    CANCEL: on_cancel,
                    **recommendations.ROUTES,
                },
            ),
        ),
    ]


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=ask,
    title_key="conv.flow_review",
    cancelled_key="conv.cancelled",
    role="organizer",
    short_steps=frozenset({"note", "tag"}),
)
