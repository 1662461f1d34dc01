"""Fixtures: a Bot API emulator on loopback and the real Application on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.harness import RunningBot, settings_for

ORGANIZER_ID = 900001


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A fresh emulator per test, with Telegram's flood limits on (a private chat takes a short
    burst, then one message a second), so a flow that floods one person fails here first."""
    emu = BotApiEmulator()
    emu.flood.enable()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file of this test."""
    return tmp_path / "multaqa.db"


@pytest.fixture
def make_bot(emulator: BotApiEmulator, db_path: Path) -> Callable[..., RunningBot]:
    """Build (not start) a bot with settings overrides."""

    def make(clock: FakeClock | None = None, **overrides: Any) -> RunningBot:
        overrides.setdefault("organizer_ids", [ORGANIZER_ID])
        return RunningBot(settings_for(emulator, db_path, **overrides), clock or FakeClock())

    return make


@pytest.fixture
async def bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot, running, with default settings."""
    running = await make_bot().start()
    try:
        yield running
    finally:
        await running.stop()
