"""Rooms, speakers and facilitators of the event file in the reader's language: the example
gives them in Arabic, French and English, and `multaqa event check` warns (the file stays
valid) about each one missing a language the bot offers."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.event.file import load_event_file
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)
FRENCH_ONLY = ("Hall d'accueil", "Amphithéâtre", "Directeur de l'Entraide Nationale", "Salle")


@pytest.fixture
async def event_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    await bot.services.event.load(load_event_file(EXAMPLE), None)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_an_arabic_reader_sees_rooms_and_speakers_in_arabic(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Amal", language_code="ar")
    await enrol(event_bot, user, "ar", "central")
    await user.send("/agenda")
    agenda = await said_text(user)
    assert "بهو الاستقبال" in agenda and "المدرج" in agenda and "مدير التعاون الوطني" in agenda
    await user.send("/workshops")
    listing = await said_text(user)
    assert "القاعة 1" in listing
    assert not [word for word in FRENCH_ONLY if word in agenda + listing]


async def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "event.yaml"
    path.write_text(text, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot.cli", "--lang", "en", "event", "check", str(path)),
        env={**os.environ, "DATABASE_PATH": str(tmp_path / "m.db")},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


async def test_event_check_warns_for_each_name_missing_a_language(tmp_path: Path) -> None:
    status, out = await _check(tmp_path, EXAMPLE.read_text(encoding="utf-8"))
    assert status == 0 and "⚠" not in out  # the example gives every name in every language
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        '    room:\n      ar: "القاعة 1"\n      fr: "Salle 1"\n      en: "Room 1"',
        '    room: "Salle 1"',
        1,
    )
    text = text.replace('      ar: "مدير التعاون الوطني"\n', "", 1)
    status, out = await _check(tmp_path, text)
    assert status == 0 and ": valid — " in out
    warnings = [line for line in out.splitlines() if "⚠" in line]
    assert warnings == [
        "  ⚠ agenda[1].speaker: not given in ar: readers of these languages will see it in "
        "another language",
        "  ⚠ workshops[0].room: one text shown in every language: give it in ar, fr, en",
    ]
