"""Organizers' broadcasts: compose (one text per language, optional photo or document),
choose the audience with its size, preview, then send now or schedule; a live progress
message with Stop/Resume, and a final report with the list of people not reached.

The role is checked on every command, button and message; the draft is a flow of the
conversation manager (bot.conversation). After a press, the next step is shown in the
pressed message; the preview and the receipts are new messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from markupsafe import escape
from telegram import Message, Update
from telegram.constants import MessageLimit
from telegram.ext import BaseHandler

from bot import callbacks, replies
from bot.context import MultaqaContext, Services
from bot.conversation import Flow, conversations
from bot.event.service import EventService
from bot.event.service import localized_text as localized
from bot.i18n import RTL_LOCALES, Markup, Translator, directed
from bot.outbound.sender import html_sender
from bot.outbound.versions import audience_per_version
from bot.views.paging import Entry, paged
from handlers.campaign import BC, CAMPAIGN_ROUTES, UNSCHEDULE, start_campaign
from handlers.common import (
    chat_id_of,
    drop_buttons,
    in_rows,
    inline,
    keep_pressed,
    reply,
    say,
    show,
    toast,
)
from storage.campaigns import Audience
from storage.drafts import Draft

log = logging.getLogger(__name__)

FLOW = "broadcast"
CODED = ("region", "function", "workshop", "waitlist")  # audiences that need a code
PLAIN = ("everyone", "organizers", "delegates", "checked_in", "not_checked_in")
NEW = BC.button("new")
CANCEL = BC.button("cancel")
BACK = BC.button("back")
ADD_LANGUAGE = BC.button("lang", callbacks.Code("locale"))
TO_AUDIENCE = BC.button("audience")
AUDIENCE = BC.button("aud", callbacks.OneOf("kind", PLAIN + CODED))
CODE = BC.button("code", callbacks.Code("code"))  # a region, function or workshop code
CODES_PAGE = BC.button("codes", callbacks.PageNo())
SEND = BC.button("send")
LATER = BC.button("later")
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH


def _draft(context: MultaqaContext) -> Draft | None:
    return context.who.drafts.get(FLOW)


# ---------------------------------------------------------------- composing


async def begin(update: Update, context: MultaqaContext) -> None:
    """The Broadcast button of /admin: ask for the message."""
    draft = await conversations(context).start(
        update, context, FLOW, "text", {"lang": context.who.locale, "texts": {}}
    )
    await _ask(update, context, draft)


async def _ask(update: Update, context: MultaqaContext, draft: Draft) -> None:
    t = context.who.t
    names = context.services.texts.language_names()
    cancel = (t("bc.cancel"), CANCEL())
    if draft.step == "text":
        await show(
            update,
            context,
            t("bc.ask_text", language=names[draft.data["lang"]]),
            inline([[cancel]]),
        )
    elif draft.step == "languages":
        have = draft.data["texts"]
        rows = [
            [(t("bc.add_language", language=names[code]), ADD_LANGUAGE(code))]
            for code in context.services.texts.locales
            if code not in have
        ]
        rows.append([(t("bc.continue"), TO_AUDIENCE())])
        rows.append([cancel])
        listed = t.plain("common.list_separator").join(names[code] for code in have)
        await show(update, context, t("bc.languages", languages=listed), inline(rows))
    elif draft.step == "audience":
        await _ask_audience(update, context)
    elif draft.step in CODED:
        await _ask_codes(update, context, draft.step, draft.data.get("page", 0))
    elif draft.step == "confirm":
        await _preview(update, context, draft)
    elif draft.step == "schedule":
        await show(
            update,
            context,
            t("bc.ask_time", **await context.services.event.date_examples()),
            inline([[(t("common.back"), BACK())]]),
        )


async def _ask_audience(update: Update, context: MultaqaContext) -> None:
    t = context.who.t
    repo = context.services.campaigns

    async def label(kind: str) -> tuple[str, str]:
        count = await repo.count_audience(Audience(kind))  # type: ignore[arg-type]
        return t(f"bc.audience_{kind}", n=count), AUDIENCE(kind)

    rows = [
        [await label("everyone")],
        [
            (t("bc.audience_by_region"), AUDIENCE("region")),
            (t("bc.audience_by_function"), AUDIENCE("function")),
        ],
    ]
    if await context.services.event.current() is not None:
        rows.append(
            [
                (t("bc.audience_by_workshop"), AUDIENCE("workshop")),
                (t("bc.audience_by_waitlist"), AUDIENCE("waitlist")),
            ]
        )
        rows.append([await label("checked_in"), await label("not_checked_in")])
    rows.append([await label("organizers"), await label("delegates")])
    rows.append([(t("common.back"), BACK()), (t("bc.cancel"), CANCEL())])
    await show(update, context, t("bc.ask_audience"), inline(rows))


async def _options(services: Services, t: Translator, kind: str) -> list[tuple[str, str]]:
    """(code, label) of each choice for an audience that needs a code."""
    if kind in ("region", "function"):
        return [
            (c.code, EventService.label(t, kind, c)) for c in await services.event.choices(kind)
        ]
    event = await services.event.current()
    return [(w.id, localized(dict(w.title), t)) for w in (event.workshops if event else [])]


async def _ask_codes(update: Update, context: MultaqaContext, kind: str, page: int = 0) -> None:
    t = context.who.t
    repo = context.services.campaigns
    buttons = []
    for code, label in await _options(context.services, t, kind):
        count = await repo.count_audience(Audience(kind, code))  # type: ignore[arg-type]
        # The label is the catalogue's or the event file's own text: shown as it is, not isolated.
        choice = t.plain("bc.audience_choice", label=escape(label), count=count)
        buttons.append((choice, CODE(code)))
    per_row = 2 if kind in ("region", "function") else 1
    entries = [Entry("", [row]) for row in in_rows(buttons, per_row)]
    view = paged(
        entries,
        page,
        CODES_PAGE,
        header=t(f"bc.ask_{kind}"),
        extra_rows=[[(t("common.back"), BACK())]],
    )
    await show(update, context, view.text, inline(view.rows))


def _audience_of(draft: Draft) -> Audience:
    return Audience(draft.data["audience"], draft.data.get("code"))


async def _audience_label(services: Services, t: Translator, audience: Audience) -> Markup:
    if audience.kind in CODED:
        names = dict(await _options(services, t, audience.kind))
        name = names.get(audience.code or "", audience.code or "")
        return t(f"bc.audience_{audience.kind}_named", name=name)
    return t(f"bc.audience_name_{audience.kind}")


async def _preview(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """Show each language version exactly as recipients will get it, then ask to confirm."""
    t = context.who.t
    chat_id = chat_id_of(update)
    names = context.services.texts.language_names()
    for code, text in draft.data["texts"].items():
        await say(context, chat_id, t("bc.preview_of", language=names[code]))
        send = html_sender(text, draft.data.get("media_kind"), draft.data.get("media_file_id"))
        await replies.flush(context.bot_data)  # the heading above it goes first
        await send(context.bot, chat_id)
    audience = _audience_of(draft)
    count = await context.services.campaigns.count_audience(audience)
    versions = await _versions_line(context, draft.data["texts"], audience)
    rows = [
        [(t("bc.send_now"), SEND())],
        [(t("bc.schedule"), LATER())],
        [(t("common.back"), BACK()), (t("bc.cancel"), CANCEL())],
    ]
    await reply(
        update,
        context,
        t(
            "bc.confirm",
            audience=await _audience_label(context.services, t, audience),
            people=t.plural("bc.people", count),
        )
        + versions,
        inline(rows),
    )


async def _versions_line(
    context: MultaqaContext, texts: dict[str, str], audience: Audience
) -> Markup:
    """Who gets which language version (by the fallback order), when there is a choice to
    make: several versions, or people whose language has none."""
    services, t = context.services, context.who.t
    per_locale = await services.campaigns.count_audience_by_locale(audience)
    if set(per_locale) <= set(texts) and len(texts) == 1:
        return Markup()
    counts = audience_per_version(texts, per_locale, services.settings.broadcast_fallback)
    names = services.texts.language_names()
    parts = [
        t("bc.version_count", language=names[code], people=t.plural("bc.people", n))
        for code, n in counts.items()
    ]
    return "\n" + t("bc.versions", counts=Markup(" · ").join(parts))


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


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """A message while composing (from the conversation router, which checked the role):
    a language version, or the time to schedule; at a button step, the buttons again."""
    t = context.who.t
    message = update.effective_message
    assert message is not None
    if draft.step == "schedule":
        await _take_time(update, context, draft, message.text or "")
    elif draft.step == "text":
        await _take_text(update, context, draft, message, t)
    else:
        await reply(update, context, t("reg.use_buttons"))
        await _ask(update, context, draft)


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
        await reply(update, context, t("bc.too_long", limit=t.plural("count.characters", limit)))
        return
    if media_kind:
        draft.data["media_kind"], draft.data["media_file_id"] = media_kind, file_id
    if draft.data["lang"] in RTL_LOCALES:  # the Arabic version's lines read right to left too
        marked = directed(html, rtl=True)
        if len(message.text or message.caption or "") + len(marked) - len(html) <= limit:
            html = marked
    draft.data["texts"][draft.data["lang"]] = html
    draft.data.setdefault("sources", {})[draft.data["lang"]] = message.message_id
    draft.step = "languages"
    await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def on_edit(update: Update, context: MultaqaContext, draft: Draft) -> bool:
    """An edited language version replaces that version (before it is sent); False for
    any other edit."""
    message = update.effective_message
    sources = draft.data.get("sources", {})
    lang = next(
        (code for code, mid in sources.items() if message and mid == message.message_id), None
    )
    if message is None or lang is None or lang not in draft.data["texts"]:
        return False
    t = context.who.t
    limit = CAPTION_LIMIT if draft.data.get("media_kind") else TEXT_LIMIT
    if not (message.text or message.caption) or len(message.text or message.caption or "") > limit:
        await reply(update, context, t("bc.too_long", limit=t.plural("count.characters", limit)))
        return True
    draft.data["texts"][lang] = message.text_html if message.text else (message.caption_html or "")
    await conversations(context).save(update, context, draft)
    names = context.services.texts.language_names()
    await reply(update, context, t("bc.version_updated", language=names[lang]))
    if draft.step in ("languages", "confirm"):  # what is shown must be what will be sent
        await _ask(update, context, draft)
    return True


async def _take_time(update: Update, context: MultaqaContext, draft: Draft, text: str) -> None:
    t = context.who.t
    services = context.services
    zone = await services.event.zone()
    when = parse_local_time(text, services.clock.now(), zone)
    if when is None or when <= services.clock.now():
        await reply(update, context, t("bc.bad_time", **await services.event.date_examples()))
        return
    campaign_id = await _create(context, draft)
    await services.campaigns.schedule(campaign_id, when)
    await conversations(context).end(context, draft)
    await services.audit.record(
        draft.user_id, "broadcast.schedule", f"campaign:{campaign_id}", {"at": when.isoformat()}
    )
    await reply(
        update,
        context,
        t("bc.scheduled", when=t.datetime(when, zone, "EEEE d MMMM, HH:mm")),
        inline([[(t("bc.cancel_scheduled"), UNSCHEDULE(campaign_id))]]),
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


async def on_new(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """📣 Broadcast a message, from /admin."""
    await toast(update)
    keep_pressed(context)  # the /admin menu stays usable
    await begin(update, context)


DraftAction = Callable[[Update, MultaqaContext, Draft, Any], Awaitable[None]]


def _on_draft(action: DraftAction) -> callbacks.ButtonHandler:
    """A button of the broadcast being composed: only while there is one."""

    async def pressed(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
        draft = _draft(context)
        if draft is None:
            await toast(update, context.who.t("common.stale_button"))
            await drop_buttons(update)
            return
        await toast(update)
        await action(update, context, draft, next(iter(press.values.values()), None))
        await drop_buttons(update, context)

    return pressed


async def _on_cancel(
    update: Update, context: MultaqaContext, draft: Draft, arg: str | None
) -> None:
    await conversations(context).end(context, draft)
    await show(update, context, context.who.t("bc.cancelled"))


async def _on_back(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    draft.step = _BACK.get(draft.step, draft.step)
    await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def _on_lang(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step == "languages" and arg in context.services.texts.locales:
        draft.data["lang"], draft.step = arg, "text"
        await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def _on_audience_step(
    update: Update, context: MultaqaContext, draft: Draft, arg: str | None
) -> None:
    if draft.step == "languages" and draft.data["texts"]:
        draft.step = "audience"
        await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def _on_aud(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step == "audience" and arg in PLAIN:
        draft.data["audience"], draft.data["code"], draft.step = arg, None, "confirm"
        await conversations(context).save(update, context, draft)
    elif draft.step == "audience" and arg in CODED:
        draft.step = arg
        await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def _on_code(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    codes = (
        [code for code, _ in await _options(context.services, context.who.t, draft.step)]
        if draft.step in CODED
        else []
    )
    if arg in codes:
        draft.data["audience"], draft.data["code"] = draft.step, arg
        draft.step = "confirm"
        await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


async def _on_codes_page(update: Update, context: MultaqaContext, draft: Draft, page: int) -> None:
    if draft.step in CODED:
        await _ask_codes(update, context, draft.step, page)
    else:
        await _ask(update, context, draft)


async def _on_send(update: Update, context: MultaqaContext, draft: Draft, arg: str | None) -> None:
    if draft.step != "confirm":
        await _ask(update, context, draft)
        return
    services = context.services
    campaign_id = await _create(context, draft)
    await conversations(context).end(context, draft)
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
        await conversations(context).save(update, context, draft)
    await _ask(update, context, draft)


ROUTES: dict[callbacks.Button, callbacks.ButtonHandler] = {
    NEW: on_new,
    CANCEL: _on_draft(_on_cancel),
    BACK: _on_draft(_on_back),
    ADD_LANGUAGE: _on_draft(_on_lang),
    TO_AUDIENCE: _on_draft(_on_audience_step),
    AUDIENCE: _on_draft(_on_aud),
    CODE: _on_draft(_on_code),
    CODES_PAGE: _on_draft(_on_codes_page),
    SEND: _on_draft(_on_send),
    LATER: _on_draft(_on_later),
    **CAMPAIGN_ROUTES,
}


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups (its messages come through the router)."""
    return [(0, callbacks.route(BC, ROUTES))]


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=_ask,
    title_key="conv.flow_broadcast",
    cancelled_key="bc.cancelled",
    role="organizer",
    file_steps=frozenset({"text"}),
    on_edit=on_edit,
)
