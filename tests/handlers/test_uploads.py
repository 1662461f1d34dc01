"""Files built to explode are refused before they are parsed, with a clear reason (the
bystander's view while files are parsed is measured by benchmarks/uploads.py)."""

from __future__ import annotations

import io
import time
import zipfile

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said_text


def zip_bomb_xlsx(unpacked_mb: int) -> bytes:
    """A small .xlsx whose sheet unpacks to `unpacked_mb` MB (empty rows, compressed ~350×)."""
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = row * 16384
            for _ in range(unpacked_mb * 1024 * 1024 // len(chunk) + 1):
                sheet.write(chunk)
    return buffer.getvalue()


async def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    bomb = zip_bomb_xlsx(40)
    assert len(bomb) < 400 * 1024
    started = time.monotonic()
    await organizer.send_document("recs.xlsx", "application/vnd.ms-excel", bomb)
    refused = await said_text(organizer, timeout=10)
    assert "unpacks to more than 24 MB" in refused
    assert time.monotonic() - started < 5  # answered at once, not after unpacking 40 MB
    assert await bot.services.recommendations.all() == []


async def test_a_deeply_nested_event_file_is_refused_with_where(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    nested = "event:\n  slug: x\nagenda: " + "[" * 2500 + "]" * 2500 + "\n"
    await organizer.send_document("event.yaml", "application/x-yaml", nested.encode())
    refused = await said_text(organizer, timeout=10)
    assert "nested more than 20 levels deep (lines 3–3)" in refused
    assert await bot.services.event.current() is None
