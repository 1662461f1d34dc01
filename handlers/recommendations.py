"""Recommendations as organizers manage them: the list, one card with Edit (text, owner,
due date) and Drop (asked first). Buttons share the review's `rv:` prefix and drafts."""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.conversation import conversations
from bot.i18n import Markup, Translator
from handlers.common import drop_buttons, inline, reply, toast
from handlers.proposals import theme_label
from storage.drafts import Draft
from storage.proposals import Recommendation

FLOW = "review"  # drafts shared with handlers.review: editing reuses its typed-answer steps
REC_TEXT_LIMIT = 2000
ACTIONS = ("rec", "edit", "drop", "dropyes")


def _b(action: str, *args: object) -> str:
    return callbacks.encode("rv", action, *args)


async def recommendation_line(services: Services, t: Translator, rec: Recommendation) -> Markup:
    owner = await services.participants.get(rec.owner_id) if rec.owner_id else None
    zone = await services.event.zone()
    return t(
        "rv.rec_line",
        ref=rec.reference,
        theme=await theme_label(services, t, rec.workshop_id or "general"),
        text=rec.text if len(rec.text) <= 80 else rec.text[:80] + "…",
        owner=owner.full_name if owner else t("rv.no_owner"),
        due=t.date(
            datetime.combine(rec.due_date, datetime.min.time()).replace(tzinfo=zone),
            zone,
            "short",
        )
        if rec.due_date
        else "—",
        status=t(f"rec.{rec.status}"),
    )


async def listing(update: Update, context: MultaqaContext) -> None:
    services, t = context.services, context.who.t
    recs = await services.recommendations.all()
    if not recs:
        await reply(update, context, t("rv.no_recs"))
        return
    lines = [t("rv.recs_header")] + [await recommendation_line(services, t, r) for r in recs]
    rows = [
        [(t("rv.open", ref=r.reference), _b("rec", r.id))] for r in recs if r.status != "dropped"
    ]
    await reply(update, context, Markup("\n\n").join(lines), inline(rows) if rows else None)


async def on_action(update: Update, context: MultaqaContext, press: callbacks.Callback) -> bool:
    """rv:rec, rv:edit, rv:drop, rv:dropyes; False for any other action."""
    if press.action not in ACTIONS:
        return False
    services, who, t = context.services, context.who, context.who.t
    a = press.args
    if press.action in ("rec", "edit"):
        rec = await services.recommendations.get(int(a[0]))
        if rec is None:
            raise ValueError("no such recommendation")
        await toast(update)
        if press.action == "rec":
            await reply(
                update,
                context,
                await recommendation_line(services, t, rec),
                inline(
                    [
                        [
                            (t("rv.edit_text"), _b("edit", rec.id, "text")),
                            (t("rv.edit_owner"), _b("edit", rec.id, "owner")),
                            (t("rv.edit_due"), _b("edit", rec.id, "due")),
                        ],
                        [(t("rv.drop", ref=rec.reference), _b("drop", rec.id))],
                    ]
                ),
            )
            return True
        step = {"text": "rec_text", "owner": "rec_owner", "due": "rec_due"}[a[1]]
        draft = await conversations(context).start(update, context, FLOW, step, {"rid": rec.id})
        await conversations(context).flows[FLOW].ask(update, context, draft)
        return True
    if press.action in ("drop", "dropyes"):
        rec = await services.recommendations.get(int(a[0]))
        if rec is None:
            raise ValueError("no such recommendation")
        await toast(update)
        if press.action == "drop":  # irreversible for the owner's follow-up: ask first
            await reply(
                update,
                context,
                t("rv.drop_confirm", ref=rec.reference),
                inline(
                    [
                        [(t("rv.drop_yes"), _b("dropyes", rec.id))],
                        [(t("pr.withdraw_no"), _b("recs"))],
                    ]
                ),
            )
            return True
        await drop_buttons(update)
        await services.recommendations.update(rec.id, status="dropped")
        await services.audit.record(who.user.id, "recommendation.drop", rec.reference)
        await reply(update, context, t("rv.dropped", ref=rec.reference))
        return True
    return True


async def edit(
    update: Update,
    context: MultaqaContext,
    draft: Draft,
    *,
    text: str | None = None,
    owner: int | None = None,
    due: date | None = None,
) -> None:
    """Change one field of an existing recommendation."""
    services, who, t = context.services, context.who, context.who.t
    rec_id = draft.data["rid"]
    await conversations(context).end(context, draft)
    await services.recommendations.update(rec_id, text=text, owner_id=owner, due=due)
    field = "text" if text is not None else "owner" if owner is not None else "due"
    await services.audit.record(who.user.id, f"recommendation.edit.{field}", f"R-{rec_id}")
    rec = await services.recommendations.get(rec_id)
    if rec is not None:
        await reply(
            update, context, t("rv.updated") + "\n" + await recommendation_line(services, t, rec)
        )
