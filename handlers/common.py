"""Small helpers shared by the flows: sending texts, keyboards, button answers, showing the
next question in the pressed message, and matching typed text to button labels."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import replies
from bot.context import MultaqaContext
from bot.conversation import Flow
from bot.i18n import Markup, as_plain, escape
from bot.views.keyboards import inline_keyboard
from storage.drafts import Draft

log = logging.getLogger(__name__)

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
FileCallback = Callable[[Update, MultaqaContext], Awaitable[None]]


def chat_id_of(update: Update) -> int:
    """The chat an update came from (every update our handlers accept has one)."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return chat.id


def label(text: str) -> str:
    """A button label, toast or file name: plain text (a translated Markup loses its tags and
    entities, so `Formation & emploi` reads as written)."""
    return as_plain(text)


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data) in logical order, laid out for
    the reader's direction (see bot.views.keyboards); labels are shown as plain text."""
    return inline_keyboard(rows)


def in_rows(items: Sequence[tuple[str, str]], per_row: int) -> list[list[tuple[str, str]]]:
    """Split buttons into rows of `per_row`."""
    return [list(items[i : i + per_row]) for i in range(0, len(items), per_row)]


async def say(context: MultaqaContext, chat_id: int, text: str, markup: Keyboard = None) -> None:
    """Send a message to a chat: a Markup (from the catalogue) as HTML; a plain str as it is.
    Part of the update's effect: sent once what the update saved is committed (bot.replies)."""
    context.sent_message = True
    html = text if isinstance(text, Markup) else escape(text)
    await replies.queue(context.bot, replies.send_message(chat_id, str(html), markup))


async def show(
    update: Update,
    context: MultaqaContext,
    text: str,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
) -> None:
    """Show the next step of a conversation. After a button press, the pressed message itself
    becomes the next question (one editMessageText, with answerCallbackQuery two Bot API calls
    per press instead of three); otherwise, or when that cannot be done, a new message.

    A new message is sent instead when: the update is not a press; this update already sent or
    edited something (the question must stay the last thing the person reads); the pressed
    message is a photo or document; the next question needs a reply keyboard (Telegram only
    sets those with a new message). Use `reply` where the history matters (a summary the
    person confirms, a receipt with a reference).
    """
    query = update.callback_query
    pressed = query.message if query is not None else None
    if (
        query is not None
        and isinstance(pressed, Message)
        and pressed.text is not None
        and not isinstance(markup, ReplyKeyboardMarkup)
        and not context.sent_message
        and not context.pressed_message_edited
    ):
        html = text if isinstance(text, Markup) else escape(text)
        context.pressed_message_edited = True
        await replies.queue(
            context.bot,
            replies.replace_pressed(pressed.chat.id, pressed.message_id, str(html), markup),
        )
        return
    await reply(update, context, text, markup)


async def reply(
    update: Update, context: MultaqaContext, text: str, markup: Keyboard = None
) -> None:
    """Answer in the chat the update came from."""
    await say(context, chat_id_of(update), text, markup)


async def toast(update: Update, text: str | None = None) -> None:
    """Answer a button press (every press must be answered), optionally with a short notice."""
    query = update.callback_query
    if query is None:
        return
    chat = update.effective_chat
    op = replies.answer_press(query.id, chat.id if chat else None, label(text) if text else None)
    await replies.queue(query.get_bot(), op)


def keep_pressed(context: MultaqaContext) -> None:
    """The pressed message stays as it is, buttons included (a menu): what this update
    shows next comes as new messages."""
    context.pressed_message_edited = True


async def drop_buttons(update: Update, context: MultaqaContext | None = None) -> None:
    """Remove the inline keyboard of the pressed message so it cannot be pressed twice
    (nothing to do when `show` already turned it into the next question)."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    if query.message.reply_markup is None:
        return
    if context is not None and context.pressed_message_edited:
        return
    message = query.message
    await replies.queue(query.get_bot(), replies.drop_keyboard(message.chat.id, message.message_id))


# ---------------------------------------------------------------- typed answers to buttons

_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_TATWEEL = "\u0640"
# Inclusive forms in labels: "Inspecteur·rice", "مدير(ة)". Typed answers use one form.
_INCLUSIVE = re.compile(r"·\w+|\(\w+\)")


def normalize(text: str) -> str:
    """A typed answer or a label reduced to what a person means by it: case, accents,
    emoji and punctuation, Arabic letter variants (أ/إ/آ→ا, ة→ه, ى→ي), tatweel, harakat
    and extra spaces do not count."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace(_TATWEEL, ""))
    kept = []
    for char in decomposed.translate(_ARABIC_LETTERS):
        category = unicodedata.category(char)
        if category.startswith("M"):  # accents, harakat
            continue
        kept.append(char if category[0] in "LN" else " ")
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split()).translate(_ARABIC_LETTERS)


_MIDDOT_ENDING = re.compile(r"(\w+)·(\w+)")


def _feminine(match: re.Match[str]) -> str:
    stem, ending = match.group(1), match.group(2)
    if stem.endswith("eur") and ending.startswith("r"):  # Inspecteur·rice → Inspectrice
        return stem[:-3] + ending
    return stem + ending  # Délégué·e → Déléguée


def label_forms(label: str) -> set[str]:
    """The ways a person may type a label: as written, without its inclusive endings
    ("Inspecteur·rice" → "inspecteur", "مدير(ة) مركز" → "مدير مركز"), or with them joined
    ("inspectrice", "مديرة مركز")."""
    forms = {normalize(label), normalize(_INCLUSIVE.sub("", label))}
    forms.add(normalize(_MIDDOT_ENDING.sub(_feminine, label.replace("(", "").replace(")", ""))))
    return {form for form in forms if form}


def match_label(text: str, buttons: Iterable[tuple[str, str]]) -> str | None:
    """The value of the one button whose label the typed text names (see `normalize`), or
    None when it names none or several. `buttons` are (label, value) pairs."""
    wanted = normalize(text)
    if not wanted:
        return None
    found = {value for label, value in buttons if wanted in label_forms(label)}
    return found.pop() if len(found) == 1 else None


def buttons_of(markup: InlineKeyboardMarkup | None) -> list[tuple[str, str]]:
    """(label, callback data) of every button of an inline keyboard."""
    if markup is None:
        return []
    return [
        (button.text, str(button.callback_data))
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data is not None
    ]


def file_of(message: Message) -> tuple[str, str, str | None] | None:
    """(kind, Telegram file id, file name) of the file a message carries, for the kinds a
    proposal or an evidence can hold; None for a message without one (or a sticker...)."""
    if message.photo:
        return "photo", message.photo[-1].file_id, None
    if message.voice:
        return "voice", message.voice.file_id, None
    for kind in ("audio", "document", "video"):
        media = getattr(message, kind)
        if media is not None:
            return kind, media.file_id, media.file_name
    return None


def preview_flow(flow: str, title_key: str, cancelled_key: str) -> Flow:
    """The flow of an organizer's upload shown as a preview that waits for its buttons (an
    event file, a recommendations table). While it waits, anything typed is answered as if no
    flow were open (the preview stays, its buttons still work); /resume says to use them."""

    async def typed(update: Update, context: MultaqaContext, draft: Draft) -> bool:
        return False

    async def ask_again(update: Update, context: MultaqaContext, draft: Draft) -> None:
        await reply(update, context, context.who.t("conv.use_buttons_above"))

    return Flow(
        name=flow,
        on_message=typed,
        ask=ask_again,
        title_key=title_key,
        cancelled_key=cancelled_key,
        role="organizer",
    )


def upload_handlers(
    route: BaseHandler, on_file: FileCallback, *extensions: str
) -> list[tuple[int, BaseHandler]]:
    """The handlers of a preview flow: its buttons' route, and a private upload with one of
    `extensions` starting the flow like a command."""
    files = filters.Document.FileExtension(extensions[0])
    for extension in extensions[1:]:
        files |= filters.Document.FileExtension(extension)
    upload = MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & files, on_file)
    return [(0, route), (0, upload)]
