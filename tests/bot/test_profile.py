"""What participants may type for their name, unit and phone."""

from __future__ import annotations

import pytest

from bot.profile import clean_free_text, clean_name, clean_phone


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Fatima Zahra El Idrissi", "Fatima Zahra El Idrissi"),
        ("  محمد   بن   علي ", "محمد بن علي"),
        ("Jean-Pierre O'Neil Jr.", "Jean-Pierre O'Neil Jr."),
        ("Aït Ben Haddou", "Aït Ben Haddou"),
        ("ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰⵎⴰⵣⵉⵖ", "ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰⵎⴰⵣⵉⵖ"),  # Tifinagh
        ("مُحَمَّد", "مُحَمَّد"),  # Arabic with combining marks
    ],
)
def test_names_in_any_script_are_accepted(typed: str, kept: str) -> None:
    assert clean_name(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "Al",
        "",
        "   ",
        "A" * 101,
        "Agent 007",
        "Ali 🙂",
        "<b>Ali</b>",
        "Ali@home",
        "--- ...",
    ],
)
def test_bad_names_are_refused(typed: str) -> None:
    assert clean_name(typed) is None


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0612345678", "+212612345678"),
        ("06 12 34 56 78", "+212612345678"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("00212612345678", "+212612345678"),
        ("212612345678", "+212612345678"),  # how Telegram contacts arrive: no +
        ("+33612345678", "+33612345678"),
        ("12345", None),
        ("call me", None),
        ("0" * 40, None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed: str, e164: str | None) -> None:
    assert clean_phone(typed) == e164


def test_free_text_bounds_and_control_characters() -> None:
    assert clean_free_text("  Centre  Hay Mohammadi ", 2, 120) == "Centre Hay Mohammadi"
    assert clean_free_text("A", 2, 120) is None
    assert clean_free_text("x" * 121, 2, 120) is None
    assert clean_free_text("Centre\u200e A", 2, 120) is None
