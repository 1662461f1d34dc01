"""A bystander's reply time while an organizer uploads the worst files.

The bot runs as a subprocess (`multaqa run`) against the emulator in this process. B
registered bystanders (seeded through ParticipantRepository) keep sending /help and timing the
reply; first with nobody uploading (idle), then while an organizer sends, one after the other
and R rounds: a 63 MB zip-bomb .xlsx (~180 KB on the wire), a 5 KB event file nested 2,500
levels deep, the largest workbook the limits let through (~20 MB of sheet XML, parsed for
real), and the example event file. The organizer's answer time for each file is printed too.
The last line holds the figures as key=value pairs; bystander_p95_ms is measured while
uploads run (target < 250 ms).

Run: .venv/bin/python benchmarks/uploads.py --bystanders 20 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

# benchmarks/ is a folder of scripts, not a package: make _common importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BenchError,
    BotProcess,
    StampedQueue,
    events_of,
    next_new_message,
    ptb_env,
    stamped_user,
    stop_async,
    summarize_ms,
    wait_polling,
)

from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "study-day.yaml"
ORGANIZER_ID = 900001
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(sheet_rows: bytes, repeat: int) -> bytes:
    """A minimal workbook openpyxl opens, whose one sheet holds `sheet_rows` × `repeat`."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application'
            '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for _ in range(repeat):
                sheet.write(sheet_rows)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def bomb_xlsx() -> bytes:
    """63 MB of sheet XML (empty-looking rows of one short cell) in ~180 KB."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return _xlsx(row * 1000, 63 * 1024 * 1024 // (len(row) * 1000))


def heavy_xlsx() -> bytes:
    """About the heaviest workbook the limits let through (2 MB on the wire, unpacking to
    ~8 MB): 1,800 rows of 20 cells of varied words, parsed for real."""
    words = [f"mot{i}".encode() for i in range(3000)]
    rng = random.Random(7)
    header = b'<row><c t="inlineStr"><is><t>text</t></is></c></row>'
    rows = []
    for _ in range(1800):
        cells = b"".join(
            b'<c t="inlineStr"><is><t>' + b" ".join(rng.choices(words, k=25)) + b"</t></is></c>"
            for _ in range(20)
        )
        rows.append(b"<row>" + cells + b"</row>")
    return _xlsx(header + b"".join(rows), 1)


def nested_yaml() -> bytes:
    """5 KB nested 2,500 levels deep (froze the bot for seconds when parsed on the loop)."""
    return ("event:\n  slug: x\nagenda: " + "[" * 2500 + "]" * 2500 + "\n").encode()


async def seed(db_path: Path, count: int, emu: BotApiEmulator) -> list[SimUser]:
    clock = FakeClock(datetime.now(UTC))
    db = await Database(db_path).open()
    people = []
    try:
        repo = ParticipantRepository(db, clock)
        for i in range(count):
            user = stamped_user(emu, f"B{i}", "en")
            user.open_chat()
            fields = ProfileFields(
                "en", clock.now(), f"Bystander {i}", "inspector", None, "central", "C", None
            )
            await repo.save_profile(user.id, user.id, fields)
            people.append(user)
    finally:
        await db.close()
    return people


async def bystander(
    emu: BotApiEmulator, user: SimUser, stop: asyncio.Event, latencies: list[float]
) -> None:
    """Send /help, time the reply, pause a little, again until stopped."""
    queue = events_of(emu, user)
    while not stop.is_set():
        sent = time.perf_counter()
        await user.send("/help")
        _, stamp = await next_new_message(queue, 60)
        latencies.append(stamp - sent)
        # A person reads the answer before asking again; faster than Telegram's one message a
        # second per chat, the bot's own pacing (not the uploads) would set the reply time.
        await asyncio.sleep(1.0)


async def measure(
    emu: BotApiEmulator, people: list[SimUser], seconds: float | None, work: object = None
) -> list[float]:
    """Bystanders' latencies for `seconds`, or while `work` (a coroutine) runs."""
    stop = asyncio.Event()
    latencies: list[float] = []
    tasks = [asyncio.create_task(bystander(emu, p, stop, latencies)) for p in people]
    if work is not None:
        await work  # type: ignore[misc]
    else:
        await asyncio.sleep(seconds or 0)
    stop.set()
    await asyncio.gather(*tasks)
    return latencies


async def run(args: argparse.Namespace) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="multaqa-uploads-"))
    emu = BotApiEmulator()
    await emu.start()
    bot: BotProcess | None = None
    try:
        db_path = workdir / "m.db"
        people = await seed(db_path, args.bystanders, emu)
        env = ptb_env(emu, DATABASE_PATH=str(db_path), ORGANIZER_IDS=str(ORGANIZER_ID))
        bot = BotProcess("bot", [sys.executable, "-m", "bot.cli", "run"], env, workdir)
        bot.start()
        await wait_polling(emu, bot, 60)
        idle = await measure(emu, people, args.idle_seconds)
        answers: dict[str, list[float]] = {}
        busy = await measure(emu, people, None, uploads_by(emu, args.rounds, answers))
        _, idle_p95, _ = summarize_ms(idle)
        busy_p50, busy_p95, busy_p99 = summarize_ms(busy)
        figures: dict[str, object] = {
            "bystanders": args.bystanders,
            "idle_p95_ms": round(idle_p95, 1),
            "bystander_p50_ms": round(busy_p50, 1),
            "bystander_p95_ms": round(busy_p95, 1),
            "bystander_p99_ms": round(busy_p99, 1),
            "bystander_max_ms": round(max(busy) * 1000, 1),
            "replies_during_uploads": len(busy),
        }
        for name, times in answers.items():
            key = name.replace(".", "_").replace("-", "_")
            figures[f"answer_{key}_s"] = round(max(times), 2)
        return figures
    finally:
        if bot is not None:
            await stop_async(bot)
        await emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def uploads_by(emu: BotApiEmulator, rounds: int, answers: dict[str, list[float]]) -> None:
    """The organizer sends each file and waits for the bot's answer, `rounds` times."""
    organizer = emu.user(user_id=ORGANIZER_ID, first_name="Organizer", language_code="en")
    emu.chats[organizer.id].events = StampedQueue()
    queue = events_of(emu, organizer)
    files = [
        ("bomb.xlsx", XLSX, bomb_xlsx()),
        ("nested.yaml", "application/x-yaml", nested_yaml()),
        ("heavy.xlsx", XLSX, heavy_xlsx()),
        ("study-day.yaml", "application/x-yaml", EXAMPLE.read_bytes()),
    ]
    for name, _, content in files:
        print(f"  {name}: {len(content) / 1024:.0f} KB")
    for _ in range(rounds):
        for name, mime, content in files:
            sent = time.perf_counter()
            await organizer.send_document(name, mime, content)
            _, stamp = await next_new_message(queue, 180)
            answers.setdefault(name, []).append(stamp - sent)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bystanders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    try:
        figures = asyncio.run(run(args))
    except (BenchError, TimeoutError) as exc:
        print(f"benchmark failed: {exc!r}", file=sys.stderr)
        return 1
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
