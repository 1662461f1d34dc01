"""Proposals "from where they stand": /propose (theme, then text, voice notes, photos,
documents, then Done), any message outside a flow offered as a proposal, and /mine (status,
withdraw while new). A flood guard limits proposals per hour.

The draft is a flow of the conversation manager (bot.conversation). Each message kept
while writing is one part, remembered with its message id: an edited part replaces that part
(never appended again). The "keep it as a proposal?" offer is a one-shot prompt: it expires
quickly, so a later message is offered on its own."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    filters,
)

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.conversation import Flow, conversations
from bot.event.service import localized_text as localized
from bot.i18n import Markup, Translator
from bot.views.paging import Entry, paged
from handlers.common import drop_buttons, file_of, inline, reply, show, toast
from storage.drafts import Draft
from storage.event import PlannedPrompt
from storage.proposals import Attachment, Proposal

log = logging.getLogger(__name__)

FLOW = "proposal"
PREFIX = "pr"
TEXT_LIMIT = 3000
ATTACHMENT_LIMIT = 5
PREVIEW = 120


PR = callbacks.Prefix(PREFIX)
THEME = PR.button("theme", callbacks.Code("theme"))  # a workshop id, or "general"
KEEP_AS = PR.button("keep", callbacks.Code("theme"))
DONE = PR.button("done")
CANCEL = PR.button("cancel")
WITHDRAW = PR.button("wd", callbacks.Id("proposal"))
WITHDRAW_YES = PR.button("wdyes", callbacks.Id("proposal"))
MINE_PAGE = PR.button("mine", callbacks.PageNo())
THEMES_PAGE = PR.button("themes", callbacks.OneOf("step", ("theme", "capture")), callbacks.PageNo())


async def themes(services: Services, t: Translator) -> list[tuple[str, str]]:
    """(theme code, label): the workshops, then "general"."""
    event = await services.event.current()
    found = [(w.id, localized(dict(w.title), t)) for w in (event.workshops if event else [])]
    return [*found, ("general", t("pr.general"))]


async def theme_label(services: Services, t: Translator, theme: str) -> str:
    """A theme's label in a language."""
    return dict(await themes(services, t)).get(theme, theme)


def _attachment_of(message: Message) -> Attachment | None:
    found = file_of(message)
    return Attachment(*found) if found else None  # type: ignore[arg-type]


def _content(message: Message) -> tuple[str, Attachment | None] | None:
    """The text (or caption) and the file of a message; None for kinds we do not take."""
    attachment = _attachment_of(message)
    text = (message.text or message.caption or "").strip()
    if attachment is None and not message.text:
        return None
    return text, attachment


async def _flooded(update: Update, context: MultaqaContext) -> bool:
    """True (and the person told) when they reached the hourly limit."""
    services = context.services
    limit = services.settings.proposals_per_hour
    if await services.proposals.count_since(context.who.user.id, 1) >= limit:
        await reply(
            update,
            context,
            context.who.t("pr.flood", n=context.who.t.plural("count.proposals", limit)),
        )
        return True
    return False


async def _theme_question(
    update: Update, context: MultaqaContext, step: str, page: int = 0
) -> None:
    """Which theme? — for /propose (step "theme") or a message kept (step "capture"); the
    themes are the workshops, so the buttons come in pages."""
    t = context.who.t
    button = THEME if step == "theme" else KEEP_AS
    entries = [
        Entry("", [[(label, button(code))]]) for code, label in await themes(context.services, t)
    ]
    view = paged(
        entries,
        page,
        lambda n: THEMES_PAGE(step, n),
        header=t("pr.ask_theme" if step == "theme" else "pr.capture"),
        extra_rows=[[(t("bc.cancel" if step == "theme" else "pr.no_thanks"), CANCEL())]],
    )
    await show(update, context, view.text, inline(view.rows))


async def on_themes_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ through the themes, while the question is still open."""
    draft = context.who.drafts.get(FLOW)
    if draft is None or draft.step != press["step"]:
        await callbacks.stale(update, context, "themes page")
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update)
    await _theme_question(update, context, draft.step, press["page"])


async def propose_command(update: Update, context: MultaqaContext) -> None:
    """/propose: choose the theme first."""
    who = context.who
    if who.participant is None:
        await reply(update, context, who.t("ws.register_first"))
        return
    if await _flooded(update, context):
        return
    draft = await conversations(context).start(update, context, FLOW, "theme", {})
    await _ask(update, context, draft)


async def _ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """The current step again (/resume, a replayed update)."""
    if draft.step in ("theme", "capture"):
        await _theme_question(update, context, draft.step)
    else:
        await show(
            update, context, _status_line(context.who.t, draft), _done_buttons(context.who.t)
        )


def _status_line(t: Translator, draft: Draft) -> Markup:
    return t(
        "pr.collected",
        chars=len(draft.data.get("text", "")),
        limit=t.plural("count.characters", TEXT_LIMIT),
        files=len(draft.data.get("files", [])),
        max_files=t.plural("count.files", ATTACHMENT_LIMIT),
    )


def _done_buttons(t: Translator) -> object:
    return inline([[(t("pr.done"), DONE())], [(t("bc.cancel"), CANCEL())]])


def _joined(parts: list[list]) -> str:
    return "\n\n".join(text for _, text in parts if text).strip()


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """A message while a proposal is being written (from the conversation router)."""
    t = context.who.t
    message = update.effective_message
    assert message is not None
    if draft.step == "theme":
        await reply(update, context, t("reg.use_buttons"))
        await _ask(update, context, draft)
        return
    content = _content(message)
    if content is None:
        await reply(update, context, t("pr.bad_kind"), _done_buttons(t))
        return
    text, attachment = content
    parts = draft.data.setdefault("parts", [])
    so_far = _joined(parts)
    joined = _joined([*parts, [message.message_id, text]])
    files = draft.data.setdefault("files", [])
    if len(joined) > TEXT_LIMIT:
        await reply(
            update,
            context,
            t(
                "pr.too_long",
                limit=t.plural("count.characters", TEXT_LIMIT),
                left=TEXT_LIMIT - len(so_far),
            ),
            _done_buttons(t),
        )
        return
    if attachment is not None and len(files) >= ATTACHMENT_LIMIT:
        await reply(
            update,
            context,
            t("pr.too_many", n=t.plural("count.files", ATTACHMENT_LIMIT)),
            _done_buttons(t),
        )
        return
    parts.append([message.message_id, text])
    draft.data["text"] = joined
    if attachment is not None:
        files.append([attachment.kind, attachment.file_id, attachment.file_name])
    await conversations(context).save(update, context, draft)
    if draft.step == "capture":  # more written after the offer: offer all of it
        await _ask(update, context, draft)
    else:
        await reply(update, context, _status_line(t, draft), _done_buttons(t))


async def on_edit(update: Update, context: MultaqaContext, draft: Draft) -> bool:
    """An edited part replaces that part; False when the edit is not of a part."""
    message = update.effective_message
    parts = draft.data.get("parts", [])
    index = next(
        (i for i, (mid, _) in enumerate(parts) if message and mid == message.message_id), None
    )
    if message is None or index is None:
        return False
    t = context.who.t
    text = (message.text or message.caption or "").strip()
    changed = [list(p) for p in parts]
    changed[index][1] = text
    if len(_joined(changed)) > TEXT_LIMIT:
        await reply(
            update,
            context,
            t("pr.edit_too_long", limit=t.plural("count.characters", TEXT_LIMIT)),
            _done_buttons(t),
        )
        return True
    draft.data["parts"], draft.data["text"] = changed, _joined(changed)
    await conversations(context).save(update, context, draft)
    await reply(update, context, t("pr.part_updated") + "\n" + _status_line(t, draft))
    return True


async def offer_capture(update: Update, context: MultaqaContext) -> bool:
    """A registered person wrote outside any flow: offer to keep it as a proposal.
    Returns False when the message is not something a proposal can hold."""
    who = context.who
    message = update.effective_message
    content = _content(message) if message else None
    if content is None or who.participant is None:
        return False
    text, attachment = content
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT]
    files = [[attachment.kind, attachment.file_id, attachment.file_name]] if attachment else []
    data = {"text": text, "files": files, "parts": [[message.message_id, text]] if message else []}
    draft = await conversations(context).start(update, context, FLOW, "capture", data)
    await _ask(update, context, draft)
    return True


async def _create(update: Update, context: MultaqaContext, draft: Draft, theme: str) -> None:
    services = context.services
    t = context.who.t
    files = [Attachment(kind, file_id, name) for kind, file_id, name in draft.data.get("files", [])]
    text = draft.data.get("text", "")
    proposal_id = await services.proposals.create(draft.user_id, theme, text, files)
    await conversations(context).end(context, draft)
    preview = text if len(text) <= PREVIEW else text[:PREVIEW].rstrip() + "…"
    await reply(
        update,
        context,
        t(
            "pr.received",
            ref=f"P-{proposal_id:04d}",
            theme=await theme_label(services, t, theme),
            preview=preview or t.plural("pr.files", len(files)),
        ),
    )


async def on_button(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """pr:theme:CODE, pr:keep:CODE, pr:done, pr:cancel: the steps of a proposal draft."""
    who = context.who
    if who.participant is None:
        await callbacks.refuse(update, context, "not registered")
        return
    draft = who.drafts.get(FLOW)
    if draft is None:
        await callbacks.stale(update, context, "no proposal draft")
        await drop_buttons(update)
        return
    await _on_draft_button(update, context, draft, press)
    await drop_buttons(update, context)


async def _on_draft_button(
    update: Update, context: MultaqaContext, draft: Draft, press: callbacks.Press
) -> None:
    services, t = context.services, context.who.t
    options = [code for code, _ in await themes(services, t)]
    theme = press.values.get("theme")
    theme = theme if theme in options else None
    step = draft.step
    if not (
        press.action == "cancel"
        or (press.action == "theme" and step == "theme" and theme is not None)
        or (press.action == "keep" and step == "capture" and theme is not None)
        or (press.action == "done" and step == "collect")
    ):  # a button of a step already answered
        await callbacks.stale(update, context, "proposal step")
        return
    await toast(update)
    if press.action == "cancel":
        await conversations(context).end(context, draft)
        await show(update, context, t("pr.cancelled"))
        return
    if press.action == "theme" and draft.step == "theme" and theme is not None:
        draft.step, draft.data = "collect", {"theme": theme, "text": "", "files": [], "parts": []}
        await conversations(context).save(update, context, draft)
        await show(
            update,
            context,
            t(
                "pr.ask_content",
                theme=await theme_label(services, t, theme),
                limit=t.plural("count.characters", TEXT_LIMIT),
                max_files=t.plural("count.files", ATTACHMENT_LIMIT),
            ),
            _done_buttons(t),
        )
    elif press.action == "keep" and draft.step == "capture" and theme is not None:
        if not await _flooded(update, context):
            await _create(update, context, draft, theme)
    elif press.action == "done" and draft.step == "collect":
        if not draft.data.get("text") and not draft.data.get("files"):
            await reply(update, context, t("pr.empty"), _done_buttons(t))
        elif not await _flooded(update, context):
            await _create(update, context, draft, draft.data["theme"])


def status_text(t: Translator, proposal: Proposal, rec_text: str | None = None) -> Markup:
    """How a proposal stands, for its author (a merge says what the recommendation says)."""
    if proposal.status == "merged" and proposal.recommendation_id:
        ref = f"R-{proposal.recommendation_id}"
        if rec_text:
            excerpt = rec_text if len(rec_text) <= PREVIEW else rec_text[:PREVIEW].rstrip() + "…"
            return t("pr.status_merged_text", rec=ref, text=excerpt)
        return t("pr.status_merged", rec=ref)
    if proposal.status == "rejected":
        note = t("pr.note", note=proposal.note) if proposal.note else Markup()
        return t("pr.status_rejected") + note
    return t(f"pr.status_{proposal.status}")


async def _rec_text(services: Services, proposal: Proposal) -> str | None:
    """The text of the recommendation a proposal was merged into, if any."""
    if proposal.status != "merged" or not proposal.recommendation_id:
        return None
    rec = await services.recommendations.get(proposal.recommendation_id)
    return rec.text if rec else None


async def mine_command(update: Update, context: MultaqaContext) -> None:
    """/mine: my proposals and how they stand."""
    await _show_mine(update, context, 0)


async def on_mine_page(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ in /mine."""
    await toast(update)
    await drop_buttons(update)
    await _show_mine(update, context, press["page"])


async def _show_mine(update: Update, context: MultaqaContext, page: int) -> None:
    who = context.who
    services = context.services
    proposals = await services.proposals.of_author(who.user.id) if who.participant else []
    if not proposals:
        await reply(update, context, who.t("pr.none"))
        return
    t = who.t
    entries = []
    for p in proposals:
        text = p.text if len(p.text) <= PREVIEW else p.text[:PREVIEW].rstrip() + "…"
        line = t(
            "pr.mine_line",
            ref=p.reference,
            theme=await theme_label(services, t, p.theme),
            text=text or "📎",
            status=status_text(t, p, await _rec_text(services, p)),
        )
        if p.status == "merged" and p.recommendation_id:  # "you said, we did"
            rec = await services.followup.repo.get(p.recommendation_id)
            if rec is not None:
                line += "\n" + t(
                    "pr.became", status=t.plain(f"rec.{rec.status}"), progress=rec.progress
                )
        rows = [[(t("pr.withdraw", ref=p.reference), WITHDRAW(p.id))]] if p.status == "new" else []
        entries.append(Entry(line, rows))
    view = paged(entries, page, MINE_PAGE, header=t("pr.mine_header"))
    await reply(update, context, view.text, inline(view.rows) if view.rows else None)


async def on_withdraw(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """pr:wd:ID asks, pr:wdyes:ID withdraws; only the author's own proposal."""
    who = context.who
    t = who.t
    proposal = await context.services.proposals.get(press["proposal"])
    if proposal is None or proposal.author_id != who.user.id:
        await callbacks.refuse(update, context, "not the author")
        return
    await toast(update)
    if press.button is WITHDRAW:  # ask first: withdrawing cannot be undone
        await reply(
            update,
            context,
            t("pr.withdraw_confirm", ref=proposal.reference),
            inline(
                [
                    [(t("pr.withdraw_yes"), WITHDRAW_YES(proposal.id))],
                    [(t("pr.withdraw_no"), CANCEL())],
                ]
            ),
        )
        return
    await drop_buttons(update)
    done = await context.services.proposals.withdraw(proposal.id, who.user.id)
    await reply(
        update,
        context,
        t("pr.withdrawn" if done else "pr.not_withdrawable", ref=proposal.reference),
    )


async def notify_author(services: Services, proposal: Proposal) -> None:
    """Tell the author, in their language, how their proposal was handled (via the clock)."""
    author = await services.participants.get(proposal.author_id)
    if author is None:
        return
    t = services.texts[author.locale]
    text = t(
        "pr.reviewed",
        ref=proposal.reference,
        status=status_text(t, proposal, await _rec_text(services, proposal)),
    )
    now = services.clock.now()
    await services.prompts.add(
        [
            PlannedPrompt.notice(
                f"reviewed:{proposal.id}:{proposal.status}:{now.isoformat()}",
                author.user_id,
                text,
                now,
            )
        ]
    )
    services.kick_clock()


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups (its messages come through the router)."""
    private = filters.ChatType.PRIVATE
    return [
        (0, CommandHandler("propose", propose_command, filters=private)),
        (0, CommandHandler("mine", mine_command, filters=private)),
        (
            0,
            callbacks.route(
                PR,
                {
                    THEME: on_button,
                    KEEP_AS: on_button,
                    DONE: on_button,
                    CANCEL: on_button,
                    WITHDRAW: on_withdraw,
                    WITHDRAW_YES: on_withdraw,
                    MINE_PAGE: on_mine_page,
                    THEMES_PAGE: on_themes_page,
                },
            ),
        ),
    ]


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=_ask,
    title_key="conv.flow_proposal",
    cancelled_key="pr.cancelled",
    short_steps=frozenset({"capture"}),
    file_steps=frozenset({"collect", "capture"}),
    on_edit=on_edit,
)
