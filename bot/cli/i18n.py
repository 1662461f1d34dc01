"""`multaqa i18n check` and `multaqa i18n pot`: what translators need.

The code is read (not imported) to find every catalogue key it uses: the first argument of
`t(...)`, `t.plural`, `t.plain`, `t.plain_plural`, `Message(...)` and the CLI's `out.text`,
`out.plural`, `out.echo`, `out.echo_plural`; any other string literal equal to a key (tables of
keys); and keys built with an f-string (`f"rec.{status}"` stands for every `rec.*` key).

`check` reports, for every locale: keys the code uses that are missing, keys nobody uses,
placeholders that differ from English or that a call does not fill, plural forms of the wrong
number, and empty translations. `pot` writes locales/messages.pot from the code, with a
comment per key saying where it appears and what each placeholder holds there.
"""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.i18n import Message

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("bot", "handlers", "storage")
CALLS = {"t", "plural", "plain", "plain_plural", "Message", "text", "echo", "echo_plural"}
PLURAL_CALLS = {"plural", "plain_plural", "echo_plural"}
# Keys chosen at run time from configured codes (bot.settings, the event file's fallbacks).
DYNAMIC_FAMILIES = ("region.", "function.")
_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


@dataclass
class Use:
    """One place in the code that uses a key."""

    path: str
    line: int
    plural: bool
    values: dict[str, str]  # placeholder → the expression that fills it
    open_values: bool  # **values passed: the placeholders cannot be checked


@dataclass
class Scan:
    """What the code uses."""

    uses: dict[str, list[Use]] = field(default_factory=lambda: defaultdict(list))
    literals: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    patterns: list[tuple[re.Pattern[str], str, int]] = field(default_factory=list)

    def used(self, key: str) -> bool:
        """Whether the code uses `key` in any way."""
        return (
            key in self.uses
            or key in self.literals
            or any(p.fullmatch(key) for p, _, _ in self.patterns)
            or key.startswith(DYNAMIC_FAMILIES)
        )


def _files(root: Path) -> Iterator[Path]:
    for folder in SCANNED:
        yield from sorted((root / folder).rglob("*.py"))


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _pattern(node: ast.JoinedStr) -> re.Pattern[str] | None:
    """`f"rec.{status}"` → `rec\\.[a-z0-9_]+`; None when no literal part says which family."""
    parts, literal = [], ""
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(re.escape(value.value))
            literal += value.value
        else:
            parts.append(r"[a-z0-9_.]+")
    if not re.search(r"[a-z]{2}", literal):
        return None
    return re.compile("".join(parts))


def scan(root: Path = ROOT) -> Scan:
    """Read the code under `root`."""
    found = Scan()
    for path in _files(root):
        name = str(path.relative_to(root))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _KEY.fullmatch(node.value):
                    found.literals[node.value].append((name, node.lineno))
            elif isinstance(node, ast.JoinedStr):
                pattern = _pattern(node)
                if pattern is not None:
                    found.patterns.append((pattern, name, node.lineno))
            if not isinstance(node, ast.Call) or _called(node) not in CALLS or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if not _KEY.fullmatch(first.value):
                continue
            values = {kw.arg: ast.unparse(kw.value) for kw in node.keywords if kw.arg}
            found.uses[first.value].append(
                Use(
                    name,
                    node.lineno,
                    _called(node) in PLURAL_CALLS,
                    values,
                    any(kw.arg is None for kw in node.keywords),
                )
            )
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _catalogue(root: Path, locale: str) -> Catalog:
    path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _texts(catalog: Catalog) -> dict[str, tuple[bool, list[str]]]:
    """key → (is plural, its translated forms)."""
    out = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            out[message.id[0]] = (True, list(message.string))
        else:
            out[message.id] = (False, [str(message.string)])
    return out


def locales_of(root: Path = ROOT) -> list[str]:
    """The locales that have a catalogue."""
    return sorted(p.parent.parent.name for p in (root / "locales").glob("*/LC_MESSAGES/*.po"))


def check(root: Path = ROOT) -> list[Message]:
    """Every problem of the catalogues against the code, one each (none: all is well)."""
    found = scan(root)
    problems: list[Message] = []
    catalogs = {code: _catalogue(root, code) for code in locales_of(root)}
    texts = {code: _texts(c) for code, c in catalogs.items()}
    reference = texts.get("en") or next(iter(texts.values()))
    for key, uses in sorted(found.uses.items()):
        for code, entries in texts.items():
            if key not in entries:
                where = f"{uses[0].path}:{uses[0].line}"
                problems.append(Message("cli.i18n_missing", locale=code, key=key, where=where))
        if key not in reference:
            continue
        is_plural, forms = reference[key]
        wanted = set().union(*(_fields(f) for f in forms)) - ({"n"} if is_plural else set())
        for use in uses:
            where = f"{use.path}:{use.line}"
            if use.plural != is_plural:
                kind = "cli.i18n_plural_kind" if is_plural else "cli.i18n_singular_kind"
                problems.append(Message(kind, key=key, where=where))
            if not use.open_values and wanted - set(use.values):
                missing = ", ".join(sorted(wanted - set(use.values)))
                problems.append(Message("cli.i18n_unfilled", key=key, where=where, names=missing))
    for code, entries in texts.items():
        plurals = catalogs[code].num_plurals
        for key, (is_plural, forms) in entries.items():
            if not found.used(key) and key != "language.name":
                problems.append(Message("cli.i18n_unused", locale=code, key=key))
            if not all(f.strip() for f in forms):
                problems.append(Message("cli.i18n_empty", locale=code, key=key))
            if is_plural and len(forms) != plurals:
                problems.append(
                    Message(
                        "cli.i18n_forms", locale=code, key=key, count=len(forms), wanted=plurals
                    )
                )
            if key in reference and code != "en":
                mine = set().union(*(_fields(f) for f in forms))
                theirs = set().union(*(_fields(f) for f in reference[key][1]))
                if mine - theirs - {"n"} or (theirs - mine - {"n"}):
                    problems.append(
                        Message(
                            "cli.i18n_placeholders",
                            locale=code,
                            key=key,
                            mine=", ".join(sorted(mine)),
                            english=", ".join(sorted(theirs)),
                        )
                    )
        for key in reference:
            if key not in entries:
                problems.append(Message("cli.i18n_missing_en", locale=code, key=key))
    return sorted(set(problems))


def pot(root: Path = ROOT) -> Catalog:
    """The template: every English key, where the code uses it and what fills it."""
    found = scan(root)
    english = _catalogue(root, "en")
    template = Catalog(project="Multaqa", version="0.1", charset="utf-8", fuzzy=False)
    for message in english:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        locations = [(u.path, u.line) for u in found.uses.get(key, [])]
        locations += found.literals.get(key, [])
        locations += [(p, n) for pattern, p, n in found.patterns if pattern.fullmatch(key)]
        comments = []
        fields = sorted(
            set().union(
                *(
                    _fields(s)
                    for s in (message.string if message.pluralizable else [message.string])
                )
            )
        )
        for name in fields:
            fills = sorted({u.values[name] for u in found.uses.get(key, []) if name in u.values})
            if name == "n" and message.pluralizable:
                fills = fills or ["the count that chooses the plural form"]
            comments.append(f"{{{name}}}: {' | '.join(fills) if fills else 'see the code'}")
        if key.startswith(DYNAMIC_FAMILIES):
            comments.append("label of a configured code (bot.labels)")
        if not locations and not comments:
            comments.append("used by the code under a computed key")
        template.add(
            message.id,
            "" if not message.pluralizable else ("", ""),
            locations=sorted(set(locations)),
            auto_comments=comments,
        )
    return template


def write_pot(root: Path = ROOT) -> Path:
    """Write locales/messages.pot (generated for translators, not kept in git: its line numbers
    change with every edit of the code)."""
    target = root / "locales" / "messages.pot"
    with target.open("wb") as fh:
        write_po(fh, pot(root), width=100, omit_header=False, sort_output=False)
    return target
