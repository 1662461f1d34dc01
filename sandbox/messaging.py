"""Bot API methods that send, edit or delete messages in a chat."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import bad_request, forbidden
from .files import StoredFile
from .html import HtmlError, parse_html, utf16_len
from .markup import check_markup
from .params import Params, Upload
from .state import ChatState, StoredMessage

if TYPE_CHECKING:
    from .emulator import BotApiEmulator

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_DELETE_WINDOW = 48 * 3600  # bots may delete messages for 48 hours


def target_chat(emu: BotApiEmulator, p: Params, method: str, *, sending: bool = True) -> ChatState:
    """Resolve chat_id; for sends also apply injected faults, blocks and the first-contact rule."""
    raw = p.raw.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    try:
        chat = emu.chats.get(int(raw))
    except (TypeError, ValueError):
        chat = None  # "@username" only works for public channels, which are not emulated
    if chat is None:
        raise bad_request("chat not found")
    if sending:
        error = emu.faults.check(method, chat.chat_id)
        if error is not None:
            raise error
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if not chat.started:
            raise forbidden("bot can't initiate conversation with a user")
    return chat


# An address in a message, as Telegram detects it: up to a space, a quote, an angle bracket or
# an invisible direction mark (these are not part of a URL).
_URL = re.compile(r"https?://[^\s<>\"\u200e\u200f\u2066-\u2069]+")


def _with_links(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities plus a `url` entity for each address not already in a link, as Telegram
    adds them to the message it returns (so the web chat shows a link one can open)."""
    linked = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e.get("type") in ("text_link", "url")
    ]
    found = []
    for match in _URL.finditer(text):
        offset = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0).rstrip(".,;:!?)"))
        if not any(start < offset + length and offset < end for start, end in linked):
            found.append({"type": "url", "offset": offset, "length": length})
    return sorted([*entities, *found], key=lambda e: (e["offset"], -e["length"]))


def _format(
    p: Params, raw: str, entities_field: str
) -> tuple[str, list[dict[str, Any]], str | None]:
    """Apply parse_mode: return visible text, entities and the mode used."""
    mode = p.text("parse_mode") or None
    if mode is None:
        entities = p.obj(entities_field) or []
        if not isinstance(entities, list):
            raise bad_request(f"can't parse {entities_field} JSON object")
        return raw, _with_links(raw, entities), None
    lowered = mode.lower()
    if lowered == "html":
        try:
            text, entities = parse_html(raw)
        except HtmlError as err:
            raise bad_request(f"can't parse entities: {err}") from None
        return text, _with_links(text, entities), mode
    if lowered in ("markdown", "markdownv2"):
        return raw, [], mode  # accepted but not parsed: the bot uses HTML
    raise bad_request("unsupported parse_mode")


def _text_body(p: Params, too_long: str) -> tuple[str, str, list[dict[str, Any]], str | None]:
    """Validate the text parameter: (raw, visible text, entities, parse mode)."""
    raw = p.text("text") or ""
    if not raw:
        raise bad_request("message text is empty")
    text, entities, mode = _format(p, raw, "entities")
    if not text.strip():
        raise bad_request("message must be non-empty")
    if utf16_len(text) > 4096:
        raise bad_request(too_long)
    return raw, text, entities, mode


def _caption(p: Params) -> tuple[str | None, dict[str, Any], str | None]:
    """Validate a media caption: (raw, message fields, parse mode)."""
    raw = p.text("caption") or ""
    if not raw:
        return None, {}, p.text("parse_mode") or None
    text, entities, mode = _format(p, raw, "caption_entities")
    if utf16_len(text) > 1024:
        raise bad_request("message caption is too long")
    fields: dict[str, Any] = {"caption": text}
    if entities:
        fields["caption_entities"] = entities
    return raw, fields, mode


def _reply_to(chat: ChatState, p: Params) -> dict[str, Any] | None:
    """The replied-to message for reply_parameters / reply_to_message_id."""
    params = p.obj("reply_parameters") or {}
    message_id = params.get("message_id") or p.integer("reply_to_message_id")
    if not message_id:
        return None
    target = chat.messages.get(int(message_id))
    if target is None:
        allow = params.get("allow_sending_without_reply") or p.flag("allow_sending_without_reply")
        if allow:
            return None
        raise bad_request("message to be replied not found")
    # Telegram does not nest replies more than one level deep.
    return {k: v for k, v in target.data.items() if k != "reply_to_message"}


def _post(
    emu: BotApiEmulator,
    chat: ChatState,
    fields: dict[str, Any],
    *,
    kind: str,
    html: str | None,
    mode: str | None,
    markup: dict[str, Any] | None,
) -> dict[str, Any]:
    """Pass flood control, then store a new bot message, notify the test side, return its JSON."""
    flooded = emu.flood.admit(chat.chat_id)
    if flooded is not None:
        raise flooded
    emu.delivered[chat.chat_id] += 1
    chat.action_at = 0.0  # a message ends "typing…", as in Telegram
    message_id = chat.next_message_id()
    data = {
        "message_id": message_id,
        "from": emu.bot_user,
        "chat": chat.chat,
        "date": emu.now(),
        **fields,
    }
    if markup is not None and "inline_keyboard" in markup:
        data["reply_markup"] = markup  # Messages only echo inline keyboards
    stored = StoredMessage(message_id, data, True, html=html, parse_mode=mode, markup=markup)
    chat.store(stored)
    chat.emit(stored, kind)
    return data


def send_message(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendMessage."""
    markup = check_markup(p.obj("reply_markup"))
    raw, text, entities, mode = _text_body(p, "message is too long")
    chat = target_chat(emu, p, "sendMessage")
    fields: dict[str, Any] = {"text": text}
    if entities:
        fields["entities"] = entities
    reply = _reply_to(chat, p)
    if reply is not None:
        fields["reply_to_message"] = reply
    preview = p.obj("link_preview_options")
    if preview is None and p.flag("disable_web_page_preview"):
        preview = {"is_disabled": True}
    if preview:
        fields["link_preview_options"] = preview
    return _post(emu, chat, fields, kind="message", html=raw, mode=mode, markup=markup)


def _input_file(emu: BotApiEmulator, p: Params, field: str) -> StoredFile:
    """An uploaded part, an attach:// reference, a URL, or a known file_id."""
    value = p.raw.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.raw.get(value[len("attach://") :])
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        if field == "photo":  # Telegram re-encodes photos and forgets the name
            return emu.files.add("photo", value.data, mime_type="image/jpeg")
        mime = value.content_type if value.content_type != "application/octet-stream" else None
        return emu.files.add(field, value.data, file_name=value.filename or None, mime_type=mime)
    if isinstance(value, str) and value:
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return emu.files.add(field, b"", file_name=name, url=value)
        known = emu.files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known
    raise bad_request(f"there is no {field} in the request")


def _send_media(emu: BotApiEmulator, p: Params, field: str, method: str) -> dict[str, Any]:
    markup = check_markup(p.obj("reply_markup"))
    raw, fields, mode = _caption(p)
    record = _input_file(emu, p, field)
    chat = target_chat(emu, p, method)
    fields[field] = record.as_photo() if field == "photo" else _media_json(record, field)
    reply = _reply_to(chat, p)
    if reply is not None:
        fields["reply_to_message"] = reply
    return _post(emu, chat, fields, kind=field, html=raw, mode=mode, markup=markup)


def _media_json(record: StoredFile, field: str) -> dict[str, Any]:
    """Document-like JSON plus the fields Voice, Audio and Video require."""
    data = record.as_document()
    if field in ("voice", "audio", "video"):
        data["duration"] = 1
    if field == "video":
        data.update(width=320, height=240)
    return data


def send_voice(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendVoice."""
    return _send_media(emu, p, "voice", "sendVoice")


def send_audio(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendAudio."""
    return _send_media(emu, p, "audio", "sendAudio")


def send_video(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendVideo."""
    return _send_media(emu, p, "video", "sendVideo")


def send_document(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendDocument."""
    return _send_media(emu, p, "document", "sendDocument")


def send_photo(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """sendPhoto."""
    return _send_media(emu, p, "photo", "sendPhoto")


def _editable(chat: ChatState, p: Params) -> StoredMessage:
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline-mode messages are not emulated
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = chat.messages.get(message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return stored


def _apply_edit(
    emu: BotApiEmulator, chat: ChatState, stored: StoredMessage, changes: dict[str, Any]
) -> dict[str, Any]:
    """Pass flood control, replace the message JSON (None values drop keys), report an edit."""
    flooded = emu.flood.admit_edit(chat.chat_id)
    if flooded is not None:
        raise flooded
    data = {k: v for k, v in stored.data.items() if k not in changes}
    data.update((k, v) for k, v in changes.items() if v is not None)
    data["edit_date"] = emu.now()
    stored.data = data
    chat.emit(stored, "edit")
    return data


def edit_message_text(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """editMessageText (no reply_markup removes the inline keyboard, as in Telegram)."""
    markup = check_markup(p.obj("reply_markup"), inline_only=True)
    raw, text, entities, mode = _text_body(p, "MESSAGE_TOO_LONG")
    chat = target_chat(emu, p, "editMessageText")
    stored = _editable(chat, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    old = stored.data
    if (
        old["text"] == text
        and old.get("entities", []) == entities
        and (old.get("reply_markup") == markup)
    ):
        raise bad_request(_NOT_MODIFIED)
    stored.html, stored.parse_mode, stored.markup = raw, mode, markup
    changes = {"text": text, "entities": entities or None, "reply_markup": markup}
    return _apply_edit(emu, chat, stored, changes)


def edit_message_reply_markup(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """editMessageReplyMarkup."""
    markup = check_markup(p.obj("reply_markup"), inline_only=True)
    chat = target_chat(emu, p, "editMessageReplyMarkup")
    stored = _editable(chat, p)
    if stored.data.get("reply_markup") == markup:
        raise bad_request(_NOT_MODIFIED)
    stored.markup = markup
    return _apply_edit(emu, chat, stored, {"reply_markup": markup})


def delete_message(emu: BotApiEmulator, p: Params) -> bool:
    """deleteMessage."""
    chat = target_chat(emu, p, "deleteMessage", sending=False)
    message_id = p.integer("message_id")
    stored = chat.messages.get(message_id) if message_id is not None else None
    if stored is None:
        raise bad_request("message to delete not found")
    if emu.now() - int(stored.data["date"]) > _DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    del chat.messages[stored.message_id]
    chat.touch()
    return True


def send_chat_action(emu: BotApiEmulator, p: Params) -> bool:
    """sendChatAction."""
    action = p.text("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = target_chat(emu, p, "sendChatAction")
    chat.chat_actions.append(action)
    chat.action_at = emu.monotonic()
    chat.touch()
    return True
