"""Recommendations as organizers manage them: the list, one card with Edit (text, owner,
due date), Remove owner and Drop (both asked first). Buttons share the review's `rv:` prefix
and drafts."""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.conversation import conversations
from bot.i18n import Markup, Translator
from bot.views.paging import Entry, paged
from handlers.common import drop_buttons, inline, reply, toast
from handlers.proposals import theme_label, themes
from storage.drafts import Draft
from storage.proposals import Recommendation

FLOW = "review"  # drafts shared with handlers.review: editing reuses its typed-answer steps
REC_TEXT_LIMIT = 2000
RV = callbacks.Prefix("rv", role="organizer")  # review and recommendations: organizers only
RECS = RV.button("recs", callbacks.PageNo())
REC = RV.button("rec", callbacks.Id("recommendation"))
EDIT = RV.button(
    "edit", callbacks.Id("recommendation"), callbacks.OneOf("field", ("text", "owner", "due"))
)
DROP = RV.button("drop", callbacks.Id("recommendation"))
DROP_YES = RV.button("dropyes", callbacks.Id("recommendation"))
UNOWN = RV.button("unown", callbacks.Id("recommendation"))
UNOWN_YES = RV.button("unownyes", callbacks.Id("recommendation"))


async def recommendation_line(
    services: Services,
    t: Translator,
    rec: Recommendation,
    themes_: dict[str, str] | None = None,
    owners: dict[int, str] | None = None,
) -> Markup:
    """One recommendation on a line or two; `themes_` and `owners` save lookups in a list."""
    if owners is not None and rec.owner_id in owners:
        owner_name: str | None = owners[rec.owner_id]
    else:
        owner = await services.participants.get(rec.owner_id) if rec.owner_id else None
        owner_name = owner.full_name if owner else None
        if owners is not None and rec.owner_id:
            owners[rec.owner_id] = owner_name  # type: ignore[assignment]
    zone = await services.event.zone()
    theme = rec.workshop_id or "general"
    label = themes_.get(theme, theme) if themes_ is not None else None
    return t(
        "rv.rec_line",
        ref=rec.reference,
        theme=label if label is not None else await theme_label(services, t, theme),
        text=rec.text if len(rec.text) <= 80 else rec.text[:80] + "…",
        owner=owner_name or t("rv.no_owner"),
        due=t.date(
            datetime.combine(rec.due_date, datetime.min.time()).replace(tzinfo=zone),
            zone,
            "short",
        )
        if rec.due_date
        else "—",
        status=t(f"rec.{rec.status}"),
    )


async def listing(update: Update, context: MultaqaContext, page: int = 0) -> None:
    """Every recommendation, paged, each with its Open button (not the dropped ones)."""
    services, t = context.services, context.who.t
    recs = await services.recommendations.all()
    if not recs:
        await reply(update, context, t("rv.no_recs"))
        return
    labels, owners = dict(await themes(services, t)), {}
    entries = [
        Entry(
            await recommendation_line(services, t, r, labels, owners),
            [[(t("rv.open", ref=r.reference), REC(r.id))]] if r.status != "dropped" else [],
        )
        for r in recs
    ]
    view = paged(entries, page, RECS, header=t("rv.recs_header"))
    await reply(update, context, view.text, inline(view.rows) if view.rows else None)


async def _recommendation(
    update: Update, context: MultaqaContext, press: callbacks.Press
) -> Recommendation | None:
    rec = await context.services.recommendations.get(press["recommendation"])
    if rec is None:
        await callbacks.refuse(update, context, "no such recommendation")
        return None
    await toast(update)
    return rec


async def on_list(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The list, at a page."""
    await toast(update)
    await listing(update, context, press["page"])


async def on_open(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """One recommendation with Edit and Drop."""
    rec = await _recommendation(update, context, press)
    if rec is None:
        return
    services, t = context.services, context.who.t
    await reply(
        update,
        context,
        await recommendation_line(services, t, rec),
        inline(
            [
                [
                    (t("rv.edit_text"), EDIT(rec.id, "text")),
                    (t("rv.edit_owner"), EDIT(rec.id, "owner")),
                    (t("rv.edit_due"), EDIT(rec.id, "due")),
                ],
                *([[(t("rv.remove_owner"), UNOWN(rec.id))]] if rec.owner_id else []),
                [(t("rv.drop", ref=rec.reference), DROP(rec.id))],
            ]
        ),
    )


async def on_edit(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Edit one field: ask for its new value."""
    rec = await _recommendation(update, context, press)
    if rec is None:
        return
    step = {"text": "rec_text", "owner": "rec_owner", "due": "rec_due"}[press["field"]]
    draft = await conversations(context).start(update, context, FLOW, step, {"rid": rec.id})
    await conversations(context).flows[FLOW].ask(update, context, draft)


async def on_drop(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Drop asks first (the owner's follow-up ends); Yes drops."""
    rec = await _recommendation(update, context, press)
    if rec is None:
        return
    services, who, t = context.services, context.who, context.who.t
    if press.button is DROP:
        await reply(
            update,
            context,
            t("rv.drop_confirm", ref=rec.reference),
            inline([[(t("rv.drop_yes"), DROP_YES(rec.id))], [(t("pr.withdraw_no"), RECS(0))]]),
        )
        return
    await drop_buttons(update)
    await services.followup.drop(rec.id, who.user.id, update.update_id)
    services.kick_clock()
    await services.audit.record(who.user.id, "recommendation.drop", rec.reference)
    await reply(update, context, t("rv.dropped", ref=rec.reference))


async def on_remove_owner(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Remove owner asks first; Yes takes the recommendation away from its owner (who is told
    and no longer prompted) without naming another."""
    rec = await _recommendation(update, context, press)
    if rec is None:
        return
    services, who, t = context.services, context.who, context.who.t
    owner = await services.participants.get(rec.owner_id) if rec.owner_id else None
    name = owner.full_name if owner else t("rv.no_owner")
    if rec.owner_id is None:  # already without owner (a second press, or another organizer)
        await reply(update, context, await recommendation_line(services, t, rec))
        return
    if press.button is UNOWN:
        await reply(
            update,
            context,
            t("rv.remove_owner_confirm", owner=name, ref=rec.reference),
            inline(
                [
                    [(t("rv.remove_owner_yes"), UNOWN_YES(rec.id))],
                    [(t("pr.withdraw_no"), REC(rec.id))],
                ]
            ),
        )
        return
    await drop_buttons(update)
    await services.followup.assign(rec.id, None, who.user.id)
    services.kick_clock()
    await services.audit.record(who.user.id, "recommendation.edit.owner", rec.reference)
    await reply(update, context, t("rv.owner_removed", ref=rec.reference, owner=name))


ROUTES: dict[callbacks.Button, callbacks.ButtonHandler] = {
    RECS: on_list,
    REC: on_open,
    EDIT: on_edit,
    DROP: on_drop,
    DROP_YES: on_drop,
    UNOWN: on_remove_owner,
    UNOWN_YES: on_remove_owner,
}


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
    if owner is not None:  # the delegates concerned are told, the cadence starts again
        await services.followup.assign(rec_id, owner, who.user.id)
        services.kick_clock()
    if due is not None:
        await services.followup.extend(rec_id, due, who.user.id)
        services.kick_clock()
    await services.recommendations.update(rec_id, text=text)
    action = (
        "recommendation.edit.text"
        if text is not None
        else "recommendation.edit.owner"
        if owner is not None
        else "recommendation.edit.due"
    )
    await services.audit.record(who.user.id, action, f"R-{rec_id}")
    rec = await services.recommendations.get(rec_id)
    if rec is not None:
        await reply(
            update, context, t("rv.updated") + "\n" + await recommendation_line(services, t, rec)
        )
