"""Organizers' broadcasts: compose (one text per language, optional photo or document),
choose the audience with its size, preview, then send now or schedule; a live progress
message with Stop/Resume, and a final report with the list of people not reached.

The role is checked on every command, button and message; the draft lives in `drafts`.
"""

from __future__ import annotations

import csv
import html
import io
import logging
from datetime import datetime, timedelta, tzinfo

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler

from bot import callbacks
from bot.context import MultaqaContext, Services
from bot.event import EventService
from bot.event import localized_text as localized
from bot.i18n import Html, Translator
from bot.sender import html_sender
from handlers.common import chat_id_of, drop_buttons, in_rows, inline, reply, say, toast
from storage.campaigns import Audience, Campaign, Progress
from storage.drafts import Draft

log = logging.getLogger(__name__)

FLOW = "broadcast"
PREFIX = "bc"
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH


def _b(action: str, *args: object) -> str:
    return callbacks.encode(PREFIX, action, *args)


async def _is_organizer(context: MultaqaContext) -> bool:
    """Fresh from the database on every action: a role may have been revoked."""
    roles = await context.services.roles.roles_of(context.who.user.id)
    return "organizer" in roles


async def _draft(context: MultaqaContext) -> Draft | None:
    return await context.services.drafts.get(context.who.user.id, FLOW)


# ---------------------------------------------------------------- composing


async def begin(update: Update, context: MultaqaContext) -> None:
    """The Broadcast button of /admin: ask for the message."""
    draft = Draft(context.who.user.id, FLOW, "text", {"lang": context.who.locale, "texts": {}})
    await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    t = context.who.t
    names = context.services.texts.language_names()
    cancel = (t("bc.cancel"), _b("cancel"))
    if draft.step == "text":
        await reply(
            update,
            context,
            t("bc.ask_text", language=Html(names[draft.data["lang"]])),
            inline([[cancel]]),
        )
    elif draft.step == "languages":
        have = draft.data["texts"]
        rows = [
            [(t("bc.add_language", language=Html(names[code])), _b("lang", code))]
            for code in context.services.texts.locales
            if code not in have
        ]
        rows.append([(t("bc.continue"), _b("audience"))])
        rows.append([cancel])
        listed = ", ".join(names[code] for code in have)
        await reply(update, context, t("bc.languages", languages=Html(listed)), inline(rows))
    elif draft.step == "audience":
        await _ask_audience(update, context)
    elif draft.step in CODED:
        await _ask_codes(update, context, draft.step)
    elif draft.step == "confirm":
        await _preview(update, context, draft)
    elif draft.step == "schedule":
        await reply(update, context, t("bc.ask_time"), inline([[(t("common.back"), _b("back"))]]))


CODED = ("region", "function", "workshop", "waitlist")  # audiences that need a code
PLAIN = ("everyone", "organizers", "delegates", "checked_in", "not_checked_in")


async def _ask_audience(update: Update, context: MultaqaContext) -> None:
    t = context.who.t
    repo = context.services.campaigns

    async def label(kind: str) -> tuple[str, str]:
        count = await repo.count_audience(Audience(kind))  # type: ignore[arg-type]
        return t(f"bc.audience_{kind}", n=count), _b("aud", kind)

    rows = [
        [await label("everyone")],
        [
            (t("bc.audience_by_region"), _b("aud", "region")),
            (t("bc.audience_by_function"), _b("aud", "function")),
        ],
    ]
    if await context.services.event.current() is not None:
        rows.append(
            [
                (t("bc.audience_by_workshop"), _b("aud", "workshop")),
                (t("bc.audience_by_waitlist"), _b("aud", "waitlist")),
            ]
        )
        rows.append([await label("checked_in"), await label("not_checked_in")])
    rows.append([await label("organizers"), await label("delegates")])
    rows.append([(t("common.back"), _b("back")), (t("bc.cancel"), _b("cancel"))])
    await reply(update, context, t("bc.ask_audience"), inline(rows))


async def _options(services: Services, t: Translator, kind: str) -> list[tuple[str, str]]:
    """(code, label) of each choice for an audience that needs a code."""
    if kind in ("region", "function"):
        return [
            (c.code, EventService.label(t, kind, c)) for c in await services.event.choices(kind)
        ]
    event = await services.event.current()
    return [(w.id, localized(dict(w.title), t)) for w in (event.workshops if event else [])]


async def _ask_codes(update: Update, context: MultaqaContext, kind: str) -> None:
    t = context.who.t
    repo = context.services.campaigns
    buttons = []
    for index, (code, label) in enumerate(await _options(context.services, t, kind)):
        count = await repo.count_audience(Audience(kind, code))  # type: ignore[arg-type]
        buttons.append((f"{label} ({t.number(count)})", _b("code", index)))
    per_row = 2 if kind in ("region", "function") else 1
    rows = [*in_rows(buttons, per_row), [(t("common.back"), _b("back"))]]
    await reply(update, context, t(f"bc.ask_{kind}"), inline(rows))


def _audience_of(draft: Draft) -> Audience:
    return Audience(draft.data["audience"], draft.data.get("code"))


async def _audience_label(services: Services, t: Translator, audience: Audience) -> str:
    if audience.kind in CODED:
        names = dict(await _options(services, t, audience.kind))
        name = names.get(audience.code or "", audience.code or "")
        return t(f"bc.audience_{audience.kind}_named", name=Html(html.escape(name)))
    return t(f"bc.audience_name_{audience.kind}")


async def _preview(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """Show each language version exactly as recipients will get it, then ask to confirm."""
    t = context.who.t
    chat_id = chat_id_of(update)
    names = context.services.texts.language_names()
    for code, text in draft.data["texts"].items():
        await say(context, chat_id, t("bc.preview_of", language=Html(names[code])))
        send = html_sender(text, draft.data.get("media_kind"), draft.data.get("media_file_id"))
        await send(context.bot, chat_id)
    audience = _audience_of(draft)
    count = await context.services.campaigns.count_audience(audience)
    rows = [
        [(t("bc.send_now"), _b("send"))],
        [(t("bc.schedule"), _b("later"))],
        [(t("common.back"), _b("back")), (t("bc.cancel"), _b("cancel"))],
    ]
    await reply(
        update,
        context,
        t(
            "bc.confirm",
            audience=Html(await _audience_label(context.services, t, audience)),
            people=Html(t.plural("bc.people", count)),
        ),
        inline(rows),
    )


_BACK = {
    "languages": "text",
    "audience": "languages",
    "region": "audience",
    "function": "audience",
    "workshop": "audience",
    "waitlist": "audience",
    "confirm": "audience",
    "schedule": "confirm",
}


async def on_message(update: Update, context: MultaqaContext) -> None:
    """A message while composing: a language version, or the time to schedule."""
    if not context.has_who:
        return
    draft = await _draft(context)
    if draft is None or draft.step not in ("text", "schedule"):
        return
    t = context.who.t
    if not await _is_organizer(context):
        await context.services.drafts.delete(draft.user_id, FLOW)
        return
    message = update.effective_message
    assert message is not None
    if draft.step == "schedule":
        await _take_time(update, context, draft, message.text or "")
    else:
        await _take_text(update, context, draft, message, t)
    raise ApplicationHandlerStop


async def _take_text(
    update: Update, context: MultaqaContext, draft: Draft, message: Message, t: Translator
) -> None:
    media_kind, file_id = None, None
    if message.photo:
        media_kind, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        media_kind, file_id = "document", message.document.file_id
    elif not message.text:
        await reply(update, context, t("bc.bad_kind"))
        return
    if media_kind and draft.data["texts"]:  # one photo/document, given with the first version
        await reply(update, context, t("bc.media_first"))
        return
    html = message.text_html if message.text else (message.caption_html or "")
    limit = CAPTION_LIMIT if (media_kind or draft.data.get("media_kind")) else TEXT_LIMIT
    if len(message.text or message.caption or "") > limit:
        await reply(update, context, t("bc.too_long", limit=limit))
        return
    if media_kind:
        draft.data["media_kind"], draft.data["media_file_id"] = media_kind, file_id
    draft.data["texts"][draft.data["lang"]] = html
    draft.step = "languages"
    await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _take_time(update: Update, context: MultaqaContext, draft: Draft, text: str) -> None:
    t = context.who.t
    services = context.services
    when = parse_local_time(text, services.clock.now(), services.settings.zone)
    if when is None or when <= services.clock.now():
        await reply(update, context, t("bc.bad_time"))
        return
    campaign_id = await _create(context, draft)
    await services.campaigns.schedule(campaign_id, when)
    await services.drafts.delete(draft.user_id, FLOW)
    await services.audit.record(
        draft.user_id, "broadcast.schedule", f"campaign:{campaign_id}", {"at": when.isoformat()}
    )
    await reply(
        update,
        context,
        t("bc.scheduled", when=t.datetime(when, services.settings.zone, "EEEE d MMMM, HH:mm")),
        inline([[(t("bc.cancel_scheduled"), _b("unsched", campaign_id))]]),
    )


def parse_local_time(text: str, now: datetime, zone: tzinfo) -> datetime | None:
    """`HH:MM` (today, or tomorrow if past) or `YYYY-MM-DD HH:MM`, in the event's zone."""
    text = " ".join(text.split())
    local_now = now.astimezone(zone)
    for fmt in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%H:%M"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = local_now.replace(
                hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0, tzinfo=None
            )
            if parsed.replace(tzinfo=zone) <= local_now:
                parsed += timedelta(days=1)
        return parsed.replace(tzinfo=zone)
    return None


async def _create(context: MultaqaContext, draft: Draft) -> int:
    return await context.services.campaigns.create(
        draft.user_id,
        context.who.locale,
        _audience_of(draft),
        draft.data["texts"],
        draft.data.get("media_kind"),
        draft.data.get("media_file_id"),
    )


# ---------------------------------------------------------------- buttons


async def on_button(update: Update, context: MultaqaContext) -> None:
    """Every `bc:` button; forged or stale ones do nothing but say so."""
    who = context.who
    query = update.callback_query
    press = callbacks.decode(query.data if query else None, PREFIX)
    if press is None or not await _is_organizer(context):
        log.warning("broadcast button refused for user %s", who.user.id)
        await toast(update, who.t("common.invalid_button"))
        return
    if press.action in _CAMPAIGN_ACTIONS:
        await _CAMPAIGN_ACTIONS[press.action](update, context, press.arg())
        return
    if press.action == "new":
        await toast(update)
        await begin(update, context)
        return
    draft = await _draft(context)
    if draft is None:
        await toast(update, who.t("common.stale_button"))
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update)
    await _DRAFT_ACTIONS.get(press.action, _stale)(update, context, draft, press.arg())


async def _stale(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    await _ask(update, context, draft)


async def _on_cancel(
    update: Update, context: MultaqaContext, draft: Draft, arg: str | None
) -> None:
    await context.services.drafts.delete(draft.user_id, FLOW)
    await reply(update, context, context.who.t("bc.cancelled"))


async def _on_back(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    draft.step = _BACK.get(draft.step, draft.step)
    await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _on_lang(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step == "languages" and arg in context.services.texts.locales:
        draft.data["lang"], draft.step = arg, "text"
        await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _on_audience_step(
    update: Update, context: MultaqaContext, draft: Draft, arg: str | None
) -> None:
    if draft.step == "languages" and draft.data["texts"]:
        draft.step = "audience"
        await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _on_aud(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step == "audience" and arg in PLAIN:
        draft.data["audience"], draft.data["code"], draft.step = arg, None, "confirm"
        await context.services.drafts.save(draft)
    elif draft.step == "audience" and arg in CODED:
        draft.step = arg
        await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _on_code(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    codes = (
        [code for code, _ in await _options(context.services, context.who.t, draft.step)]
        if draft.step in CODED
        else []
    )
    if arg and arg.isdigit() and int(arg) < len(codes):
        draft.data["audience"], draft.data["code"] = draft.step, codes[int(arg)]
        draft.step = "confirm"
        await context.services.drafts.save(draft)
    await _ask(update, context, draft)


async def _on_send(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step != "confirm":
        await _ask(update, context, draft)
        return
    services = context.services
    campaign_id = await _create(context, draft)
    await services.drafts.delete(draft.user_id, FLOW)
    await start_campaign(services, campaign_id, chat_id_of(update), context.who.t)
    await services.audit.record(
        draft.user_id,
        "broadcast.send",
        f"campaign:{campaign_id}",
        {"audience": _audience_of(draft).expression()},
    )


async def _on_later(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step == "confirm":
        draft.step = "schedule"
        await context.services.drafts.save(draft)
    await _ask(update, context, draft)


_DRAFT_ACTIONS = {
    "cancel": _on_cancel,
    "back": _on_back,
    "lang": _on_lang,
    "audience": _on_audience_step,
    "aud": _on_aud,
    "code": _on_code,
    "send": _on_send,
    "later": _on_later,
}


# ---------------------------------------------------------------- a campaign under way


async def start_campaign(
    services: Services, campaign_id: int, chat_id: int | None, t: Translator
) -> None:
    """Freeze recipients, post the progress message (if any chat), and launch the sending."""
    if not await services.campaigns.start(campaign_id):
        return
    if chat_id is not None:
        progress = await services.campaigns.progress(campaign_id)
        campaign = await services.campaigns.get(campaign_id)
        assert campaign is not None
        text, markup = progress_view(t, campaign, progress, services.sender_rate, False)
        message = await services.bot.send_message(
            chat_id, text, reply_markup=markup, parse_mode="HTML"
        )
        await services.campaigns.set_progress_message(campaign_id, chat_id, message.message_id)
    services.runner.launch(campaign_id)


def progress_view(
    t: Translator, campaign: Campaign, progress: Progress, rate: float, finished: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress (or final report) text and its buttons."""
    figures = dict(
        sent=progress.sent,
        failed=progress.failed,
        unreachable=progress.unreachable,
        remaining=progress.remaining,
        total=progress.total,
        id=campaign.id,
    )
    if finished:
        rows = []
        if progress.failed or progress.unreachable:
            rows.append([(t("bc.export"), _b("export", campaign.id))])
        return t("bc.report", **figures), inline(rows) if rows else None
    if campaign.state == "paused":
        return t("bc.paused", **figures), inline([[(t("bc.resume"), _b("resume", campaign.id))]])
    minutes = max(1, round(progress.remaining / max(rate, 1) / 60))
    return (
        t("bc.progress", **figures, eta=Html(t.plural("bc.minutes", minutes))),
        inline([[(t("bc.stop"), _b("stop", campaign.id))]]),
    )


async def report_progress(
    services: Services, campaign: Campaign, progress: Progress, finished: bool
) -> None:
    """Edit the campaign's progress message in place (the runner throttles the calls)."""
    if campaign.progress_chat_id is None or campaign.progress_message_id is None:
        return
    t = services.texts[campaign.author_locale]
    text, markup = progress_view(t, campaign, progress, services.sender_rate, finished)
    try:
        await services.bot.edit_message_text(
            text,
            campaign.progress_chat_id,
            campaign.progress_message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _campaign_id(arg: str | None) -> int | None:
    return int(arg) if arg and arg.isdigit() else None


async def _on_stop(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "paused", only_from=("sending",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update, context.who.t("bc.stopping"))
    await services.audit.record(context.who.user.id, "broadcast.stop", f"campaign:{campaign_id}")
    await services.runner.stop(campaign_id)


async def _on_resume(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "sending", only_from=("paused",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await services.audit.record(context.who.user.id, "broadcast.resume", f"campaign:{campaign_id}")
    services.runner.launch(campaign_id)


async def _on_unschedule(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or not await services.campaigns.set_state(
        campaign_id, "cancelled", only_from=("scheduled",)
    ):
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    await drop_buttons(update)
    await services.audit.record(
        context.who.user.id, "broadcast.unschedule", f"campaign:{campaign_id}"
    )
    await reply(update, context, context.who.t("bc.cancelled"))


async def _on_export(update: Update, context: MultaqaContext, arg: str | None) -> None:
    services, campaign_id = context.services, _campaign_id(arg)
    if campaign_id is None or await services.campaigns.get(campaign_id) is None:
        await toast(update, context.who.t("common.stale_button"))
        return
    await toast(update)
    t = context.who.t
    rows = await services.campaigns.not_reached(campaign_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["telegram_user_id", "name", "region", "state", "reason"])
    for row in rows:
        writer.writerow(
            [
                row.user_id,
                row.full_name or "",
                row.region_code or "",
                row.state,
                row.last_error or "",
            ]
        )
    await services.audit.record(
        context.who.user.id, "broadcast.export", f"campaign:{campaign_id}", {"rows": len(rows)}
    )
    await context.bot.send_document(
        chat_id_of(update),
        buffer.getvalue().encode("utf-8-sig"),
        filename=f"campaign-{campaign_id}-not-reached.csv",
        caption=t.plural("bc.export_caption", len(rows)),
    )


_CAMPAIGN_ACTIONS = {
    "stop": _on_stop,
    "resume": _on_resume,
    "unsched": _on_unschedule,
    "export": _on_export,
}


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    from telegram.ext import MessageHandler, filters

    composing = filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return [
        (0, CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")),
        (2, MessageHandler(composing, on_message)),
    ]
