"""Keyboards read in the reader's direction. Telegram lays out a row left to right in every
language, so for an Arabic reader each row is built reversed: read right to left, "✏️ Name"
comes before "✏️ Function", and paging goes ▶️ previous (right) · n/N · ◀️ next (left)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.event.file import load_event_file
from bot.views.keyboards import inline_keyboard
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "study-day.yaml"
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)

Walk = list[list[list[str | None]]]  # per message shown: its rows of callback data


async def _keyboards(user: SimUser, steps: list[tuple[str, str]]) -> Walk:
    """The callback data of every keyboard shown along the steps ("send" a command, or
    "press" a button by its data on the last keyboard shown)."""
    walk: Walk = []
    last = None
    for kind, what in steps:
        if kind == "send":
            await user.send(what)
        else:
            assert last is not None
            await user.press_data(last.message_id, what)
        while True:
            message = await said(user)
            if message.inline_buttons:
                walk.append([[data for _, data in row] for row in message.inline_buttons])
                last = message
                break
    return walk


async def test_every_multi_button_row_is_reversed_for_an_arabic_reader(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(
        clock=FakeClock(MONDAY), organizer_ids=[ORGANIZER_ID, ORGANIZER_ID + 1]
    ).start()
    try:
        await bot.services.event.load(load_event_file(EXAMPLE), None)
        english = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="en")
        arabic = emulator.user(user_id=ORGANIZER_ID + 1, first_name="Amal", language_code="ar")
        await enrol(bot, english, "en", "central")
        await enrol(bot, arabic, "ar", "central")
        steps = [
            ("send", "/profile"),  # ✏️ Name | ✏️ Function, ✏️ Region | ✏️ Unit ...
            ("send", "/workshops"),
            ("send", "/admin"),  # Figures | Export, Dashboard | Last actions, ...
            ("press", "ad:exp"),  # XLSX | CSV
            ("send", "/privacy"),
            ("send", "/language"),
        ]
        seen_en = await _keyboards(english, steps)
        seen_ar = await _keyboards(arabic, steps)
        multi = [row for keyboard in seen_en for row in keyboard if len(row) > 1]
        assert len(multi) >= 5  # the walk does meet rows of several buttons
        assert seen_ar == [[row[::-1] for row in keyboard] for keyboard in seen_en]
    finally:
        await bot.stop()


def test_paging_reads_previous_on_the_right_in_arabic() -> None:
    rows = [[("◀️", "p:0"), ("2/3", "p:1"), ("▶️", "p:2")]]
    arabic = inline_keyboard(rows, rtl=True).inline_keyboard[0]
    assert [(b.text, b.callback_data) for b in arabic] == [
        ("◀️", "p:2"),  # leftmost: next, pointing the way Arabic pages turn
        ("2/3", "p:1"),
        ("▶️", "p:0"),  # rightmost, read first: previous
    ]
    english = inline_keyboard(rows, rtl=False).inline_keyboard[0]
    assert [(b.text, b.callback_data) for b in english] == [
        ("◀️", "p:0"),
        ("2/3", "p:1"),
        ("▶️", "p:2"),
    ]


def test_every_keyboard_is_built_by_the_one_helper() -> None:
    """No keyboard is put together anywhere else, so none escapes the reader's direction:
    inline keyboards come from bot.views.keyboards, reply keyboards take their rows from
    its in_reading_order."""
    offenders = []
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "bot" / "views" / "keyboards.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if name in ("InlineKeyboardMarkup", "InlineKeyboardButton"):
                    offenders.append(where)
                elif name == "ReplyKeyboardMarkup":
                    rows = node.args[0] if node.args else None
                    called = getattr(rows, "func", None)
                    if getattr(called, "id", "") != "in_reading_order":
                        offenders.append(where)
    assert offenders == []
