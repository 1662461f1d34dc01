"""Validation and inspection of reply_markup (inline and reply keyboards)."""

from __future__ import annotations

from typing import Any

from .errors import bad_request

# Fields that give an inline button an action; a button needs exactly one of them.
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")
_MAX_BUTTONS = 100


def _inline_error(reason: str) -> Exception:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _inline_error("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _inline_error('Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise _inline_error('Field "text" must be of type String')
    # Telegram treats an empty action field (e.g. callback_data "") as absent.
    if not any(button.get(name) not in (None, "", False) for name in _INLINE_ACTIONS):
        raise _inline_error("Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data not in (None, "") and (not isinstance(data, str) or len(data.encode()) > 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url not in (None, "") and (not isinstance(url, str) or not url.startswith(_URL_SCHEMES)):
        reason = f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        raise bad_request(reason)


def _rows(markup: dict[str, Any], key: str, what: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'can\'t parse {what}: Field "{key}" must be an Array of Arrays')
    if sum(len(row) for row in rows) > _MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return rows


def check_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a decoded reply_markup like Telegram; return it (None if absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard", "inline keyboard button"):
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard", "keyboard button"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request('can\'t parse keyboard button: Field "text" must be a String')
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("object expected as reply markup")


def inline_buttons(markup: dict[str, Any] | None) -> list[list[tuple[str, str | None]]]:
    """Inline keyboard as rows of (label, callback_data or url)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(b["text"], b.get("callback_data") or b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]


_INVISIBLE = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def seen(text: str) -> str:
    """A label as a person reads it: without the invisible direction marks and isolates."""
    return text.translate(_INVISIBLE)


def find_inline_button(markup: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    """The inline button with this label as a person reads it, if any."""
    if markup and "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                if seen(button["text"]) == seen(label):
                    return button
    return None


def reply_buttons(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]] | None:
    """A reply keyboard as rows of KeyboardButton dicts (plain strings normalised)."""
    if not markup or "keyboard" not in markup:
        return None
    return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in markup["keyboard"]]
