"""One pager for every list that can grow: a message never passes Telegram's limits
(4,096 UTF-16 units of text, 100 buttons), and every item stays reachable with ◀️ ▶️.

A view renders all its entries (text and buttons of each), then `paged` cuts them into pages
greedily, in order, and returns the page asked for with a navigation row
`◀️ · 2/5 · ▶️`. Pages are recomputed on every press from the data as it is now, so a page
number in a button is only a hint: past the end shows the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.i18n import Markup, escape, plain_text

TEXT_LIMIT = 4096  # Telegram counts UTF-16 code units, after HTML parsing
BUTTON_LIMIT = 100
Rows = list[list[tuple[str, str]]]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (characters outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, marker: str = "…") -> str:
    """Plain text shortened to at most `limit` UTF-16 units, `marker` included."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(marker)
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + marker


@dataclass(slots=True)
class Entry:
    """One item of a list: its text (safe HTML) and its own buttons."""

    text: str
    rows: Rows = field(default_factory=list)

    @property
    def buttons(self) -> int:
        return sum(len(row) for row in self.rows)


@dataclass(slots=True)
class Page:
    """What to send: the text, every button row (navigation included), where we are."""

    text: str
    rows: Rows
    number: int  # 0-based
    count: int


def _fit(entry: Entry, room: int) -> Entry:
    """An entry too long for any page (an event file's very long title, say): its text as
    plain text, cut to fit, so the list still shows and pages rather than failing."""
    plain = plain_text(entry.text)
    low, high = 1, room  # the longest cut whose escaped form fits (escaping lengthens it)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_len(escape(cut(plain, middle))) <= room:
            low = middle
        else:
            high = middle - 1
    return Entry(escape(cut(plain, low)), entry.rows)


def fitted(entries: Sequence[Entry], room: int) -> list[Entry]:
    """The entries, each one that could not fit on a page alone made to fit."""
    return [e if utf16_len(e.text) <= room else _fit(e, room) for e in entries]


def split(
    entries: Sequence[Entry],
    *,
    fixed_text: int,
    fixed_buttons: int,
    separator: str = "\n\n",
    text_limit: int = TEXT_LIMIT,
    button_limit: int = BUTTON_LIMIT,
) -> list[range]:
    """The entries of each page. `fixed_*` is what every page carries besides its entries
    (header, footer, extra buttons); the navigation row is reserved here."""
    text_room = text_limit - fixed_text
    button_room = button_limit - fixed_buttons - 3
    sep = utf16_len(separator)
    pages: list[range] = []
    start, used_text, used_buttons = 0, 0, 0
    for index, entry in enumerate(entries):
        size = utf16_len(entry.text) + sep if entry.text else 0
        buttons = entry.buttons
        if buttons > button_room:
            raise ValueError(f"entry {index} has {buttons} buttons: more than a page holds")
        full = used_text + size > text_room or used_buttons + buttons > button_room
        if index > start and full:
            pages.append(range(start, index))
            start, used_text, used_buttons = index, 0, 0
        used_text += size
        used_buttons += buttons
    pages.append(range(start, len(entries)))
    return pages


def _layout(
    entries: Sequence[Entry],
    header: str,
    footer: str,
    extra: Rows,
    separator: str,
    text_limit: int,
) -> tuple[list[Entry], list[range]]:
    fixed = utf16_len(header) + utf16_len(separator) + utf16_len(footer) + utf16_len(separator)
    fit = fitted(entries, text_limit - fixed - utf16_len(separator))
    ranges = split(
        fit,
        fixed_text=fixed,
        fixed_buttons=sum(len(row) for row in extra),
        separator=separator,
        text_limit=text_limit,
    )
    return fit, ranges


def paged(
    entries: Sequence[Entry],
    number: int,
    nav: Callable[[int], str],
    *,
    header: str = "",
    footer: str = "",
    extra_rows: Rows | None = None,
    separator: str = "\n\n",
    text_limit: int = TEXT_LIMIT,
) -> Page:
    """Page `number` of the list (clamped), with ◀️ n/N ▶️ when there is more than one."""
    extra = extra_rows or []
    fit, ranges = _layout(entries, header, footer, extra, separator, text_limit)
    number = max(0, min(number, len(ranges) - 1))
    shown = [fit[i] for i in ranges[number]]
    parts = [header] if header else []
    parts += [entry.text for entry in shown if entry.text]
    if footer:
        parts.append(footer)
    rows: Rows = [row for entry in shown for row in entry.rows]
    if len(ranges) > 1:
        row = []
        if number > 0:
            row.append(("◀️", nav(number - 1)))
        row.append((f"{number + 1}/{len(ranges)}", nav(number)))
        if number < len(ranges) - 1:
            row.append(("▶️", nav(number + 1)))
        rows.append(row)
    rows.extend(extra)
    return Page(Markup(separator).join(parts), rows, number, len(ranges))


def page_of(
    entries: Sequence[Entry],
    index: int,
    *,
    header: str = "",
    footer: str = "",
    extra_rows: Rows | None = None,
    separator: str = "\n\n",
    text_limit: int = TEXT_LIMIT,
) -> int:
    """The page on which entry `index` lands (to show a list again where the person was);
    takes the same layout arguments as `paged`."""
    _, ranges = _layout(entries, header, footer, extra_rows or [], separator, text_limit)
    return next((n for n, r in enumerate(ranges) if index in r), 0)
