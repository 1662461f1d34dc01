"""The registration's questions: what the bot asks at each step, with its buttons, and the
summary/profile texts. Pure presentation: no state changes here."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update

from bot import callbacks
from bot.context import MultaqaContext, Services, Who
from bot.event.service import EventService
from bot.i18n import Markup, Translator
from bot.labels import function_label, region_label
from bot.profile import clean_name
from bot.views.keyboards import in_reading_order
from bot.views.paging import Entry, paged
from handlers.common import in_rows, inline, show
from storage.drafts import Draft
from storage.participants import Participant

FLOW = "registration"
PREFIX = "reg"
FIELDS = ("name", "function", "region", "unit", "phone")
# Where "Back" leads from each step (while registering; when editing, Back returns to summary).
BACK = {  # where Back leads from each step (while editing it returns to summary)
    "consent": "language",
    "name": "consent",
    "function": "name",
    "function_other": "function",
    "region": "function",
    "unit": "region",
    "phone": "unit",
    "summary": "phone",
}


REG = callbacks.Prefix(PREFIX)
LANG = REG.button("lang", callbacks.Code("locale"))
CONSENT = REG.button("consent", callbacks.OneOf("answer", ("yes", "no")))
NAME = REG.button("name", callbacks.OneOf("source", ("tg",)))
FUNCTION = REG.button("fn", callbacks.Code("function"))  # a code of the event file, or "other"
REGION = REG.button("rg", callbacks.Code("region"))
GO_BACK = REG.button("back", callbacks.OneOf("step", tuple(BACK)))
CONFIRM = REG.button("confirm")
KEEP = REG.button("keep")
EDIT = REG.button("edit", callbacks.OneOf("field", FIELDS))
MORE = REG.button("more", callbacks.OneOf("step", ("function", "region")), callbacks.PageNo())


def _back(t: Translator, step: str) -> tuple[str, str]:
    return (t("common.back"), GO_BACK(step))


def _language_buttons(context: MultaqaContext, who: Who) -> list[list[tuple[str, str]]]:
    texts = context.services.texts
    names = texts.language_names()
    first = texts.supported(who.user.language_code)
    order = sorted(names, key=lambda code: (code != first, texts.locales.index(code)))
    return [[(names[code], LANG(code))] for code in order]


async def _summary_text(services: Services, t: Translator, data: dict, heading: str) -> Markup:
    phone = data.get("phone")
    code = data.get("function_code", "")
    function = (
        (data.get("function_other") or "")
        if code == "other"
        else await function_label(services, t, code)
    )
    return t(
        heading,
        name=data.get("full_name", ""),
        function=function,
        region=await region_label(services, t, data.get("region_code", "")),
        unit=data.get("unit", ""),
        phone=phone if phone else t("reg.phone_none"),
    )


async def profile_text(services: Services, t: Translator, participant: Participant) -> Markup:
    """The stored profile, for /profile and /start."""
    return await _summary_text(services, t, data_from(participant), "reg.profile")


def edit_rows(t: Translator) -> list[list[tuple[str, str]]]:
    buttons = [(t(f"reg.edit_{f}"), EDIT(f)) for f in FIELDS]
    return in_rows(buttons, 2)


async def question(
    context: MultaqaContext, draft: Draft, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    """The question for the draft's current step, with its buttons (a page of them: an event
    file may list many functions or regions)."""
    t = context.services.texts[draft.data.get("locale", context.who.locale)]
    services = context.services
    step = draft.step
    if step == "language":
        return (
            t("reg.choose_language"),
            inline(_language_buttons(context, context.who)),
        )
    if step == "consent":
        return (
            t("reg.consent"),
            inline(
                [
                    [(t("reg.consent_accept"), CONSENT("yes"))],
                    [(t("reg.consent_decline"), CONSENT("no"))],
                    [_back(t, step)],
                ]
            ),
        )
    if step == "name":
        rows = []
        telegram_name = clean_name(context.who.user.full_name)
        if telegram_name and not draft.data.get("editing"):
            rows.append(
                [
                    (
                        t("reg.use_telegram_name", name=telegram_name),
                        NAME("tg"),
                    )
                ]
            )
        rows.append([_back(t, step)])
        return (t("reg.ask_name"), inline(rows))
    if step == "function":
        buttons = [
            (EventService.label(t, "function", choice), FUNCTION(choice.code))
            for choice in await services.event.choices("function")
        ]
        view = paged(
            [Entry("", [row]) for row in in_rows(buttons, 1)],
            page,
            lambda n: MORE(step, n),
            header=t("reg.ask_function"),
            extra_rows=[[(t("reg.function_other"), FUNCTION("other"))], [_back(t, step)]],
        )
        return (view.text, inline(view.rows))
    if step == "function_other":
        return (t("reg.ask_function_other"), inline([[_back(t, step)]]))
    if step == "region":
        buttons = [
            (EventService.label(t, "region", choice), REGION(choice.code))
            for choice in await services.event.choices("region")
        ]
        view = paged(
            [Entry("", [row]) for row in in_rows(buttons, 2)],
            page,
            lambda n: MORE(step, n),
            header=t("reg.ask_region"),
            extra_rows=[[_back(t, step)]],
        )
        return (view.text, inline(view.rows))
    if step == "unit":
        return (t("reg.ask_unit"), inline([[_back(t, step)]]))
    if step == "phone":
        keyboard = ReplyKeyboardMarkup(
            in_reading_order(
                [
                    [KeyboardButton(t.plain("reg.share_contact"), request_contact=True)],
                    [
                        KeyboardButton(t.plain("reg.skip_phone")),
                        KeyboardButton(t.plain("common.back")),
                    ],
                ],
                t.is_rtl,
            ),
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        return (t("reg.ask_phone"), keyboard)
    # summary
    heading = "reg.summary_profile" if draft.data.get("from_profile") else "reg.summary"
    rows = edit_rows(t)
    rows.append([(t("reg.confirm"), CONFIRM())])
    if draft.data.get("from_profile"):
        rows.append([(t("reg.keep_profile"), KEEP())])
    else:
        rows.append([_back(t, step)])
    return (await _summary_text(services, t, draft.data, heading), inline(rows))


async def ask(update: Update, context: MultaqaContext, draft: Draft, page: int = 0) -> None:
    """Show the question for the draft's current step: in the pressed message after a
    press, else as a new message. The summary is never overwritten by what follows
    Confirm: the receipt comes as a new message below it."""
    text, markup = await question(context, draft, page)
    await show(update, context, text, markup)


def data_from(participant: Participant) -> dict:
    """A profile as draft data (to edit it)."""
    return {
        "locale": participant.locale,
        "consent_at": participant.consent_at.isoformat(),
        "full_name": participant.full_name,
        "function_code": participant.function_code,
        "function_other": participant.function_other,
        "region_code": participant.region_code,
        "unit": participant.unit,
        "phone": participant.phone,
    }
