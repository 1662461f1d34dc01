"""Typed answers matched to button labels as a person means them."""

from __future__ import annotations

import pytest

from handlers.common import match_label, normalize


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("English", "English"),
        ("  english ", "English"),
        ("I agree", "✅ I agree"),
        ("✅ I agree", "✅ I agree"),
        ("Confirmer", "✅ Confirmer"),
        ("chef de service", "Chef de service"),
        ("inspecteur", "Inspecteur·rice"),
        ("Inspectrice", "Inspecteur·rice"),
        ("déléguée provinciale", "Délégué·e provincial·e"),
        ("coordinateur regional", "Coordinateur·rice régional·e"),
        ("مدير مركز", "مدير(ة) مركز"),
        ("مديرة مركز", "مدير(ة) مركز"),
        ("اوافق", "✅ أوافق"),
        ("العربيه", "العربية"),
        ("مُدِيــر مركز", "مدير(ة) مركز"),  # harakat and tatweel
        ("souss massa", "Souss-Massa"),
    ],
)
def test_a_typed_label_names_its_button(typed: str, label: str) -> None:
    assert match_label(typed, [(label, "x"), ("Something else", "y")]) == "x"


def test_nothing_or_several_buttons_named_is_no_answer() -> None:
    buttons = [("Centre A", "a"), ("Centre-A", "b"), ("Other", "c")]
    assert match_label("centre a", buttons) is None  # two buttons read the same
    assert match_label("🙂", buttons) is None
    assert match_label("Oth", buttons) is None  # no guessing from a prefix
    assert normalize("Ça VA ?") == "ca va"
