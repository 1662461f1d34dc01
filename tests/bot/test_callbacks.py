"""Callback data is parsed strictly, and no two flows share a prefix or a command."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.app import FLOWS
from bot.commands import ORGANIZER_COMMANDS, PARTICIPANT_COMMANDS


def test_round_trip() -> None:
    data = callbacks.encode("reg", "fn", 3)
    assert data == "reg:fn:3"
    assert callbacks.decode(data, "reg") == callbacks.Callback("reg", "fn", ("3",))


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "reg",
        "lang:set:fr",
        "reg::x",
        "reg:fn:3;drop",
        "reg:fn:" + "9" * 70,
        "reg:fn:٣",
        "reg:fn:3:",
    ],
)
def test_malformed_or_foreign_data_is_rejected(data: str | None) -> None:
    assert callbacks.decode(data, "reg") is None


def test_encoding_refuses_what_telegram_would_refuse() -> None:
    with pytest.raises(ValueError):
        callbacks.encode("reg", "x" * 33)
    with pytest.raises(ValueError):
        callbacks.encode("reg", "a", *["b" * 30] * 3)


def test_prefixes_and_commands_never_collide() -> None:
    prefixes = [flow.PREFIX for flow in FLOWS if hasattr(flow, "PREFIX")]
    assert len(prefixes) == len(set(prefixes))
    names = [name for name, _ in (*PARTICIPANT_COMMANDS, *ORGANIZER_COMMANDS)]
    assert len(names) == len(set(names))
    assert all(name.islower() and name.isascii() for name in names)
