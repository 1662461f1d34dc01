"""Callback data is parsed strictly against each prefix's schema, and no two flows share a
prefix or a command."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.app import FLOWS
from bot.commands import ORGANIZER_COMMANDS, PARTICIPANT_COMMANDS
from handlers import registration_questions as reg
from handlers import review, workshops


def test_round_trip_carries_stable_ids() -> None:
    data = workshops.JOIN("management")
    assert data == "ws:join:management"
    press = workshops.WS.parse(data)
    assert press is not None and press.button is workshops.JOIN
    assert press["workshop"] == "management"
    press = review.RV.parse(review.INTO(12, 7))
    assert press is not None and press.values == {"recommendation": 12, "proposal": 7}


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "reg",
        "lang:set:fr",  # another prefix
        "reg::x",
        "reg:fn",  # a field missing
        "reg:fn:inspector:x",  # a field too many
        "reg:fn:inspector;drop",
        "reg:fn:" + "a" * 33,
        "reg:fn:" + "9" * 70,  # over 64 bytes
        "reg:fn:٣",  # non-ASCII
        "reg:fn:Inspector",  # codes are lowercase
        "reg:fn:inspector:",
        "reg:consent:maybe",  # not one of the words
        "reg:zz:1",  # an undeclared action
    ],
)
def test_malformed_or_foreign_data_is_rejected(data: str | None) -> None:
    assert reg.REG.parse(data) is None


@pytest.mark.parametrize("raw", ["0", "-1", "01", "1e3", "x", "9" * 19])
def test_database_ids_are_positive_integers(raw: str) -> None:
    assert review.RV.parse(f"rv:rej:{raw}") is None


def test_building_refuses_what_parsing_would_refuse() -> None:
    with pytest.raises(ValueError):
        workshops.JOIN("Not A Code")
    with pytest.raises(ValueError):
        review.REJECT(0)
    with pytest.raises(ValueError):
        workshops.JOIN()  # a value missing
    with pytest.raises(ValueError):
        callbacks.Prefix("ws")  # declared twice


def test_prefixes_and_commands_never_collide() -> None:
    prefixes = [flow.PREFIX for flow in FLOWS if hasattr(flow, "PREFIX")]
    assert len(prefixes) == len(set(prefixes))
    assert set(prefixes) <= set(callbacks.PREFIXES)
    names = [name for name, _ in (*PARTICIPANT_COMMANDS, *ORGANIZER_COMMANDS)]
    assert len(names) == len(set(names))
    assert all(name.islower() and name.isascii() for name in names)


def test_every_button_fits_64_bytes_with_the_longest_ids() -> None:
    """Event-file ids and codes may have 32 characters, database ids 18 digits."""
    import bot.app  # noqa: F401  # declares every flow's buttons

    def longest(field: callbacks.Field) -> object:
        if isinstance(field, callbacks.Code):
            return "w" * 32
        if isinstance(field, callbacks.Id | callbacks.Number):
            return 10**17
        assert isinstance(field, callbacks.OneOf)
        return max(field.values, key=len)

    for prefix in callbacks.PREFIXES.values():
        for button in prefix.buttons.values():
            data = button(*(longest(f) for f in button.fields))
            assert prefix.parse(data) is not None
