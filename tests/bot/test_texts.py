"""Every text of the catalogue, in every language: read in the right direction, plurals that
agree with their count, values shown exactly as written, and no text built in code."""

from __future__ import annotations

import ast
import shutil
import string
import unicodedata
from pathlib import Path

import pytest
from bidi import get_base_level

from bot.cli import i18n as i18n_tool
from bot.cli.texts import pick_locale
from bot.i18n import (
    FSI,
    LRI,
    PDI,
    RLI,
    Markup,
    Message,
    Translations,
    first_strong,
    load_catalogue,
    plain_text,
)
from bot.settings import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
TEXTS = Translations("ar")
CATALOGUES = {code: load_catalogue(code) for code in SUPPORTED_LOCALES}
COUNTS = (0, 1, 2, 3, 11, 100)

# What an organizer or a participant may type, in the other script than the reader's.
LATIN = {
    "name": "Jean-Luc O'Neil & <Co>",
    "ref": "P-0042",
    "rec": "R-7",
    "time": "09:00–10:30",
    "command": "/mine",
    "title": 'Formation & emploi "R&D"',
    "room": "Salle 1",
    "code": "souss_massa",
    "note": "voir R&D <interne>",
}
ARABIC = {
    "name": "عبد الله بن <علي> & شركاؤه",
    "title": 'التكوين & التشغيل "بحث"',
    "room": "القاعة الكبرى",
    "note": "انظر <داخلي> & سري",
}


def sample(name: str, rtl: bool) -> object:
    """A value for a placeholder: a count for counts, else text in the other script."""
    if name in ("n", "count", "low", "left", "chars", "files", "row", "line", "column", "id"):
        return -3 if name == "left" else 12
    if rtl:
        return LATIN.get(name, "Lorem ipsum 2026 & <b>")
    return ARABIC.get(name, "نص بالعربية & <b>")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def renders() -> list[tuple[str, str, str]]:
    """(locale, key, visible text) for every key, every plural count, text and button variant."""
    out = []
    for code in SUPPORTED_LOCALES:
        t = TEXTS[code]
        catalogue = CATALOGUES[code]
        for key, text in catalogue.singular.items():
            values = {f: sample(f, t.is_rtl) for f in fields(text)}
            out.append((code, key, plain_text(t(key, **values))))
            out.append((code, key + " (plain)", t.plain(key, **values)))
            # Worst case: values that were already HTML (another text), not isolated.
            raw = {f: Markup(str(sample(f, t.is_rtl)).replace("&", "&amp;")) for f in values}
            out.append((code, key + " (markup values)", plain_text(t(key, **raw))))
        for key, forms in catalogue.plurals.items():
            names = set().union(*(fields(f) for f in forms)) - {"n"}
            for n in COUNTS:
                values = {f: sample(f, t.is_rtl) for f in names}
                out.append((code, f"{key} n={n}", plain_text(t.plural(key, n, **values))))
    return out


RENDERED = renders()


def visible_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_every_line_of_every_message_reads_in_its_language_direction(code: str) -> None:
    wanted = 1 if code == "ar" else 0
    wrong = [
        (key, line)
        for locale, key, text in RENDERED
        if locale == code
        for line in visible_lines(text)
        if get_base_level(line) != wanted
    ]
    assert wrong == []


def test_arabic_lines_start_right_to_left_even_for_apps_that_do_not_skip_isolates() -> None:
    # Some clients take the first strong character even inside an isolate.
    wrong = [
        (key, line)
        for locale, key, text in RENDERED
        if locale == "ar"
        for line in visible_lines(text)
        if first_strong(line, skip_isolates=False) != "R"
    ]
    assert wrong == []


def test_french_and_english_lines_with_arabic_names_stay_left_to_right() -> None:
    t = TEXTS["fr"]
    text = plain_text(t("ws.confirmed", title="ورشة الشراكات", room="القاعة 3"))
    assert get_base_level(text) == 0
    assert first_strong(text, skip_isolates=False) == "L"


def test_latin_inside_arabic_is_isolated() -> None:
    t = TEXTS["ar"]
    unknown = t("common.unknown_command")
    assert f"{FSI}/help{PDI}" in unknown  # a command written in the catalogue
    seats = t("pr.reviewed", ref="P-0042", status=t("pr.status_accepted"))
    assert f"{FSI}P-0042{PDI}" in seats
    assert f"{FSI}-3{PDI}" in t("rv.rec_too_long", limit=-3)  # a signed number


def isolates_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char in (FSI, LRI, RLI)
        depth -= char == PDI
        if depth < 0:
            return False
    return depth == 0


def test_isolates_are_balanced_everywhere() -> None:
    assert [key for _, key, text in RENDERED if not isolates_balanced(text)] == []


BESIDE_ITS_NUMBER = "web.kpi."  # a word under a big figure (the dashboard's tiles)


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_every_plural_renders_for_typical_counts(code: str) -> None:
    t = TEXTS[code]
    catalogue = CATALOGUES[code]
    assert catalogue.plurals, "the catalogue has plural keys"
    for key, forms in catalogue.plurals.items():
        names = set().union(*(fields(f) for f in forms)) - {"n"}
        values = {f: sample(f, t.is_rtl) for f in names}
        shown = {n: plain_text(t.plural(key, n, **values)) for n in COUNTS}
        for n, text in shown.items():
            assert "{" not in text and "(s)" not in text, (key, n, text)
            # The count itself is shown, but by the dashboard's figures: their word only agrees.
            if n >= 3 and not key.startswith(BESIDE_ITS_NUMBER):
                assert t.number(n) in text, (key, n, text)
        assert len(set(shown.values())) > 1, key  # the count changes what is said
    if code == "ar":  # six forms: 0, 1, 2, 3-10, 11-99, 100+
        assert [catalogue.plural_index(n) for n in COUNTS] == [0, 1, 2, 3, 4, 5]


def test_arabic_counted_nouns_agree() -> None:
    t = TEXTS["ar"]
    assert plain_text(t.plural("admin.seats_taken", 2, taken=2)) == "2/2 مقعدين"
    assert plain_text(t.plural("admin.seats_taken", 30, taken=2)) == "2/30 مقعدا"
    assert plain_text(t.plural("count.files", 5)) == "5 ملفات"
    assert plain_text(t.plural("count.characters", 2000)) == "2.000 حرف"
    assert (
        TEXTS["fr"].plain_plural("ri.done", 3)
        == "✅ 3 recommandations créées. Voir 📌 Recommandations."
    )


# Nouns that follow a count: written in the catalogue right after a placeholder, they cannot
# agree with it. Such counts go through a plural key (count.*) instead.
COUNTED = (
    "caractère",
    "fichier",
    "place",
    "participant",
    "problème",
    "recommandation",
    "atelier",
    "élément",
    "personne",
    "character",
    "file",
    "seat",
    "problem",
    "recommendation",
    "workshop",
    "people",
    "rows",
    "lignes",
    "سطر",
    "حرف",
    "ملف",
    "مقعد",
    "مشارك",
    "مشكل",
    "توصية",
    "ورش",
    "شخص",
)


def test_no_count_in_a_singular_text_governs_a_noun() -> None:
    found = []
    for code, catalogue in CATALOGUES.items():
        for key, text in catalogue.singular.items():
            for noun in COUNTED:
                for name in fields(text):
                    if f"{{{name}}} {noun}" in text and name not in ("title", "name", "theme"):
                        found.append((code, key, name, noun))
            if "(s)" in text or "(ين)" in text or "(مشاكل)" in text or "(توصيات)" in text:
                found.append((code, key, "(s)", ""))
    assert found == [], "\n".join(map(str, found))


def test_a_value_reaches_the_reader_exactly_as_typed() -> None:
    for code in SUPPORTED_LOCALES:
        t = TEXTS[code]
        for value in ("voir R&D <interne>", 'Formation & emploi "2"', "a<b>c</b>&amp;"):
            html = t("pr.note", note=value)
            assert "<interne>" not in html  # escaped in the HTML sent to Telegram
            assert value in plain_text(html).replace(FSI, "").replace(PDI, "")
            assert value in t.plain("pr.note", note=value).replace(FSI, "").replace(PDI, "")


def test_markup_joins_escape_plain_strings() -> None:
    t = TEXTS["fr"]
    joined = Markup("\n").join([t("rv.no_recs"), "<b>R&D</b>"])
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in joined
    assert t("rv.no_recs") + "<i>" == t("rv.no_recs") + Markup("&lt;i&gt;")


def test_messages_render_in_each_language_and_read_as_english() -> None:
    problem = Message(
        "evf.at_line", where="agenda[1].end", line=17, problem=Message("evf.p.after_start")
    )
    assert problem == "agenda[1].end (line 17): must be after start"
    assert problem.plain(TEXTS["fr"]).replace(FSI, "").replace(PDI, "") == (
        "agenda[1].end (ligne 17) : doit être après le début (start)"
    )
    assert "السطر" in problem.plain(TEXTS["ar"])


def test_cli_language_from_option_then_lang_then_default_locale() -> None:
    assert pick_locale("fr", {"LANG": "en_US.UTF-8"}) == "fr"
    assert pick_locale(None, {"LANG": "ar_MA.UTF-8", "DEFAULT_LOCALE": "fr"}) == "ar"
    assert pick_locale(None, {"LANG": "C.UTF-8", "DEFAULT_LOCALE": "fr"}) == "fr"
    assert pick_locale(None, {}) == "ar"


def test_the_catalogues_match_the_code() -> None:
    assert i18n_tool.check() == []


def test_i18n_check_reports_missing_unused_and_mismatched(tmp_path: Path) -> None:
    for folder in ("bot", "handlers", "storage", "locales"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    fr = tmp_path / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    text = fr.read_text(encoding="utf-8")
    text = text.replace('msgid "rv.no_recs"', 'msgid "rv.no_recs_gone"')  # missing, and unused
    text = text.replace("Bonjour", "Bonjour")
    text = text.replace('msgstr "Utiliser « {name} »"', 'msgstr "Utiliser « {nom} »"')
    fr.write_text(text, encoding="utf-8")
    problems = [str(p) for p in i18n_tool.check(tmp_path)]
    assert any(p.startswith("fr: missing key rv.no_recs (used at") for p in problems)
    assert "fr: unused key rv.no_recs_gone" in problems
    assert "fr: reg.use_telegram_name has placeholders nom, English name" in problems


def test_the_template_has_a_comment_per_key(tmp_path: Path) -> None:
    template = i18n_tool.pot()
    keys = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert keys == set(CATALOGUES["en"].singular) | set(CATALOGUES["en"].plurals)
    card = template["rv.card"]
    assert any(path == "handlers/review.py" for path, _ in card.locations)
    assert any(c.startswith("{author}: ") for c in card.auto_comments)


# ---------------------------------------------------------------- nothing built in code

# Calls whose text reaches a person (chat, button, toast, terminal).
SHOWN = {
    "say",
    "reply",
    "send_message",
    "edit_message_text",
    "answer",
    "toast",
    "print",
    "InlineKeyboardButton",
    "KeyboardButton",
    "BotCommand",
    "_fail",
    "error",
    "inline",
    "echo",
}
SHOWN_KEYWORDS = {"text", "caption", "help", "description", "filename", "desc"}
CODE = ("handlers", "bot")
LOGGERS = {"log", "logging", "logger", "_log"}


def _has_words(node: ast.AST) -> bool:
    """A literal (or the literal parts of an f-string) with two letters in a row."""
    parts: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts.append(node.value)
    elif isinstance(node, ast.JoinedStr):
        parts += [v.value for v in node.values if isinstance(v, ast.Constant)]
    for part in parts:
        letters = 0
        for char in part:
            letters = letters + 1 if unicodedata.category(char).startswith("L") else 0
            if letters >= 2:
                return True
    return False


def _literal_texts(node: ast.AST) -> list[ast.AST]:
    """String literals inside an expression (buttons are tuples in lists)."""
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant | ast.JoinedStr)]


def test_no_user_visible_text_is_built_in_code() -> None:
    found = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if isinstance(func, ast.Attribute) and ast.unparse(func.value) in LOGGERS:
                    continue  # logs are for developers (and never hold personal data)
                if called == "Field":
                    continue  # settings documentation, for whoever writes the .env
                if called == "Markup" and node.args and _has_words(node.args[0]):
                    found.append(f"{name}:{node.lineno} Markup with words")
                web_page = name.startswith("bot/web/")  # web pages escape for the browser
                if called == "escape" and "html" in ast.unparse(func) and not web_page:
                    found.append(f"{name}:{node.lineno} escaping by hand")
                shown = list(node.args) if called in SHOWN else []
                shown += [kw.value for kw in node.keywords if kw.arg in SHOWN_KEYWORDS]
                for argument in shown:
                    for literal in _literal_texts(argument):
                        if _has_words(literal) and not _is_key_or_data(literal, node):
                            found.append(f"{name}:{node.lineno} {ast.unparse(literal)[:60]}")
    assert found == [], "\n".join(map(str, found))


def _is_key_or_data(literal: ast.AST, call: ast.Call) -> bool:
    """Catalogue keys, callback data and encodings are not texts for people."""
    if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
        value = literal.value
        if value in ("utf-8", "utf-8-sig", "HTML"):
            return True
        if i18n_tool._KEY.fullmatch(value):
            return True  # a key: its text is in locales/
        if (
            value.replace("_", "").replace(":", "").isalnum()
            and value.islower()
            and " " not in value
        ):
            return True  # callback data, a code
    parent_calls = [
        n
        for n in ast.walk(call)
        if isinstance(n, ast.Call) and literal in ast.walk(n) and n is not call
    ]
    return any(
        (getattr(n.func, "attr", None) or getattr(n.func, "id", None))
        in ("encode", "_b", "t", "plural", "plain", "plain_plural", "text", "Message", "getattr")
        for n in parent_calls
    )


def test_event_file_problems_cross_a_process_boundary_whole() -> None:
    import pickle

    from bot.event.file import EventFileError, parse_event_text

    with pytest.raises(EventFileError) as caught:
        parse_event_text("event:\n  slug: Bad Slug\n")
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.problems == caught.value.problems
    assert [p.plain(TEXTS["ar"]) for p in again.problems] == [
        p.plain(TEXTS["ar"]) for p in caught.value.problems
    ]


def test_no_sentence_waits_in_a_constant() -> None:
    # Reasons and notices kept as English constants would reach people untranslated: they are
    # Messages (catalogue keys) instead.
    found = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                    continue
                value = node.value
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and target.id.startswith("_"):
                    continue  # private data (word lists), not a text for people
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    words = [w for w in value.value.split() if w.isalpha()]
                    if len(words) >= 3:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "\n".join(found)


# ---------------------------------------------------------------- button labels

BUTTONS = {"InlineKeyboardButton", "KeyboardButton"}


def _built_from_parts(node: ast.AST) -> bool:
    """An f-string joining values with text of its own (`f"{icon} {ref} · {text}"`): in Arabic
    it starts with whatever its first value is. A page counter (`2/5`) reads the same both
    ways."""
    if not isinstance(node, ast.JoinedStr):
        return False
    values = [v for v in node.values if isinstance(v, ast.FormattedValue)]
    glue = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    # Keys and codes (`rec.{status}`, `session:{id}:`) are glued with . : _ - only.
    return bool(values) and glue != "/" and any(not (c.isalnum() or c in ".:_-") for c in glue)


def test_no_button_label_is_built_from_parts_in_code() -> None:
    found = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name.startswith("bot/web/") or name.startswith("bot/cli/"):
                continue  # web pages and the terminal have no buttons
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                labels: list[ast.AST] = []
                if isinstance(node, ast.Tuple) and len(node.elts) == 2:
                    labels.append(node.elts[0])  # (label, callback data) rows
                elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in BUTTONS:
                    labels += node.args[:1] + [k.value for k in node.keywords if k.arg == "text"]
                elif isinstance(node, ast.FunctionDef) and "label" in node.name:
                    labels += [
                        r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value
                    ]
                for label in labels:
                    for part in ast.walk(label):
                        if _built_from_parts(part):
                            found.append(f"{name}:{part.lineno} {ast.unparse(part)[:60]}")
    assert found == [], "\n".join(found)


def test_arabic_labels_built_from_values_start_right_to_left() -> None:
    from datetime import UTC, datetime

    from bot.followup.service import rec_button_label, status_label
    from storage.followup import FollowState, Tracked

    t = TEXTS["ar"]
    labels = [status_label(t, status) for status in ("not_started", "in_progress", "blocked")]
    for text in ("تعيين مرجع رقمي لكل مركز من مراكز التكوين بالجهة", "Signer des conventions"):
        rec = Tracked(
            7, "partnerships", text, "ar", 5, None, "in_progress", 50,
            datetime(2019, 1, 30, tzinfo=UTC), FollowState(),
        )  # fmt: skip
        labels.append(rec_button_label(t, rec))
    labels += [t.plain("fu.percent", n=50), t.plain("rv.owner_choice", name="Karim", unit="DRH")]
    assert [x for x in labels if first_strong(x, skip_isolates=False) != "R"] == []
    assert [x for x in labels if get_base_level(x) != 1] == []
