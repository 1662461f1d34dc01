"""Translations from the gettext catalogues in locales/: safe HTML by type, plurals, direction.

Message ids are stable keys (`reg.ask_name`); every catalogue, English included, translates them.

The text API (everything a handler needs):

- `t(key, **values) -> Markup`: the message as safe Telegram HTML. Plain `str` values are
  escaped and wrapped in Unicode isolates (a Latin name inside Arabic keeps its own direction);
  `Markup` values (another `t(...)`, a `Markup("\n").join(...)`) are inserted as they are;
  ints and floats are formatted as numbers of the language. Nobody calls `html.escape`.
- `t.plural(key, n, **values) -> Markup`: the plural form for `n` ({n} is a placeholder).
- `t.plain(key, **values) -> str` / `t.plain_plural(key, n, **values)`: the same text as plain
  text, for button labels, toasts (callback answers), file names and captions sent without
  parse mode: no tags, no entities (`R&D <interne>` stays exactly that).
- `plain_text(markup)`: any Markup as plain text; `terminal(text)`: plain text without the bidi
  marks, for the command-line tools; `unmarked(text)`: without the marks, to compare what a person
  typed with a label.
- `t.span(start, end) -> Markup`: a range of times, left to right in every language.
- `Message(key, **values)`: a text to render later, for code below the handlers (event-file
  problems, import reasons, settings): a `str` that reads as its English text, shown to a person
  with `message.render(t)` / `message.plain(t)`; a count inside is `Plural("count.files", 3)`.
- handlers.common does the rest: `say`/`reply` send a Markup as HTML (a plain `str` is escaped,
  shown as typed); `inline` rows and `toast` texts become plain text (reply-keyboard labels:
  `t.plain`).
  Labels of regions, functions and rooms come from `bot.labels`.
- Joining: `Markup("\n").join(parts)` escapes plain parts; `markup + str` escapes the str.
  An f-string or `"\n".join(...)` turns Markup back into a plain `str`, which `say()` then escapes:
  build messages with Markup operations or with a catalogue key.

Direction, applied once here and not per key: every line of an Arabic text starts right to left
(an RLM is put in front of a line whose first strong character, inside or outside isolates, is
not Arabic, or that has none), and Latin runs of the Arabic catalogue (/commands, P-0042, CSV)
are isolated when the catalogue is loaded. A French or English line that would start with an
Arabic character gets an LRM.
"""

from __future__ import annotations

import gettext
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from bot.settings import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate
LRI, RLI = "\u2066", "\u2067"
RLM, LRM = "\u200f", "\u200e"
BIDI_MARKS = frozenset({FSI, PDI, LRI, RLI, RLM, LRM})
RTL_LOCALES = frozenset({"ar"})

# Kept so that code written before Markup still reads: `Html(x)` trusts x as HTML.
Html = Markup

# CLDR locales used for numbers and dates: Moroccan formats for Arabic and French.
_CLDR = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}

_TAG = re.compile(r"<[^>]*>")
# Pieces of a catalogue text that are not prose: tags, entities, placeholders.
_NOT_PROSE = re.compile(r"(<[^>]*>|&#?\w+;|\{[^{}]*\})")
# A Latin run inside Arabic prose: a /command, a reference (P-0042), a word or a few (CSV, UTF-8).
_LATIN_RUN = re.compile(r"/?[A-Za-z0-9@][A-Za-z0-9_@+\-./:]*(?:[ ][A-Za-z][A-Za-z0-9_@+\-./:]*)*")


def isolate(text: str) -> str:
    """Wrap a user-supplied fragment so it cannot reorder the text around it."""
    return f"{FSI}{text}{PDI}"


def plain_text(text: str) -> str:
    """Telegram HTML as the text a person sees: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", str(text)))


def as_plain(text: str) -> str:
    """Plain text from a Markup (tags dropped, entities decoded); a plain str is already plain."""
    return plain_text(text) if isinstance(text, Markup) else str(text)


def unmarked(text: str) -> str:
    """Text without the invisible direction marks and isolates: to compare what a person typed
    with a label (clients send a pressed reply button's text with its marks; typing has none)."""
    return "".join(c for c in str(text) if c not in BIDI_MARKS)


def terminal(text: str) -> str:
    """Plain text for a terminal: no tags, no entities, no invisible direction marks."""
    return "".join(c for c in plain_text(text) if c not in BIDI_MARKS)


def first_strong(line: str, skip_isolates: bool = True) -> str | None:
    """'L' or 'R' for the first strong character of a line (rules P2-P3), None if it has none."""
    depth = 0
    for char in line:
        if char in (FSI, LRI, RLI):
            depth += 1
            continue
        if char == PDI:
            depth = max(0, depth - 1)
            continue
        if depth and skip_isolates:
            continue
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


def directed(text: str, rtl: bool) -> str:
    """Each line of `text` (HTML or plain) given its reading direction by a mark when needed."""
    lines = str(text).split("\n")
    for i, line in enumerate(lines):
        seen = plain_text(line)
        if not seen.strip():
            continue
        strict, skipping = first_strong(seen, False), first_strong(seen, True)
        if rtl and (strict != "R" or skipping != "R"):
            lines[i] = RLM + line
        elif not rtl and "R" in (strict, skipping):
            lines[i] = LRM + line
    return "\n".join(lines)


def _isolate_latin(text: str) -> str:
    """An Arabic catalogue text with its Latin runs isolated (prose only, not tags or braces)."""
    pieces = _NOT_PROSE.split(text)
    for i in range(0, len(pieces), 2):  # even pieces are prose
        pieces[i] = _LATIN_RUN.sub(_isolated_run, pieces[i])
    return "".join(pieces)


def _isolated_run(match: re.Match[str]) -> str:
    run = match.group(0)
    core = run.rstrip(".:-+/")
    if not re.search(r"[A-Za-z]", core):
        return run  # digits alone read correctly inside Arabic
    return isolate(core) + run[len(core) :]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One language's messages as loaded from its PO file."""

    locale: str
    singular: Mapping[str, str]
    plurals: Mapping[str, tuple[str, ...]]
    plural_index: Callable[[int], int]


def catalogue_path(locale: str):  # type: ignore[no-untyped-def]
    """locales/<locale>/LC_MESSAGES/messages.po as a resource."""
    return resources.files("locales").joinpath(locale, "LC_MESSAGES", "messages.po")


def load_catalogue(locale: str) -> Catalogue:
    """Read locales/<locale>/LC_MESSAGES/messages.po (Arabic texts get their Latin isolated)."""
    with catalogue_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    fix = _isolate_latin if locale in RTL_LOCALES else (lambda text: text)
    singular: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            plurals[message.id[0]] = tuple(fix(form) for form in message.string)
        else:
            singular[message.id] = fix(str(message.string))
    return Catalogue(locale, singular, plurals, gettext.c2py(catalog.plural_expr))


class Translator:
    """Texts in one language, falling back to another catalogue for a missing key."""

    def __init__(self, catalogue: Catalogue, fallback: Translator | None = None) -> None:
        self.locale = catalogue.locale
        self._catalogue = catalogue
        self._fallback = fallback

    @property
    def is_rtl(self) -> bool:
        """Whether this language is written right to left."""
        return self.locale in RTL_LOCALES

    def __call__(self, key: str, /, **values: object) -> Markup:
        """The text for `key` as safe HTML, its placeholders filled (see the module's doc)."""
        text = self._catalogue.singular.get(key)
        if not text:
            if self._fallback is not None:
                return self._fallback(key, **values)
            log.error("missing translation %r", key)
            return escape(key)
        return self._fill(text, values)

    def plural(self, key: str, n: int, /, **values: object) -> Markup:
        """The plural form of `key` that fits `n` ({n} is available as a placeholder)."""
        forms = self._catalogue.plurals.get(key)
        if not forms or not all(forms):
            if self._fallback is not None:
                return self._fallback.plural(key, n, **values)
            log.error("missing plural translation %r", key)
            return escape(key)
        index = min(self._catalogue.plural_index(n), len(forms) - 1)
        return self._fill(forms[index], {"n": n, **values})

    def plain(self, key: str, /, **values: object) -> str:
        """The text for `key` as plain text: for button labels, toasts and file names."""
        return plain_text(self(key, **values))

    def plain_plural(self, key: str, n: int, /, **values: object) -> str:
        """The plural form of `key` for `n`, as plain text."""
        return plain_text(self.plural(key, n, **values))

    def has(self, key: str) -> bool:
        """Whether the catalogue (or its fallback) has `key`."""
        return key in self._catalogue.singular or (
            self._fallback is not None and self._fallback.has(key)
        )

    def span(self, start: str, end: str) -> Markup:
        """A range of times (`09:30–10:00`), isolated left to right: it reads as on the printed
        programme in every language, inside Arabic too."""
        text = self._catalogue.singular.get("common.span") or "{start}–{end}"
        filled = text.format(start=escape(start), end=escape(end))
        return Markup(f"{LRI}{filled}{PDI}")

    def number(self, value: int | float) -> str:
        """A number in this language's Moroccan format."""
        return format_decimal(value, locale=_CLDR[self.locale])

    def datetime(self, moment: datetime, zone: ZoneInfo, fmt: str = "medium") -> str:
        """A date and time in the event's zone."""
        return format_datetime(moment.astimezone(zone), fmt, locale=_CLDR[self.locale])

    def date(self, moment: datetime, zone: ZoneInfo, fmt: str = "full") -> str:
        """A date in the event's zone."""
        return format_date(moment.astimezone(zone), fmt, locale=_CLDR[self.locale])

    def time(self, moment: datetime, zone: ZoneInfo) -> str:
        """A 24-hour time in the event's zone."""
        return format_time(moment.astimezone(zone), "HH:mm", locale=_CLDR[self.locale])

    def _fill(self, text: str, values: Mapping[str, object]) -> Markup:
        if values:
            text = text.format_map({k: self._render(v) for k, v in values.items()})
        return Markup(directed(text, self.is_rtl))

    def _render(self, value: object) -> str:
        if isinstance(value, Markup):
            return str(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            shown = self.number(value)
            return isolate(shown) if value < 0 else shown
        return isolate(str(escape(str(value))))


_ENGLISH: list[Translator] = []


def _english() -> Translator:
    if not _ENGLISH:
        _ENGLISH.append(Translator(load_catalogue("en")))
    return _ENGLISH[0]


class Message(str):
    """A text to show later, in the reader's language: a catalogue key and its values.

    Code below the handlers (the event file's checks, the import of tables) reports problems as
    Messages; the handler or the CLI renders them with `message.render(t)`. As a `str` it reads
    as the English text (for logs of the organizer's own files, exceptions and tests)."""

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, /, **values: object) -> Message:
        english = _english()
        rendered = english(key, **_rendered(values, english))
        message = super().__new__(cls, terminal(rendered))
        message.key, message.values = key, values
        return message

    def format(self, *args: object, **values: object) -> Message:  # type: ignore[override]
        """The same message with (more) values filled."""
        return Message(self.key, **{**self.values, **values})

    def render(self, t: Translator) -> Markup:
        """The message in `t`'s language, as safe HTML."""
        return t(self.key, **_rendered(self.values, t))

    def plain(self, t: Translator) -> str:
        """The message in `t`'s language, as plain text."""
        return plain_text(self.render(t))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_message, (self.key, self.values))


def _message(key: str, values: dict[str, object]) -> Message:
    return Message(key, **values)


def shown(t: Translator, value: object) -> Markup | str:
    """A Message in `t`'s language; anything else as it is (a str is escaped where it lands)."""
    return value.render(t) if isinstance(value, Message) else str(value)


class Plural(NamedTuple):
    """A count inside a Message, said through a plural key (`Plural("count.files", 3)`)."""

    key: str
    n: int


def _rendered(values: Mapping[str, object], t: Translator) -> dict[str, object]:
    def one(value: object) -> object:
        if isinstance(value, Message):
            return value.render(t)
        if isinstance(value, Plural):
            return t.plural(value.key, value.n)
        return value

    return {k: one(v) for k, v in values.items()}


class Translations:
    """All catalogues, and the rule for choosing a person's language."""

    def __init__(self, default_locale: str, locales: tuple[str, ...] = SUPPORTED_LOCALES) -> None:
        self.default_locale = default_locale
        self.locales = locales
        self.catalogues = {code: load_catalogue(code) for code in locales}
        default = Translator(self.catalogues[default_locale])
        english = Translator(self.catalogues["en"]) if "en" in locales else None
        self._translators = {
            code: Translator(cat, default if code != default_locale else english)
            for code, cat in self.catalogues.items()
        }

    def __getitem__(self, locale: str) -> Translator:
        return self._translators.get(locale) or self._translators[self.default_locale]

    def supported(self, code: str | None) -> str | None:
        """The supported locale matching a Telegram language_code like `fr-FR`, if any."""
        if not code:
            return None
        base = code.split("-")[0].split("_")[0].lower()
        return base if base in self.locales else None

    def pick(self, chosen: str | None, telegram_code: str | None) -> str:
        """Their choice, else Telegram's language_code, else the configured default."""
        return self.supported(chosen) or self.supported(telegram_code) or self.default_locale

    def language_names(self) -> dict[str, str]:
        """Each language's name for itself, for the language buttons (plain text)."""
        return {code: self._translators[code].plain("language.name") for code in self.locales}
