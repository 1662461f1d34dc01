"""What the command-line tools print, in the organizer's language: `--lang`, else the `LANG`
environment (`ar_MA.UTF-8` → ar), else `DEFAULT_LOCALE`, else the settings' default (ar).
Every line comes from the catalogue (keys cli.*); nothing printed is written in code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from markupsafe import Markup

from bot.i18n import Translations, Translator, terminal
from bot.i18n import shown as i18n_shown
from bot.settings import SUPPORTED_LOCALES

_CURRENT: list[Translator] = []
FALLBACK_LOCALE = "ar"


def _base(code: str | None) -> str | None:
    if not code:
        return None
    base = code.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def pick_locale(option: str | None, environ: dict[str, str] | None = None) -> str:
    """--lang, else LANG, else DEFAULT_LOCALE, else Arabic."""
    env = os.environ if environ is None else environ
    for code in (option, env.get("LANG"), env.get("DEFAULT_LOCALE")):
        if found := _base(code):
            return found
    return FALLBACK_LOCALE


def use_language(option: str | None) -> Translator:
    """Choose the language of this run's output."""
    locale = pick_locale(option)
    _CURRENT[:] = [Translations(locale)[locale]]
    return _CURRENT[0]


def t() -> Translator:
    """The translator of this run (chosen from the environment if nobody chose yet)."""
    if not _CURRENT:
        use_language(None)
    return _CURRENT[0]


def text(key: str, /, **values: object) -> str:
    """A catalogue text as terminal text."""
    return terminal(t()(key, **values))


def plural(key: str, n: int, /, **values: object) -> str:
    """A plural catalogue text as terminal text."""
    return terminal(t().plural(key, n, **values))


def shown(problem: object) -> str:
    """A problem (a catalogue Message, or a plain str from a library) as terminal text."""
    return terminal(i18n_shown(t(), problem))


def echo(key: str, /, file: TextIO | None = None, **values: object) -> None:
    """Print a catalogue text."""
    print(text(key, **values), file=file or sys.stdout)


def echo_plural(key: str, n: int, /, file: TextIO | None = None, **values: object) -> None:
    """Print a plural catalogue text."""
    print(plural(key, n, **values), file=file or sys.stdout)


def fail_lines(title: str, problems: Iterable[object]) -> Sequence[str]:
    """A title and its problems, one per line, as printed on failure."""
    return [title, *(text("cli.problem_line", problem=shown(p)) for p in problems)]


YES = frozenset({"y", "yes", "o", "oui", "نعم", "ن"})


# argparse's own texts (Python 3.11's msgids) and the catalogue keys that say them; the
# %-placeholders argparse fills are handed through the catalogue's {names}.
_ARGPARSE = {
    "usage: ": ("cli.ap.usage", {}),
    "positional arguments": ("cli.ap.positionals", {}),
    "options": ("cli.ap.options", {}),
    "show this help message and exit": ("cli.ap.help", {}),
    "%(prog)s: error: %(message)s\n": (
        "cli.ap.error",
        {"prog": "%(prog)s", "message": "%(message)s"},
    ),
    "argument %(argument_name)s: %(message)s": (
        "cli.ap.argument",
        {"argument": "%(argument_name)s", "message": "%(message)s"},
    ),
    "the following arguments are required: %s": ("cli.ap.required", {"args": "%s"}),
    "unrecognized arguments: %s": ("cli.ap.unrecognized", {"args": "%s"}),
    "one of the arguments %s is required": ("cli.ap.one_required", {"args": "%s"}),
    "not allowed with argument %s": ("cli.ap.not_allowed", {"args": "%s"}),
    "expected one argument": ("cli.ap.expected_one", {}),
    "invalid %(type)s value: %(value)r": ("cli.ap.invalid_value", {"value": "%(value)r"}),
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "cli.ap.invalid_choice",
        {"value": "%(value)r", "choices": "%(choices)s"},
    ),
}


def _argparse_text(message: str) -> str:
    """gettext for argparse: its message in this run's language (English if not known)."""
    found = _ARGPARSE.get(message)
    if found is None:
        return message
    key, slots = found
    said = terminal(t()(key, **{name: Markup(slot) for name, slot in slots.items()}))
    return said + " " * (len(message) - len(message.rstrip(" "))) + "\n" * message.endswith("\n")


@contextmanager
def argparse_language() -> Iterator[None]:
    """argparse's own words (usage, options, its errors) in this run's language: argparse asks
    gettext for them through its module's `_`/`ngettext`, set here while the parser is built
    and used."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = _argparse_text  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: _argparse_text(one if n == 1 else many)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
