"""Catalogues: complete in every language, Arabic plurals, isolates and escaping."""

from __future__ import annotations

import pytest

from bot.i18n import FSI, PDI, Html, Translations, load_catalogue
from bot.settings import DEFAULT_FUNCTIONS, DEFAULT_REGIONS, SUPPORTED_LOCALES


def test_every_key_exists_in_every_catalogue_with_no_empty_translation() -> None:
    catalogues = {code: load_catalogue(code) for code in SUPPORTED_LOCALES}
    keys = {code: set(c.singular) for code, c in catalogues.items()}
    plural_keys = {code: set(c.plurals) for code, c in catalogues.items()}
    reference = keys["en"]
    for code in SUPPORTED_LOCALES:
        assert keys[code] == reference, code
        assert plural_keys[code] == plural_keys["en"], code
        empty = [k for k, v in catalogues[code].singular.items() if not v.strip()]
        assert empty == [], code
        for key, forms in catalogues[code].plurals.items():
            assert all(f.strip() for f in forms), (code, key)


def test_placeholders_are_the_same_in_every_language() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    en = load_catalogue("en")
    for code in ("fr", "ar"):
        other = load_catalogue(code)
        for key, text in en.singular.items():
            assert fields(other.singular[key]) == fields(text), (code, key)


def test_configured_function_and_region_codes_have_labels() -> None:
    catalogue = load_catalogue("ar")
    for code in DEFAULT_FUNCTIONS:
        assert f"function.{code}" in catalogue.singular
    for code in DEFAULT_REGIONS:
        assert f"region.{code}" in catalogue.singular


def test_arabic_has_six_plural_forms() -> None:
    catalogue = load_catalogue("ar")
    assert all(len(forms) == 6 for forms in catalogue.plurals.values())
    assert [catalogue.plural_index(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 111)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        4,
    ]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "لا أحد مسجل"),
        (1, "مشارك واحد مسجل"),
        (2, "مشاركان مسجلان"),
        (5, "5 مشاركين مسجلين"),
        (25, "25 مشاركا مسجلا"),
        (100, "100 مشارك مسجل"),
        (1500, "1.500 مشارك مسجل"),
    ],
)
def test_arabic_plural_text(n: int, expected: str) -> None:
    assert Translations("ar")["ar"].plural("admin.registered", n) == expected


def test_user_text_is_escaped_and_isolated_inside_arabic() -> None:
    t = Translations("ar")["ar"]
    text = t("reg.use_telegram_name", name="Jean <b>Dupont</b> & co")
    assert text == f"استعمال «{FSI}Jean &lt;b&gt;Dupont&lt;/b&gt; &amp; co{PDI}»"


def test_trusted_fragments_are_not_escaped() -> None:
    t = Translations("fr")["fr"]
    assert "<i>" in t(
        "reg.profile", name="A", function="B", region="C", unit="D", phone=Html(t("reg.phone_none"))
    )


def test_locale_choice_order() -> None:
    texts = Translations("ar")
    assert texts.pick("fr", "en-US") == "fr"
    assert texts.pick(None, "en-US") == "en"
    assert texts.pick(None, "de") == "ar"
    assert texts.pick(None, None) == "ar"


def test_moroccan_date_formats() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 1, 29, 8, 30, tzinfo=UTC)
    zone = ZoneInfo("Africa/Casablanca")
    texts = Translations("ar")
    assert texts["ar"].date(moment, zone) == "الخميس، 29 يناير 2026"
    assert texts["fr"].date(moment, zone) == "jeudi 29 janvier 2026"
    assert texts["fr"].time(moment, zone) == "09:30"
