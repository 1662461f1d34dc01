"""Fixtures: a Bot API emulator on loopback and the real Application on a real SQLite file."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox import BotApiEmulator
from storage.clock import FakeClock
from storage.database import Database
from tests.harness import RunningBot, settings_for

ORGANIZER_ID = 900001


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A fresh emulator per test, with Telegram's flood limits on (a private chat takes a short
    burst, then one message a second), so a flow that floods one person fails here first; each
    person takes a second per action, as a person would, so a dialog at machine speed is not
    mistaken for a flood."""
    emu = BotApiEmulator()
    emu.flood.enable()
    emu.person_pace = 1.0  # a second per thing a person sends or presses (see the emulator)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file brought up to date by the real migrations (storage.database), once per
    session: each test's file starts as a copy of it instead of running them again. Checkpointed
    so that the one file holds everything (no -wal to copy)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        await (await Database(path).open()).close()

    asyncio.run(migrate())
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not Path(f"{path}-wal").exists(), "the template must be one file"
    return path


def copy_of_template(template: Path, path: Path) -> Path:
    """`path` as a freshly migrated database file (private, as the bot makes it)."""
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    """The SQLite file of this test: already migrated (a copy of the session's template), as
    the bot would leave a new file at its first start."""
    return copy_of_template(migrated_template, tmp_path / "multaqa.db")


@pytest.fixture
def make_bot(emulator: BotApiEmulator, db_path: Path) -> Callable[..., RunningBot]:
    """Build (not start) a bot with settings overrides."""

    def make(clock: FakeClock | None = None, **overrides: Any) -> RunningBot:
        overrides.setdefault("organizer_ids", [ORGANIZER_ID])
        settings = settings_for(emulator, db_path, **overrides)
        return RunningBot(settings, clock or FakeClock(), emulator)

    return make


@pytest.fixture
async def bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot, running, with default settings."""
    running = await make_bot().start()
    try:
        yield running
    finally:
        await running.stop()
