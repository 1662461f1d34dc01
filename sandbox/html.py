"""Telegram-style parsing of parse_mode=HTML into visible text and message entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag name -> entity type, the set Telegram's HTML mode accepts.
_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = frozenset(" \t\r\n\v\f\0")
_TEXT_RUN = re.compile(r"[^<&]+")
_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z]{1,10}));")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; str(err) is Telegram's reason."""


@dataclass
class _Open:
    """A start tag waiting for its end tag."""

    name: str
    start: int  # UTF-16 offset in the visible text
    chunk: int  # index into the output chunk list, to recover the tag's own text
    attrs: dict[str, str] = field(default_factory=dict)
    language: str = ""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(src: str, index: int) -> int:
    # Telegram reports positions in UTF-8 bytes; computed only on the error path.
    return len(src[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(match: re.Match[str]) -> str | None:
    dec, hexa, name = match.groups()
    if name is not None:
        return _NAMED.get(name)
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attr(value: str) -> str:
    # Attribute values are decoded leniently, as Telegram does.
    def repl(match: re.Match[str]) -> str:
        return _decode_entity(match) or match.group(0)

    return _ENTITY.sub(repl, value) if "&" in value else value


def _skip_spaces(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in _SPACE:
        i += 1
    return i


def _read_attrs(src: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Read attributes after a tag name; return them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(src)
    while True:
        i = _skip_spaces(src, i)
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and src[i] not in _SPACE and src[i] not in "=>":
            i += 1
        name = src[start:i].lower()
        if not name:
            raise HtmlError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, start)}'
            )
        i = _skip_spaces(src, i)
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(src, i)}"
            )
        i = _skip_spaces(src, i + 1)
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] in "'\"":
            end = src.find(src[i], i + 1)
            if end < 0:
                raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            raw, i = src[i + 1 : end], end + 1
        else:
            start = i
            while i < n and src[i] not in _SPACE and src[i] != ">":
                i += 1
            raw = src[start:i]
            if not raw:
                raise HtmlError(
                    f"Unexpected end of name token at byte offset {_byte_offset(src, i)}"
                )
        attrs[name] = _unescape_attr(raw)


def _open_tag(src: str, i: int, begin: int, pos: int, chunk: int) -> tuple[_Open, int]:
    """Parse a start tag at src[begin] == '<'; i points after '<'."""
    n = len(src)
    j = i
    while j < n and src[j] not in _SPACE and src[j] != ">":
        j += 1
    if j >= n:
        raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
    name = src[i:j].lower()
    if name not in _TAGS:
        raise HtmlError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, begin)}')
    attrs, end = _read_attrs(src, j, name, begin)
    tag = _Open(name, pos, chunk, attrs)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}'
        )
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlError("Invalid custom emoji identifier specified")
    if name == "code" and attrs.get("class", "").startswith("language-"):
        tag.language = attrs["class"][len("language-") :]
    return tag, end


def _entity(tag: _Open, end: int, stack: list[_Open], out: list[str]) -> dict[str, Any] | None:
    """Turn a closed tag into a Bot API MessageEntity dict (None if it yields none)."""
    length = end - tag.start
    if length <= 0:
        return None
    if tag.name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity carrying the language.
        stack[-1].language = stack[-1].language or tag.language
        return None
    entity: dict[str, Any] = {"type": _TAGS[tag.name], "offset": tag.start, "length": length}
    if tag.name == "a":
        url = tag.attrs.get("href") or "".join(out[tag.chunk :])
        if url.startswith("tg://user?id=") and url[13:].isdigit():
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(url[13:]), "is_bot": False, "first_name": ""}
        else:
            entity["url"] = url
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    return entity


def _close_tag(src: str, i: int, begin: int, stack: list[_Open]) -> tuple[_Open, int]:
    """Parse an end tag; i points after '</'. Return the matching open tag."""
    if not stack:
        raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
    n = len(src)
    j = i
    while j < n and src[j] not in _SPACE and src[j] != ">":
        j += 1
    name = src[i:j].lower()
    j = _skip_spaces(src, j)
    if j >= n or src[j] != ">":
        raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
    top = stack[-1]
    if name and name != top.name:
        raise HtmlError(
            f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    return stack.pop(), j + 1


def parse_html(src: str, *, strict_amp: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Return (visible text, entities) for Telegram HTML, or raise HtmlError.

    strict_amp rejects a bare '&'; Telegram itself keeps it literally, but its docs require
    escaping and an unescaped '&' usually means user input reached the message unescaped.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    pos = 0
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "&":
            match = _ENTITY.match(src, i)
            decoded = _decode_entity(match) if match else None
            if decoded is None or match is None:
                if strict_amp:
                    raise HtmlError(f'Unescaped "&" at byte offset {_byte_offset(src, i)}')
                decoded, end = "&", i + 1
            else:
                end = match.end()
            out.append(decoded)
            pos += utf16_len(decoded)
            i = end
        elif c != "<":
            run = _TEXT_RUN.match(src, i)
            assert run is not None  # src[i] is neither '<' nor '&'
            out.append(run.group())
            pos += utf16_len(run.group())
            i = run.end()
        elif i + 1 < n and src[i + 1] == "/":
            tag, i = _close_tag(src, i + 2, i, stack)
            entity = _entity(tag, pos, stack, out)
            if entity is not None:
                entities.append(entity)
        else:
            tag, i = _open_tag(src, i + 1, i, pos, len(out))
            stack.append(tag)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
