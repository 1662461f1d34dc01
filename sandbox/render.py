"""Messages as a Telegram client shows them: entities turned into safe HTML, one paragraph per
line with dir="auto" (so an Arabic line reads right to left), for the sandbox's web chat."""

from __future__ import annotations

import html
import itertools
from typing import Any

from .files import FileStore
from .markup import reply_buttons
from .state import StoredMessage

# Inline entity type -> (opening, closing) tag; block entities style the whole paragraph.
_INLINE = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "bot_command": ('<span class="command">', "</span>"),
    "mention": ('<span class="mention">', "</span>"),
}
_BLOCK = {"pre": "pre", "blockquote": "quote", "expandable_blockquote": "quote"}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:", "tel:")


def _index_map(text: str) -> list[int]:
    """UTF-16 offset -> str index (Telegram's offsets count UTF-16 code units)."""
    mapping: list[int] = []
    for index, char in enumerate(text):
        mapping.extend([index] * (2 if ord(char) > 0xFFFF else 1))
    mapping.append(len(text))
    return mapping


def _link(entity: dict[str, Any], text: str) -> tuple[str, str] | None:
    kind = entity["type"]
    if kind == "text_link":
        url = str(entity.get("url", ""))
    elif kind == "url":
        url = text if "://" in text else f"https://{text}"
    elif kind == "email":
        url = f"mailto:{text}"
    elif kind == "phone_number":
        url = f"tel:{text}"
    else:
        return None
    if not url.startswith(_SAFE_SCHEMES):
        return None
    return f'<a href="{html.escape(url)}" target="_blank" rel="noopener">', "</a>"


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Safe HTML for a text and its entities: `<p dir="auto">` per line, tags per run."""
    mapping = _index_map(text)
    spans: list[tuple[int, int, dict[str, Any]]] = []
    for entity in entities or []:
        try:
            start = mapping[int(entity["offset"])]
            end = mapping[min(int(entity["offset"]) + int(entity["length"]), len(mapping) - 1)]
        except (KeyError, ValueError, TypeError, IndexError):
            continue
        if end > start:
            spans.append((start, end, entity))
    spans.sort(key=lambda s: (s[0], -s[1]))
    paragraphs: list[str] = []
    position = 0
    for line in text.split("\n"):
        start, end = position, position + len(line)
        position = end + 1
        classes = sorted(
            {
                _BLOCK[e["type"]]
                for s, t, e in spans
                if e["type"] in _BLOCK and s < end and t > start
            }
        )
        cuts = {start, end}
        for s, t, _ in spans:
            cuts.update(c for c in (s, t) if start < c < end)
        body: list[str] = []
        ordered = sorted(cuts)
        for left, right in itertools.pairwise(ordered):
            opening, closing = [], []
            for s, t, entity in spans:
                if not (s <= left and right <= t):
                    continue
                tags = _INLINE.get(entity["type"]) or _link(entity, text[s:t])
                if tags is not None:
                    opening.append(tags[0])
                    closing.insert(0, tags[1])
            body.append("".join(opening) + html.escape(text[left:right]) + "".join(closing))
        css = f' class="{" ".join(classes)}"' if classes else ""
        paragraphs.append(f'<p dir="auto"{css}>{"".join(body) or "<br>"}</p>')
    return "".join(paragraphs)


def _file_url(file_id: str) -> str:
    return f"/sandbox/files/{file_id}"


def _media(data: dict[str, Any], files: FileStore) -> dict[str, Any] | None:
    """What a client shows for a media message, with a URL the page can open."""
    if data.get("photo"):
        largest = data["photo"][-1]
        return {"type": "photo", "url": _file_url(largest["file_id"])}
    for kind in ("voice", "audio", "video", "document"):
        item = data.get(kind)
        if item:
            record = files.get(item["file_id"])
            return {
                "type": kind,
                "url": _file_url(item["file_id"]),
                "file_name": item.get("file_name") or (record.file_name if record else None),
                "mime_type": item.get("mime_type"),
                "size": item.get("file_size"),
            }
    if data.get("sticker"):
        return {"type": "sticker", "emoji": data["sticker"].get("emoji", "")}
    if data.get("contact"):
        contact = data["contact"]
        return {
            "type": "contact",
            "name": " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p),
            "phone": contact.get("phone_number", ""),
        }
    if data.get("location"):
        return {"type": "location", **data["location"]}
    return None


def _inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    rows = []
    for row in (markup or {}).get("inline_keyboard", []):
        rows.append(
            [
                {
                    "text": button.get("text", ""),
                    "url": button.get("url")
                    if str(button.get("url", "")).startswith(_SAFE_SCHEMES)
                    else None,
                    "callback": "callback_data" in button,
                }
                for button in row
            ]
        )
    return rows


def render_message(stored: StoredMessage, files: FileStore) -> dict[str, Any]:
    """One message as the web chat draws it."""
    data = stored.data
    if "text" in data:
        body = entities_to_html(data["text"], data.get("entities"))
    elif "caption" in data:
        body = entities_to_html(data["caption"], data.get("caption_entities"))
    else:
        body = ""
    return {
        "message_id": stored.message_id,
        "from_bot": stored.from_bot,
        "date": data.get("date"),
        "edited": "edit_date" in data,
        "html": body,
        "media": _media(data, files),
        "buttons": _inline_rows(data.get("reply_markup")),
    }


def render_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reply keyboard under the input field, if the bot set one."""
    rows = reply_buttons(markup)
    if not rows:
        return None
    return {
        "rows": [
            [
                {
                    "text": b.get("text", ""),
                    "contact": bool(b.get("request_contact")),
                    "location": bool(b.get("request_location")),
                }
                for b in row
            ]
            for row in rows
        ],
        "placeholder": (markup or {}).get("input_field_placeholder"),
    }
