"""Artifact generator: a few Arabic messages as a participant and an organizer receive them
(/agenda, /workshops, /mine, a change notice, an import report, a broken event file), each line
rendered by Chromium in a `<div dir="auto">` (as Telegram's apps pick a paragraph's direction),
to look at: every line must be right aligned.

    .venv/bin/python -m tests.screens.arabic_messages OUTDIR

Writes OUTDIR/<name>.html and .png, and prints key=value figures: lines in all, lines whose base
direction is right to left as sent, and as they would be without the direction marks."""

from __future__ import annotations

import asyncio
import html
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bidi import get_base_level

from bot.event.file import load_event_file, parse_event_text
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, settings_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "study-day.yaml"
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)
ORGANIZER = 900001
CHROMIUM = "/usr/bin/chromium"
MARKS = dict.fromkeys(map(ord, "\u200e\u200f"))


def page(title: str, text: str, labels: list[str]) -> str:
    """One chat bubble: each line its own paragraph with dir=auto; buttons below."""
    lines = "".join(
        f'<div dir="auto" class="line">{html.escape(line) or "&nbsp;"}</div>'
        for line in text.split("\n")
    )
    buttons = "".join(f'<div dir="auto" class="button">{html.escape(b)}</div>' for b in labels)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font-family: 'Noto Naskh Arabic', 'DejaVu Sans', sans-serif; font-size: 15px;
       background: #dfe8ef; margin: 0; padding: 12px; width: 456px; }}
.bubble {{ background: white; border-radius: 10px; padding: 8px 12px; }}
.line {{ min-height: 1.2em; border-bottom: 1px dotted #eee; }}
.button {{ background: #5b8db8; color: white; margin-top: 4px; padding: 6px; border-radius: 6px;
          text-align: center; }}
h1 {{ font: 12px monospace; color: #666; margin: 0 0 6px; }}
</style></head><body><h1>{html.escape(title)}</h1><div class="bubble">{lines}</div>
{buttons}</body></html>"""


async def collect() -> dict[str, tuple[str, list[str]]]:
    """The messages, as the emulator delivered them (text, button labels)."""
    emulator = BotApiEmulator()
    await emulator.start()
    shots: dict[str, tuple[str, list[str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(emulator, Path(tmp) / "m.db", organizer_ids=[ORGANIZER])
        bot = await RunningBot(settings, FakeClock(MONDAY)).start()
        try:
            event = load_event_file(EXAMPLE)
            await bot.services.event.load(event, None)
            user = emulator.user(first_name="Hamid", language_code="ar")
            await enrol(bot, user, "ar", "souss_massa")

            async def ask(person: SimUser, command: str, name: str) -> None:
                await person.send(command)
                message = await said(person)
                shots[name] = (message.text, message.labels)

            await ask(user, "/agenda", "agenda-before-workshop")
            await ask(user, "/workshops", "workshops")
            await user.press("➕ التسجيل في الورشة 1")
            await said(user)
            await ask(user, "/agenda", "agenda")
            await user.send("Créer une cellule d'écoute — P-0001 à Salé, 2 centres")
            await said(user)
            await user.press("💡 عام (غير مرتبط بورشة)")
            await said(user)
            await ask(user, "/mine", "mine")

            moved = EXAMPLE.read_text(encoding="utf-8").replace(
                'fr: "Salle 2"', 'fr: "Salle 12"', 1
            )
            moved = moved.replace('start: "2019-01-30 09:00"', 'start: "2019-01-30 09:15"', 1)
            await bot.services.event.load(parse_event_text(moved), None)
            bot.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
            await tick(bot.services)
            notice = await said(user)
            shots["change-notice"] = (notice.text, notice.labels)

            organizer = emulator.user(user_id=ORGANIZER, first_name="الإدارة", language_code="ar")
            rows = (
                "text,workshop,owner,due\n"
                "نشر الدليل,Salle 9,Zorro,2020-01-01\n"
                "تكوين المؤطرين,,+212600000000,31/12/2030\n,x,,\n"
            )
            await organizer.send_document("recs.csv", "text/csv", rows.encode())
            report = await said(organizer)
            shots["import-report"] = (report.text, report.labels)
            broken = EXAMPLE.read_text(encoding="utf-8").replace(
                'end: "2019-01-30 09:30"', 'end: "2019-01-30 08:00"', 1
            )
            await organizer.send_document("event.yaml", "application/x-yaml", broken.encode())
            problems = await said(organizer)
            shots["event-file-problems"] = (problems.text, problems.labels)
            await organizer.send("/admin")
            admin = await said(organizer)
            shots["admin"] = (admin.text, admin.labels)
        finally:
            await bot.stop()
            await emulator.stop()
    return shots


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    shots = asyncio.run(collect())
    lines = rtl = rtl_unmarked = 0
    for name, (text, labels) in shots.items():
        target = out / f"{name}.html"
        target.write_text(page(name, text, labels), encoding="utf-8")
        height = 60 + 24 * (text.count("\n") + 1 + len(labels)) + 8 * len(text) // 40
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out / f'{name}.png'}",
                f"--window-size=480,{min(height, 4000)}",
                target.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        for line in [*text.split("\n"), *labels]:
            if not line.strip():
                continue
            lines += 1
            rtl += get_base_level(line) == 1
            rtl_unmarked += get_base_level(line.translate(MARKS)) == 1
    print(f"messages={len(shots)}")
    print(f"lines={lines}")
    print(f"lines_right_to_left={rtl}")
    print(f"lines_right_to_left_without_marks={rtl_unmarked}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screens"))
