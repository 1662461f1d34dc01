"""Organizers follow the recommendations: /admin → Follow-up shows counts by status overall
and per workshop, the overdue list, the last updates, each recommendation's timeline with
its evidence, a chart and the export of everything. Escalations arrive with buttons to ask
again now, reassign, extend the due date or drop — each confirmed, audited, and told to the
delegate. The role is checked on every press."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from markupsafe import Markup
from telegram import InputFile, Update
from telegram.ext import BaseHandler

from bot import callbacks, replies
from bot.context import MultaqaContext
from bot.conversation import Flow, conversations
from bot.documents.owners import find_people
from bot.followup import buttons as B
from bot.followup import reports
from bot.followup.service import (
    STATUS_ICONS,
    rec_button_label,
    status_label,
)
from bot.i18n import Translator, unmarked
from handlers.common import drop_buttons, inline, reply, toast
from storage.drafts import Draft
from storage.event import PlannedPrompt
from storage.followup import Tracked

log = logging.getLogger(__name__)

FLOW = "followup_admin"
PAGE_SIZE = 8
TIMELINE_LIMIT = 3500  # characters of timeline in one message
INVITE_TTL = timedelta(days=14)


def _b(action: str, *args: object) -> str:
    return B.FA.buttons[action](*args)


def _e(action: str, *args: object) -> str:
    return B.FE.buttons[action](*args)


async def _name(context: MultaqaContext, user_id: int | None) -> str:
    if user_id is None:
        return context.who.t("fu.nobody")
    return await context.services.followup.person_name(user_id)


def _pager(t: Translator, action: str, page: int, pages: int) -> list[tuple[str, str]]:
    nav = []
    if page > 0:
        nav.append((t("fu.prev"), _b(action, page - 1)))
    if page < pages - 1:
        nav.append((t("fu.next"), _b(action, page + 1)))
    return nav


async def home(update: Update, context: MultaqaContext) -> None:
    """The follow-up board: counts, and where to go next."""
    t = context.who.t
    services = context.services
    if not await services.followup.repo.all():
        await reply(update, context, Markup("\n").join([t("fu.admin.title"), t("fu.admin.none")]))
        return
    lines = [t("fu.admin.title"), *await services.followup.summary_lines(t)]
    rows = [
        [(t("fu.admin.overdue"), _b("od", 0)), (t("fu.admin.updates"), _b("lu"))],
        [(t("fu.admin.all"), _b("ls", 0)), (t("fu.admin.chart"), _b("ch"))],
        [(t("fu.admin.xlsx"), _b("xx")), (t("fu.admin.csv"), _b("xc"))],
    ]
    await reply(update, context, Markup("\n").join(lines), inline(rows))


async def _list(
    update: Update, context: MultaqaContext, recs: list[Tracked], page: int, action: str
) -> None:
    t = context.who.t
    zone = await context.services.followup.zone()
    if not recs:
        await reply(update, context, t("fu.admin.none"))
        return
    pages = (len(recs) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = recs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = []
    for rec in shown:
        lines.append(
            t(
                "fu.admin.overdue_line",
                icon=STATUS_ICONS[rec.status],
                ref=rec.reference,
                text=rec.text if len(rec.text) <= 160 else rec.text[:159] + "…",
                owner=await _name(context, rec.owner_id),
                due=context.services.followup.due_text(t, rec.due_date, zone),
            )
        )
    if pages > 1:
        lines.append(t("fu.page", page=page + 1, pages=pages))
    rows = [[(rec_button_label(t, rec), _b("tl", rec.id))] for rec in shown]
    if pages > 1:
        rows.append(_pager(t, action, page, pages))
    await reply(update, context, Markup("\n\n").join(lines), inline(rows))


async def timeline(update: Update, context: MultaqaContext, rec: Tracked) -> None:
    """A recommendation's card and every recorded change, newest kept when it is long."""
    t = context.who.t
    services = context.services
    zone = await services.followup.zone()
    entries = []
    for u in await services.followup.repo.timeline(rec.id):
        when = t.datetime(u.at, zone, "short")
        who = await _name(context, u.by_user) if u.by_user else t("fu.system")
        if u.kind == "status":
            entry = t(
                "fu.timeline.status",
                when=when,
                who=who,
                from_status=t(f"rec.{u.from_status}") if u.from_status else "—",
                to_status=status_label(t, u.to_status or ""),
                progress=u.progress or 0,
            )
            if u.comment:
                entry += "\n" + t("fu.timeline.comment", comment=u.comment[:300])
        elif u.kind == "owner":
            entry = t(
                "fu.timeline.owner",
                when=when,
                who=who,
                owner=await _name(context, u.details.get("to")),
            )
        elif u.kind == "due":
            to = u.details.get("to")
            due = services.followup.due_text(t, date.fromisoformat(to) if to else None, zone)
            entry = t("fu.timeline.due", when=when, who=who, due=due)
        else:
            continue
        entries.append(entry)
    head = [await services.followup.card(t, rec), "", t("fu.timeline.title")]
    kept: list[str] = []
    budget = TIMELINE_LIMIT - sum(len(x) for x in head)
    for entry in reversed(entries):  # the newest first into the budget, shown oldest first
        if budget - len(entry) < 0:
            break
        kept.insert(0, entry)
        budget -= len(entry) + 1
    if len(kept) < len(entries):
        kept.insert(0, "…")
    body = Markup("\n").join([*head, *(kept or [t("fu.timeline.empty")])])
    rows = [[(t("fu.timeline.evidence"), _b("ev", rec.id))]]
    if rec.is_open:
        actions = services.followup.escalation_buttons(t, rec.id).inline_keyboard
        rows += [[(b.text, str(b.callback_data)) for b in row] for row in actions]
    await reply(update, context, body, inline(rows))


async def _send_evidence(update: Update, context: MultaqaContext, rec: Tracked) -> None:
    t = context.who.t
    chat = update.effective_chat
    assert chat is not None
    files = [
        (u, e) for u in await context.services.followup.repo.timeline(rec.id) for e in u.evidence
    ]
    if not files:
        await reply(update, context, t("fu.timeline.no_evidence"))
        return
    for update_row, evidence in files[-20:]:
        caption = f"{rec.reference} · {update_row.at.date().isoformat()}"
        await replies.queue(
            context.bot, replies.send_file(chat.id, evidence.kind, evidence.file_id, caption)
        )


async def _export(update: Update, context: MultaqaContext, kind: str) -> None:
    t = context.who.t
    chat = update.effective_chat
    assert chat is not None
    tables = await reports.export_tables(context.services.followup, t)
    if kind == "xlsx":
        data = await asyncio.to_thread(reports.xlsx_bytes, tables, t.locale == "ar")
        name = unmarked(t.plain("fu.export.file_xlsx"))
    else:
        merged = reports.Table(
            tables[1].title,
            [*tables[0].headers, *tables[1].headers[1:]],
            _csv_rows(tables),
        )
        data = await asyncio.to_thread(reports.csv_bytes, merged)
        name = unmarked(t.plain("fu.export.file_csv"))
    await replies.flush(context.bot_data)
    await context.bot.send_document(
        chat.id, InputFile(data, filename=name), caption=t.plain("fu.admin.export_caption")
    )


def _csv_rows(tables: list[reports.Table]) -> list[list[object]]:
    """One CSV: each recommendation's row repeated beside each entry of its history."""
    main = {row[0]: list(row) for row in tables[0].rows}
    rows: list[list[object]] = []
    seen = set()
    for entry in tables[1].rows:
        rows.append([*main[entry[0]], *list(entry)[1:]])
        seen.add(entry[0])
    rows += [
        row + [""] * (len(tables[1].headers) - 1) for ref, row in main.items() if ref not in seen
    ]
    return rows


async def _chart(update: Update, context: MultaqaContext) -> None:
    t = context.who.t
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    counts = await services.followup.repo.counts()
    workshop_ids = sorted({ws for ws, _ in counts}, key=lambda w: (w is None, w or ""))
    titles = [await services.followup.workshop_title(t, ws) for ws in workshop_ids]
    per_status = {
        status: [counts.get((ws, status), 0) for ws in workshop_ids]
        for status in reports.STATUS_ORDER
    }
    legend = {status: t.plain(f"rec.{status}") for status in reports.STATUS_ORDER}
    png = await asyncio.to_thread(
        reports.status_chart_png, t.plain("fu.admin.chart_caption"), titles, per_status, legend
    )
    await replies.flush(context.bot_data)
    await context.bot.send_photo(
        chat.id,
        InputFile(png, filename=unmarked(t.plain("fu.admin.chart_file"))),
        caption=t.plain("fu.admin.chart_caption"),
    )


async def on_board(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The board, overdue and all (paged), last updates, a timeline, evidence, chart, export
    (the organizer role is checked by the router)."""
    t = context.who.t
    services = context.services
    if press.action in ("tl", "ev"):
        rec = await services.followup.repo.get(press["rec"])
        if rec is None:
            await toast(update, t("common.invalid_button"))
            return
        await toast(update)
        await (timeline if press.action == "tl" else _send_evidence)(update, context, rec)
        return
    await toast(update, t("fu.admin.working") if press.action in ("ch", "xx", "xc") else None)
    page = press.values.get("page", 0)
    if press.action == "home":
        await home(update, context)
    elif press.action == "od":
        await _list(
            update,
            context,
            await services.followup.repo.open_overdue(await services.followup.today()),
            page,
            "od",
        )
    elif press.action == "ls":
        await _list(update, context, await services.followup.repo.all(), page, "ls")
    elif press.action == "lu":
        await _last_updates(update, context)
    elif press.action == "ch":
        await _chart(update, context)
    else:
        await _export(update, context, "xlsx" if press.action == "xx" else "csv")


async def _last_updates(update: Update, context: MultaqaContext) -> None:
    t = context.who.t
    services = context.services
    zone = await services.followup.zone()
    updates = await services.followup.repo.last_updates(15)
    if not updates:
        await reply(update, context, t("fu.admin.no_updates"))
        return
    lines = [
        t(
            "fu.admin.update_line",
            when=t.datetime(u.at, zone, "short"),
            ref=f"R-{u.recommendation_id}",
            who=await _name(context, u.by_user) if u.by_user else t("fu.system"),
            status=status_label(t, u.to_status or ""),
            progress=u.progress or 0,
        )
        for u in updates
    ]
    await reply(update, context, Markup("\n").join([t("fu.admin.updates"), *lines]))


# --- escalation actions ------------------------------------------------------------------


# The actions shown on an escalation and a card; each asks its question in a new message.
FIRST_STEPS = frozenset({"rp", "ra", "ex", "dr"})


def _extend_base(rec: Tracked, today: date) -> date:
    """What Extend counts from: the current due date (today when there is none)."""
    return rec.due_date or today


def _example_date(rec: Tracked, today: date) -> str:
    """A date to type, a month after the current due date (and never in the past)."""
    example = _extend_base(rec, today) + timedelta(days=30)
    return max(example, today + timedelta(days=1)).strftime("%d/%m/%Y")


def _extend_choices(rec: Tracked, today: date) -> list[int]:
    """+7/+14/+30 days from the due date, those that do not fall before today."""
    base = _extend_base(rec, today)
    return [n for n in B.EXTEND_CHOICES if base + timedelta(days=n) >= today]


async def _confirm(update: Update, context: MultaqaContext, text: str, yes: str) -> None:
    t = context.who.t
    await reply(
        update, context, text, inline([[(t("fu.esc.yes"), yes), (t("fu.esc.no"), _e("no", 0))]])
    )


async def on_escalation(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """fe:rp|rpy|ra|pick|inv|ex|xd|exy|dr|dry|no:REC[:ARG] — each confirmed, then audited."""
    t = context.who.t
    services = context.services
    fu = services.followup
    if press.action == "no":
        await toast(update)
        await drop_buttons(update)
        await _end(context)
        await reply(update, context, t("fu.esc.cancelled"))
        return
    rec = await fu.repo.get(press["rec"])
    if rec is None or not rec.is_open:
        await toast(update, t("common.stale_button"))
        if press.action in FIRST_STEPS:
            await drop_buttons(update)  # nothing left to do on this case
        return
    await toast(update)
    if press.action not in FIRST_STEPS:
        await drop_buttons(update)  # a confirmation is answered once
    # An escalation (or a card) keeps its actions: after extending, one may still reassign.
    me = context.who.user.id
    owner = await _name(context, rec.owner_id)
    zone = await fu.zone()
    today = await fu.today()
    if press.action == "rp":
        await _confirm(
            update,
            context,
            t("fu.esc.confirm_reprompt", owner=owner, ref=rec.reference),
            _e("rpy", rec.id),
        )
    elif press.action == "rpy":
        if rec.owner_id is not None:
            now = services.clock.now()
            await services.prompts.add(
                [
                    PlannedPrompt(
                        f"reprompt:{rec.id}:{now.isoformat()}",
                        "followup",
                        rec.owner_id,
                        str(rec.id),
                        now,
                        {"recs": [rec.id]},
                    )
                ]
            )
            await services.audit.record(me, "recommendation.reprompt", f"rec:{rec.id}")
            services.kick_clock()
        await reply(update, context, t("fu.esc.reprompted", owner=owner, ref=rec.reference))
    elif press.action == "dr":
        await _confirm(
            update,
            context,
            t("fu.esc.confirm_drop", owner=owner, ref=rec.reference),
            _e("dry", rec.id),
        )
    elif press.action == "dry":
        await fu.drop(rec.id, me, update.update_id)
        await services.audit.record(me, "recommendation.drop", f"rec:{rec.id}")
        services.kick_clock()
        await reply(update, context, t("fu.esc.dropped", ref=rec.reference, owner=owner))
    elif press.action == "ex":
        choices = [
            (t.plural("fu.esc.plus_days", n), _e("xd", rec.id, n))
            for n in _extend_choices(rec, today)
        ]
        rows = (
            [choices, [(t("fu.esc.no"), _e("no", rec.id))]]
            if choices
            else [[(t("fu.esc.no"), _e("no", rec.id))]]
        )
        await conversations(context).start(update, context, FLOW, "extend", {"rec": rec.id})
        await reply(
            update,
            context,
            t(
                "fu.esc.extend_ask",
                ref=rec.reference,
                due=fu.due_text(t, rec.due_date, zone),
                example=_example_date(rec, today),
            ),
            inline(rows),
        )
    elif press.action == "xd":
        due = _extend_base(rec, today) + timedelta(days=int(press["days"]))
        if due < today:  # an old button of a recommendation overdue since
            await reply(update, context, t("fu.esc.bad_date", example=_example_date(rec, today)))
            return
        await _ask_extend(update, context, rec, due)
    elif press.action == "exy":
        try:
            new_due = date.fromordinal(press["day"])
        except (ValueError, OverflowError):
            await callbacks.refuse(update, context, "no such day")
            return
        if new_due < today:
            await reply(update, context, t("fu.esc.bad_date", example=_example_date(rec, today)))
            return
        await _end(context)
        await fu.extend(rec.id, new_due, me)
        services.kick_clock()
        await reply(
            update,
            context,
            t("fu.esc.extended", ref=rec.reference, due=fu.due_text(t, new_due, zone), owner=owner),
        )
    elif press.action == "ra":
        await conversations(context).start(update, context, FLOW, "reassign", {"rec": rec.id})
        await reply(
            update,
            context,
            t("fu.esc.reassign_ask", ref=rec.reference),
            inline([[(t("fu.esc.no"), _e("no", rec.id))]]),
        )
    elif press.action == "pick":
        person = await services.participants.get(press["user"])
        if person is None:
            await reply(update, context, t("common.invalid_button"))
            return
        await _end(context)
        await fu.assign(rec.id, person.user_id, me)
        services.kick_clock()
        await reply(
            update, context, t("fu.esc.reassigned", ref=rec.reference, owner=person.full_name)
        )
    elif press.action == "inv":
        await conversations(context).start(update, context, FLOW, "invite", {"rec": rec.id})
        await reply(
            update,
            context,
            t("fu.invite.ask_label"),
            inline([[(t("fu.esc.no"), _e("no", rec.id))]]),
        )


async def _end(context: MultaqaContext) -> None:
    """Leave the organizer's follow-up flow, if they are in it."""
    draft = context.who.drafts.get(FLOW)
    if draft is not None:
        await conversations(context).end(context, draft)


async def ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """The question of the current step again (/resume, a replayed update)."""
    t = context.who.t
    services = context.services
    rec = await services.followup.repo.get(int(draft.data.get("rec", 0)))
    if rec is None:
        await conversations(context).end(context, draft)
        await reply(update, context, t("common.stale_button"))
        return
    cancel = inline([[(t("fu.esc.no"), _e("no", rec.id))]])
    if draft.step == "extend":
        zone = await services.followup.zone()
        today = await services.followup.today()
        text = t(
            "fu.esc.extend_ask",
            ref=rec.reference,
            due=services.followup.due_text(t, rec.due_date, zone),
            example=_example_date(rec, today),
        )
    elif draft.step == "reassign":
        text = t("fu.esc.reassign_ask", ref=rec.reference)
    else:
        text = t("fu.invite.ask_label")
    await reply(update, context, text, cancel)


async def _ask_extend(update: Update, context: MultaqaContext, rec: Tracked, due: date) -> None:
    t = context.who.t
    zone = await context.services.followup.zone()
    await _confirm(
        update,
        context,
        t(
            "fu.esc.confirm_extend",
            ref=rec.reference,
            due=context.services.followup.due_text(t, due, zone),
        ),
        _e("exy", rec.id, due.toordinal()),
    )


def _parse_date(text: str) -> date | None:
    for sep in ("/", "-", "."):
        parts = text.strip().split(sep)
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                if len(parts[0]) == 4:
                    return date(int(parts[0]), int(parts[1]), int(parts[2]))
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                return None
    return None


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """A typed due date, new owner or invitee's name (the manager's router; the manager has
    checked the organizer role)."""
    services = context.services
    me = context.who.user.id
    t = context.who.t
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    rec = await services.followup.repo.get(int(draft.data.get("rec", 0)))
    if rec is None or not rec.is_open:
        await conversations(context).end(context, draft)
        await reply(update, context, t("common.stale_button"))
        return
    today = await services.followup.today()
    if draft.step == "extend":
        due = _parse_date(text)
        if due is None or due < today:
            await reply(update, context, t("fu.esc.bad_date", example=_example_date(rec, today)))
        else:
            await _ask_extend(update, context, rec, due)
        return
    if draft.step == "reassign" and text:
        found = await find_people(services.participants, text, limit=6)
        if not found:
            await reply(
                update,
                context,
                t("fu.esc.no_match", query=text[:80]),
                inline(
                    [
                        [(t("fu.esc.invite"), _e("inv", rec.id))],
                        [(t("fu.esc.no"), _e("no", rec.id))],
                    ]
                ),
            )
        elif len(found) == 1:
            await _confirm(
                update,
                context,
                t("fu.esc.confirm_reassign", ref=rec.reference, owner=found[0].full_name),
                _e("pick", rec.id, found[0].user_id),
            )
        else:
            rows = [[(p.full_name[:60], _e("pick", rec.id, p.user_id))] for p in found]
            rows.append([(t("fu.esc.no"), _e("no", rec.id))])
            await reply(update, context, t("fu.esc.many_matches"), inline(rows))
        return
    if draft.step == "invite" and text:
        await conversations(context).end(context, draft)
        token = await services.followup.repo.create_invite(
            "delegate", text[:80], me, INVITE_TTL, [rec.id]
        )
        from bot.documents.poster import deep_link

        link = deep_link(context.bot.username, f"inv-{token}")
        until = services.clock.now() + INVITE_TTL
        zone = await services.followup.zone()
        await reply(
            update,
            context,
            t(
                "fu.invite.created",
                label=text[:80],
                link=link,
                until=t.date(until, zone),
                ref=rec.reference,
            ),
        )
        return
    await reply(update, context, t("fu.unsupported"))
    return


async def summary_switch(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """The weekly summary, off or on again (organizers: checked by the router)."""
    t = context.who.t
    off = press.button is B.WEEKLY_OFF
    await context.services.followup.repo.set_pref(
        context.who.user.id, "weekly_summary", "off" if off else "on"
    )
    await toast(update)
    await drop_buttons(update)
    other = (B.WEEKLY_ON if off else B.WEEKLY_OFF)()
    await reply(
        update,
        context,
        t("fu.weekly.off_done" if off else "fu.weekly.on_done"),
        inline([[(t("fu.weekly.on" if off else "fu.weekly.off"), other)]]),
    )


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=ask,
    title_key="conv.flow_followup_admin",
    cancelled_key="conv.cancelled",
    role="organizer",
    short_steps=frozenset({"extend", "reassign", "invite"}),
)


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow (its typed answers come through the conversation router)."""
    return [
        (0, callbacks.route(B.FA, dict.fromkeys(B.FA.buttons.values(), on_board))),
        (0, callbacks.route(B.FE, dict.fromkeys(B.FE.buttons.values(), on_escalation))),
        (0, callbacks.route(B.WK, dict.fromkeys(B.WK.buttons.values(), summary_switch))),
    ]
