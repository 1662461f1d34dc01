"""An organizer who reads Arabic sends a broken event file, a Latin-1 file and broken tables:
every explanation is in Arabic, with the place to fix, and every line reads right to left."""

from __future__ import annotations

from pathlib import Path

from bidi import get_base_level

from sandbox import BotApiEmulator, SimUser
from tests.conftest import ORGANIZER_ID
from tests.handlers.reading import next_shown_text
from tests.harness import RunningBot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"


def arabic_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def assert_right_to_left(user: SimUser) -> None:
    """Every line of every message, and every button, the person got reads right to left."""
    wrong = []
    for message in user.inbox:
        for line in arabic_lines(message.text or ""):
            if get_base_level(line) != 1:
                wrong.append(line)
        wrong += [label for label in message.labels if get_base_level(label) != 1]
    assert wrong == []


async def test_broken_files_are_explained_in_arabic(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="الإدارة", language_code="ar")

    await organizer.send_document(
        "event.yaml", "application/x-yaml", b"event:\n  slug: Bad Slug\n   title: x\n"
    )
    syntax = await next_shown_text(organizer)
    assert "في ملف اللقاء مشكل واحد؛ لم يتغير أي شيء" in syntax
    assert "السطر 3، العمود 9" in syntax and "إزاحة هذا السطر لا تطابق السطر الذي فوقه" in syntax

    await organizer.send_document(
        "event.yaml", "application/x-yaml", "event:\n  slug: journée\n".encode("latin-1")
    )
    latin1 = await next_shown_text(organizer)
    assert "ليس محفوظا بترميز" in latin1 and "UTF-8" in latin1 and "السطر 2" in latin1
    assert "codec" not in latin1

    broken = EXAMPLE.read_text(encoding="utf-8").replace(
        'end: "2019-01-30 09:30"', 'end: "2019-01-30 08:00"', 1
    )
    await organizer.send_document("event.yaml", "application/x-yaml", broken.encode())
    invalid = await next_shown_text(organizer)
    assert "يجب أن يكون بعد البداية" in invalid and "(السطر " in invalid
    assert "must" not in invalid

    await organizer.send_document("recs.csv", "text/csv", "texte;due\né;x\n".encode("cp1252"))
    table = await next_shown_text(organizer)
    assert "ليس نصا بترميز UTF-8" in table and "CSV UTF-8" in table

    rows = "text,workshop,due\nنشر الدليل,Salle 9,2020-01-01\n,,\nتكوين,,31/12/2030\n,x,\n"
    await organizer.send_document("recs.csv", "text/csv", rows.encode())
    preview = await next_shown_text(organizer)
    assert "ورشة غير معروفة" in preview and "قد مضى" in preview and "النص غير موجود" in preview
    assert "unknown" not in preview and "missing" not in preview

    assert_right_to_left(organizer)


async def test_the_terminal_speaks_the_language_of_lang(tmp_path: Path) -> None:
    import asyncio
    import os
    import sys

    broken = tmp_path / "event.yaml"
    broken.write_bytes("event:\n  slug: journée\n".encode("latin-1"))
    env = {**os.environ, "LANG": "ar_MA.UTF-8", "DATABASE_PATH": str(tmp_path / "m.db")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "event",
        "check",
        str(broken),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    said = err.decode()
    assert process.returncode == 2
    assert "مشكل واحد" in said and "ليس محفوظا بترميز UTF-8" in said
    assert "\u2068" not in said  # no invisible marks on a terminal


async def test_an_arabic_broadcast_reads_right_to_left_even_when_a_line_starts_in_latin(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    from bot.outbound.schedule import tick
    from tests.handlers.test_broadcast import enrol

    person = emulator.user(first_name="Hamid", language_code="ar")
    await enrol(bot, person, "ar", "souss_massa")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="الإدارة", language_code="ar")
    await organizer.send("/admin")
    await next_shown_text(organizer)
    await organizer.press("📣 بث رسالة")
    await next_shown_text(organizer)
    text = "Zoom: الرابط في الأسفل\n09:00 بداية الجلسة\nhttps://example.org/s"
    await organizer.send(text)
    await next_shown_text(organizer)
    await organizer.press("⬅️ متابعة")
    await next_shown_text(organizer)
    await organizer.press("الجميع (1)")
    await next_shown_text(organizer)
    preview = await next_shown_text(organizer)
    assert preview == text  # as written, marks aside
    await next_shown_text(organizer)
    await organizer.press("✅ إرسال الآن")
    await tick(bot.services)
    received = await next_shown_text(person)
    assert received == text
    assert_right_to_left(person)
