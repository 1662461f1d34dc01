"""Registration and profile editing: language → consent → name → function → region → unit →
phone → summary → confirm.

State lives in the `drafts` table through the conversation manager (bot.conversation),
written on every answer before the bot replies, so a restart (even SIGKILL) resumes at the
last answered step. Until consent, the draft holds only the chosen language and the /start
payload; declining deletes it. A typed answer at a button step is matched to the buttons'
labels (handlers.common.match_label); a refusal repeats only the short prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    filters,
)

from bot import callbacks
from bot.commands import commands_for, set_chat_commands
from bot.context import MultaqaContext, Who
from bot.conversation import Flow, conversations
from bot.i18n import Markup, Translator
from bot.profile import (
    FUNCTION_OTHER_MAX,
    FUNCTION_OTHER_MIN,
    UNIT_MAX,
    UNIT_MIN,
    clean_free_text,
    clean_name,
    clean_phone,
)
from bot.views.keyboards import note_reader
from handlers import checkin, invites
from handlers.agenda import send_agenda
from handlers.common import (
    buttons_of,
    chat_id_of,
    drop_buttons,
    inline,
    match_label,
    reply,
    show,
    toast,
)
from handlers.event_dates import registration_open
from handlers.registration_questions import (
    BACK,
    CONFIRM,
    CONSENT,
    EDIT,
    FIELDS,
    FLOW,
    FUNCTION,
    GO_BACK,
    KEEP,
    LANG,
    MORE,
    NAME,
    REG,
    REGION,
    ask,
    data_from,
    edit_rows,
    profile_text,
    question,
)
from storage.drafts import Draft
from storage.participants import ProfileFields

log = logging.getLogger(__name__)

_TEXT_STEPS = ("name", "function_other", "unit", "phone")


# ---------------------------------------------------------------- moving between steps


async def save_draft(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """Write the draft (the active flow from now on), remembering which update moved it."""
    await conversations(context).save(update, context, draft)


async def _advance(update: Update, context: MultaqaContext, draft: Draft, step: str) -> None:
    """Save the draft at its next step, then ask that step's question."""
    if draft.data.get("editing") and step != "function_other":
        step = "summary"
    draft.step = step
    await save_draft(update, context, draft)
    await ask(update, context, draft)


async def begin(
    update: Update, context: MultaqaContext, payload: str | None = None, locale: str | None = None
) -> None:
    """Start registering (at the language step unless one is given), or resume."""
    who = context.who
    draft = who.registration
    if draft is not None:
        if payload:
            draft.data["payload"] = payload
        await save_draft(update, context, draft)  # active again if it was put aside
        await reply(update, context, who.t("reg.resume"))
        await ask(update, context, draft)
        return
    if not who.is_organizer and not await registration_open(update, context, payload):
        return  # organizers can still register (and add people) outside the window
    data: dict = {"payload": payload} if payload else {}
    if locale:
        data["locale"] = locale
    draft = Draft(who.user.id, FLOW, "consent" if locale else "language", data)
    await save_draft(update, context, draft)
    await ask(update, context, draft)


async def start_command(update: Update, context: MultaqaContext) -> None:
    """/start [payload]: register, resume, or show the profile of someone registered."""
    payload = context.args[0][:64] if context.args else None
    who = context.who
    if who.is_organizer:  # an organizer who had never opened the bot had no menu yet
        await set_chat_commands(context.bot, chat_id_of(update), who.t, who.roles)
    participant = who.participant
    if participant is not None and payload and checkin.is_checkin(context.services, payload):
        await checkin.check_in(update, context)  # a profile edit in progress simply goes on
        return
    if participant is not None and who.registration is None:
        if invites.is_invite(payload):
            await invites.open_invite(update, context, payload or "")
            return
        await show_profile(update, context)
        return
    if invites.is_invite(payload) and await invites.refuse_early(update, context, payload or ""):
        return
    await begin(update, context, payload)


async def show_profile(update: Update, context: MultaqaContext) -> None:
    """/profile: the stored profile with edit buttons."""
    who = context.who
    if who.participant is None:
        await reply(update, context, who.t("reg.not_registered"))
        await begin(update, context)
        return
    await reply(
        update,
        context,
        await profile_text(context.services, who.t, who.participant),
        inline(edit_rows(who.t)),
    )


def _step_button() -> callbacks.ButtonHandler:
    """A button of a registration step: only at the step it belongs to, once per update."""

    async def pressed(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
        who = context.who
        draft = who.registration
        if draft is not None and conversations(context).replayed(update, draft):
            await toast(update)
            await ask(update, context, draft)
            return
        if draft is None or not _fits(press, draft.step):
            await toast(update, who.t("common.stale_button"))
            await drop_buttons(update)
            return
        if await _press(update, context, draft, press) is False:
            await callbacks.refuse(update, context, "registration value")
            return
        await toast(update)
        await drop_buttons(update, context)

    return pressed


async def on_edit(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """An Edit button, from the summary or from the stored profile."""
    who = context.who
    draft = who.registration
    if draft is not None and conversations(context).replayed(update, draft):
        await toast(update)
        await ask(update, context, draft)
        return
    await _edit(update, context, press["field"])


async def on_more(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """◀️ ▶️ through a long list of functions or regions."""
    who = context.who
    draft = who.registration
    if draft is None or draft.step != press["step"]:
        await toast(update, who.t("common.stale_button"))
        await drop_buttons(update)
        return
    await toast(update)
    await drop_buttons(update, context)
    await ask(update, context, draft, press["page"])


async def _press(
    update: Update, context: MultaqaContext, draft: Draft, press: callbacks.Press
) -> bool:
    """Apply a press (or a typed label) that fits the draft's step."""
    t = context.services.texts[draft.data.get("locale", context.who.locale)]
    value = next(iter(press.values.values()), None)
    return await _BUTTONS[press.button](update, context, draft, t, value)


def _fits(press: callbacks.Press, step: str) -> bool:
    expected = {
        LANG: ("language",),
        CONSENT: ("consent",),
        NAME: ("name",),
        FUNCTION: ("function",),
        REGION: ("region",),
        CONFIRM: ("summary",),
        KEEP: ("summary",),
    }
    if press.button is GO_BACK:
        return press["step"] == step and step in BACK
    return step in expected.get(press.button, ())


async def _on_lang(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, code: str | None
) -> bool:
    if code not in context.services.texts.locales:
        return False
    draft.data["locale"] = code
    context.who.t = context.services.texts[code]
    note_reader(context.who.t.is_rtl)  # the next question's buttons, in the new language
    await _advance(update, context, draft, "consent")
    return True


async def _on_consent(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, answer: str | None
) -> bool:
    if answer == "no":
        await conversations(context).end(context, draft)
        await show(update, context, t("reg.declined"))
        return True
    if answer != "yes":
        return False
    draft.data["consent_at"] = context.services.clock.now().isoformat()
    await _advance(update, context, draft, "name")
    return True


async def _on_name(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, source: str | None
) -> bool:
    name = clean_name(context.who.user.full_name) if source == "tg" else None
    if name is None:
        return False
    draft.data["full_name"] = name
    await _advance(update, context, draft, "function")
    return True


async def _on_function(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, choice: str | None
) -> bool:
    functions = await context.services.event.choices("function")
    if choice == "other":
        draft.step = "function_other"
        await save_draft(update, context, draft)
        await ask(update, context, draft)
        return True
    if choice not in {option.code for option in functions}:
        return False
    draft.data["function_code"] = choice
    draft.data["function_other"] = None
    await _advance(update, context, draft, "region")
    return True


async def _on_region(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, choice: str | None
) -> bool:
    regions = await context.services.event.choices("region")
    if choice not in {option.code for option in regions}:
        return False
    draft.data["region_code"] = choice
    await _advance(update, context, draft, "unit")
    return True


async def _on_back(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, _step: str | None
) -> bool:
    target = "summary" if draft.data.get("editing") else BACK[draft.step]
    draft.step = target
    await save_draft(update, context, draft)
    await ask(update, context, draft)
    return True


async def _on_confirm(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, _arg: str | None
) -> bool:
    data = draft.data
    missing = [
        k
        for k in ("consent_at", "full_name", "function_code", "region_code", "unit")
        if not data.get(k)
    ]
    if missing:  # cannot happen through buttons; a stale or forged path lands here
        draft.step = _first_missing(missing)
        await save_draft(update, context, draft)
        await ask(update, context, draft)
        return True
    fields = ProfileFields(
        locale=data["locale"],
        consent_at=datetime.fromisoformat(data["consent_at"]),
        full_name=data["full_name"],
        function_code=data["function_code"],
        function_other=data.get("function_other"),
        region_code=data["region_code"],
        unit=data["unit"],
        phone=data.get("phone"),
    )
    user = context.who.user
    participant = await context.services.participants.save_profile(
        user.id, chat_id_of(update), fields
    )
    await conversations(context).end(context, draft)
    context.who.participant = participant
    key = "reg.profile_updated" if data.get("from_profile") else "reg.done"
    await reply(update, context, t(key, commands=commands_help(t, context.who)))
    await set_chat_commands(context.bot, participant.chat_id, t, context.who.roles)
    if not data.get("from_profile"):
        services = context.services
        await services.event.plan_reminders(user.id)
        payload = data.get("payload") or ""
        if checkin.is_checkin(services, payload):
            await checkin.check_in(update, context)
        if invites.is_invite(payload):
            await invites.open_invite(update, context, payload)
        await send_agenda(services, context, participant.chat_id, user.id, t)
    return True


async def _on_keep(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, _arg: str | None
) -> bool:
    await conversations(context).end(context, draft)
    await reply(update, context, t("reg.profile_kept"))
    return True


ButtonHandler = Callable[[Update, MultaqaContext, Draft, Translator, str | None], Awaitable[bool]]

_BUTTONS: dict[callbacks.Button, ButtonHandler] = {
    LANG: _on_lang,
    CONSENT: _on_consent,
    NAME: _on_name,
    FUNCTION: _on_function,
    REGION: _on_region,
    GO_BACK: _on_back,
    CONFIRM: _on_confirm,
    KEEP: _on_keep,
}


def _first_missing(missing: list[str]) -> str:
    order = {
        "consent_at": "consent",
        "full_name": "name",
        "function_code": "function",
        "region_code": "region",
        "unit": "unit",
    }
    return order[missing[0]]


async def _edit(update: Update, context: MultaqaContext, field: str | None) -> None:
    """An Edit button, from the summary or from the stored profile."""
    who = context.who
    if field not in FIELDS:
        await toast(update, who.t("common.invalid_button"))
        return
    draft = who.registration
    if draft is None:
        if who.participant is None:
            await toast(update, who.t("common.stale_button"))
            await drop_buttons(update)
            return
        draft = Draft(
            who.user.id, FLOW, field, {**data_from(who.participant), "from_profile": True}
        )
    elif draft.step != "summary":
        await toast(update, who.t("common.stale_button"))
        await drop_buttons(update)
        return
    draft.data["editing"] = True
    draft.step = field
    await save_draft(update, context, draft)
    await toast(update)
    await ask(update, context, draft)
    await drop_buttons(update, context)


# ---------------------------------------------------------------- typed answers


async def on_message(update: Update, context: MultaqaContext, draft: Draft) -> None:
    """A message while registering (from the conversation router): the current answer."""
    message = update.effective_message
    assert message is not None
    t = context.services.texts[draft.data.get("locale", context.who.locale)]
    step = draft.step
    if step == "phone":
        await _phone_answer(update, context, draft, t, message)
    elif step in _TEXT_STEPS and message.text and _typed_back(message.text, t):
        await _on_back(update, context, draft, t, step)
    elif step in _TEXT_STEPS:
        if not message.text:
            await reply(update, context, t("reg.need_text"), await _keyboard(context, draft))
        else:
            await _text_answer(update, context, draft, t, message.text)
    elif not (message.text and await _label_answer(update, context, draft, message.text)):
        # A refusal repeats the short prompt with the buttons, not the whole question.
        await reply(update, context, t("reg.use_buttons"), await _keyboard(context, draft))


def _typed_back(text: str, t: Translator) -> bool:
    return match_label(text, [(t("common.back"), "back")]) == "back"


async def _keyboard(context: MultaqaContext, draft: Draft):  # type: ignore[no-untyped-def]
    return (await question(context, draft))[1]


# What a person may type for Yes/No at the consent step, besides the buttons' labels.
_CONSENT_WORDS = {"yes": "reg.consent_yes_words", "no": "reg.consent_no_words"}


async def _label_answer(update: Update, context: MultaqaContext, draft: Draft, text: str) -> bool:
    """A typed answer at a button step: the button whose label it names, pressed."""
    t = context.services.texts[draft.data.get("locale", context.who.locale)]
    _, markup = await question(context, draft)
    buttons = buttons_of(markup if isinstance(markup, InlineKeyboardMarkup) else None)
    if draft.step == "consent":
        for answer, key in _CONSENT_WORDS.items():
            data = CONSENT(answer)
            buttons += [(word, data) for word in t(key).split(",")]
    data = match_label(text, buttons)
    press = REG.parse(data) if data else None
    if press is not None and press.button is EDIT:
        await _edit(update, context, press["field"])
        return True
    if press is None or not _fits(press, draft.step):
        return False
    return await _press(update, context, draft, press) is not False


async def _text_answer(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, text: str
) -> None:
    step = draft.step
    if step == "name":
        name = clean_name(text)
        if name is None:
            await reply(update, context, t("reg.bad_name"))
            return
        draft.data["full_name"] = name
        await _advance(update, context, draft, "function")
    elif step == "function_other":
        other = clean_free_text(text, FUNCTION_OTHER_MIN, FUNCTION_OTHER_MAX)
        if other is None:
            await reply(
                update,
                context,
                t(
                    "reg.bad_function_other",
                    low=FUNCTION_OTHER_MIN,
                    high=t.plural("count.characters", FUNCTION_OTHER_MAX),
                ),
            )
            return
        draft.data["function_code"], draft.data["function_other"] = "other", other
        await _advance(update, context, draft, "region")
    elif step == "unit":
        unit = clean_free_text(text, UNIT_MIN, UNIT_MAX)
        if unit is None:
            await reply(
                update,
                context,
                t("reg.bad_unit", low=UNIT_MIN, high=t.plural("count.characters", UNIT_MAX)),
            )
            return
        draft.data["unit"] = unit
        await _advance(update, context, draft, "phone")


async def _phone_answer(
    update: Update, context: MultaqaContext, draft: Draft, t: Translator, message: Message
) -> None:
    user = context.who.user
    if message.contact is not None:
        if message.contact.user_id != user.id:  # the button always sets it; a card may not
            await reply(update, context, t("reg.contact_not_yours"))
            return
        phone = clean_phone(message.contact.phone_number)
        if phone is None:
            await reply(update, context, t("reg.bad_phone"))
            return
    elif message.text:
        text = message.text.strip()
        if _typed_back(text, t):
            await reply(update, context, t("reg.phone_left"), ReplyKeyboardRemove())
            await _on_back(update, context, draft, t, "phone")
            return
        if match_label(text, [(t("reg.skip_phone"), "skip")]) == "skip":
            phone = None
        else:
            phone = clean_phone(text)
            if phone is None:
                await reply(update, context, t("reg.bad_phone"))
                return
    else:
        await reply(update, context, t("reg.need_phone"))
        return
    draft.data["phone"] = phone
    ack = t("reg.phone_saved", phone=phone) if phone else t("reg.phone_skipped")
    await reply(update, context, ack, ReplyKeyboardRemove())
    await _advance(update, context, draft, "summary")


# ---------------------------------------------------------------- help and wiring


def commands_help(t: Translator, who: Who) -> Markup:
    """The list of commands this person can use, one per line."""
    return Markup("\n").join(
        t("help.command", command=f"/{name}", description=t(key))
        for name, key in commands_for(who.roles)
    )


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups (see bot.app for the order)."""
    private = filters.ChatType.PRIVATE
    return [
        (0, CommandHandler("start", start_command, filters=private)),
        (0, CommandHandler("profile", show_profile, filters=private)),
        (
            0,
            callbacks.route(
                REG,
                {
                    LANG: _step_button(),
                    CONSENT: _step_button(),
                    NAME: _step_button(),
                    FUNCTION: _step_button(),
                    REGION: _step_button(),
                    GO_BACK: _step_button(),
                    CONFIRM: _step_button(),
                    KEEP: _step_button(),
                    EDIT: on_edit,
                    MORE: on_more,
                },
            ),
        ),
    ]


CONVERSATION = Flow(
    name=FLOW,
    on_message=on_message,
    ask=ask,
    title_key=lambda d: (
        "conv.flow_profile" if d.data.get("from_profile") else "conv.flow_registration"
    ),
    cancelled_key=lambda d: "reg.edit_cancelled" if d.data.get("from_profile") else "reg.cancelled",
)
