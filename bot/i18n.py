"""Translations from the gettext catalogues in locales/, with Arabic plural forms and bidi care.

Message ids are stable keys (`reg.ask_name`); every catalogue, English included, translates
them. User-supplied values are HTML-escaped and wrapped in Unicode isolates so that a Latin
name or a phone number inside Arabic text keeps its own direction.
"""

from __future__ import annotations

import gettext
import html
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.settings import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate

# CLDR locales used for numbers and dates: Moroccan formats for Arabic and French.
_CLDR = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}


class Html(str):
    """A fragment that is already safe HTML (built from translated texts); not escaped again."""

    __slots__ = ()


def isolate(text: str) -> str:
    """Wrap a user-supplied fragment so it cannot reorder the text around it."""
    return f"{FSI}{text}{PDI}"


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One language's messages as loaded from its PO file."""

    locale: str
    singular: Mapping[str, str]
    plurals: Mapping[str, tuple[str, ...]]
    plural_index: Callable[[int], int]


def load_catalogue(locale: str) -> Catalogue:
    """Read locales/<locale>/LC_MESSAGES/messages.po."""
    path = resources.files("locales").joinpath(locale, "LC_MESSAGES", "messages.po")
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    singular: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            plurals[message.id[0]] = tuple(message.string)
        else:
            singular[message.id] = str(message.string)
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
        return self.locale == "ar"

    def __call__(self, key: str, /, **values: object) -> str:
        """The text for `key` with its placeholders filled."""
        text = self._catalogue.singular.get(key)
        if not text:
            if self._fallback is not None:
                return self._fallback(key, **values)
            log.error("missing translation %r", key)
            return key
        return self._fill(text, values)

    def plural(self, key: str, n: int, /, **values: object) -> str:
        """The plural form of `key` that fits `n` ({n} is available as a placeholder)."""
        forms = self._catalogue.plurals.get(key)
        if not forms or not all(forms):
            if self._fallback is not None:
                return self._fallback.plural(key, n, **values)
            log.error("missing plural translation %r", key)
            return key
        index = min(self._catalogue.plural_index(n), len(forms) - 1)
        return self._fill(forms[index], {"n": n, **values})

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

    def _fill(self, text: str, values: Mapping[str, object]) -> str:
        if not values:
            return text
        return text.format_map({k: self._render(v) for k, v in values.items()})

    def _render(self, value: object) -> str:
        if isinstance(value, Html):
            return str(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return self.number(value)
        return isolate(html.escape(str(value), quote=False))


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
        """Each language's name for itself, for the language buttons."""
        return {code: self._translators[code]("language.name") for code in self.locales}
