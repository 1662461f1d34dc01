"""The export at size: N participants (with sign-ups, check-ins, proposals with files, a
broadcast's deliveries, audit entries) exported by the real `multaqa export` CLI as XLSX and
as CSV; time and the process's peak RSS (sampled with psutil) for each.

The data is written straight into a temporary SQLite file (after the migrations) so that the
seeding takes seconds. The last line holds the figures as key=value pairs.

Run: .venv/bin/python benchmarks/export.py --participants 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from bot.event.file import load_event_file
from bot.event.service import EventService
from bot.settings import load_settings
from storage.clock import FakeClock
from storage.database import Database

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "study-day.yaml"
TOKEN = "123456:BENCH"
WORKSHOPS = ("management", "partnerships", "training-offer", "repositioning")
REGIONS = ("souss_massa", "oriental", "central", "fes_meknes")
FUNCTIONS = ("inspector", "head_of_service", "centre_director")


async def _prepare(path: Path) -> None:
    settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path)
    clock = FakeClock(datetime(2019, 1, 20, 9, 0, tzinfo=UTC))
    db = await Database(path).open()
    try:
        await EventService.for_database(db, settings, clock).load(load_event_file(EXAMPLE), None)
    finally:
        await db.close()


def _seed(path: Path, n: int) -> None:
    start = datetime(2019, 1, 14, 9, 0, tzinfo=UTC)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO participants (user_id, chat_id, locale, consent_at, full_name, "
            "function_code, region_code, unit, phone, reachable, registered_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (
                (
                    10_000 + i,
                    10_000 + i,
                    ("ar", "fr", "en")[i % 3],
                    (t := (start + timedelta(minutes=7 * i)).isoformat()),
                    f"مشارك رقم {i} — Participant {i}",
                    FUNCTIONS[i % 3],
                    REGIONS[i % 4],
                    "مديرية التعاون الوطني بأكادير إداوتنان" if i % 2 else "=unit()",
                    f"+2126{i:08d}",
                    t,
                    t,
                )
                for i in range(n)
            ),
        )
        conn.executemany(
            "INSERT INTO signups (workshop_id, user_id, state, created_at) VALUES (?, ?, ?, ?)",
            (
                (WORKSHOPS[i % 4], 10_000 + i, "confirmed" if i < 120 else "waiting", "2019-01-20")
                for i in range(n)
            ),
        )
        conn.executemany(
            "INSERT INTO checkins (user_id, at) VALUES (?, ?)",
            ((10_000 + i, "2019-01-30T08:00:00+00:00") for i in range(0, n, 3)),
        )
        conn.executemany(
            "INSERT INTO proposals (id, author_id, theme, text, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                (i + 1, 10_000 + i, WORKSHOPS[i % 4], "اقتراح " * 60, "2019-01-30T10:00:00+00:00")
                for i in range(0, n, 3)
            ),
        )
        conn.executemany(
            "INSERT INTO proposal_attachments (proposal_id, kind, file_id, file_name, position) "
            "VALUES (?, 'document', ?, ?, 0)",
            ((i + 1, f"F{i}", f"note-{i}.pdf") for i in range(0, n, 3)),
        )
        conn.execute(
            "INSERT INTO campaigns (id, author_locale, audience, texts, state, created_at) "
            "VALUES (1, 'fr', ?, ?, 'done', '2019-01-29T10:00:00+00:00')",
            (json.dumps({"kind": "everyone"}), json.dumps({"fr": "Rappel"})),
        )
        conn.executemany(
            "INSERT INTO deliveries (campaign_id, user_id, chat_id, locale, state, updated_at) "
            "VALUES (1, ?, ?, 'fr', 'sent', '2019-01-29T10:05:00+00:00')",
            ((10_000 + i, 10_000 + i) for i in range(n)),
        )
        conn.executemany(
            "INSERT INTO audit_log (at, actor_id, action, subject) VALUES (?, 1, 'review', ?)",
            (("2019-01-30T12:00:00+00:00", f"proposal:{i}") for i in range(n // 2)),
        )
    conn.close()


def _run(path: Path, fmt: str, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `multaqa export`."""
    env = {**os.environ, "BOT_TOKEN": TOKEN, "DATABASE_PATH": str(path)}
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "export", "--format", fmt, "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"multaqa export --format {fmt} failed ({process.returncode})")
    return elapsed, peak / 1e6


async def _loop_lag(path: Path, out: Path) -> float:
    """The longest the event loop went unanswered (ms) while the bot's own export path (a
    worker thread) wrote the workbook: how long a participant's reply could wait."""
    from bot.desk import Desk
    from bot.i18n import Translations
    from storage.clock import SystemClock

    settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path)
    db = await Database(path).open()
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - began - 0.01)

    try:
        desk = Desk.for_database(db, settings, SystemClock())
        task = asyncio.create_task(ticker())
        await desk.export(Translations("ar")["ar"], "xlsx", out)
        done.set()
        await task
    finally:
        await db.close()
    return worst * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="multaqa-bench-export-") as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(_prepare(path))
        _seed(path, args.participants)
        xlsx_s, xlsx_rss = _run(path, "xlsx", Path(folder) / "xlsx")
        csv_s, csv_rss = _run(path, "csv", Path(folder) / "csv")
        size = sum(f.stat().st_size for f in (Path(folder) / "xlsx").iterdir()) / 1e6
        lag_ms = asyncio.run(_loop_lag(path, Path(folder) / "in-bot"))
    print(f"xlsx: {xlsx_s:.2f} s, {size:.1f} MB file, peak RSS {xlsx_rss:.0f} MB")
    print(f"csv:  {csv_s:.2f} s, peak RSS {csv_rss:.0f} MB")
    print(f"event loop: longest stall {lag_ms:.0f} ms while the bot exports (worker thread)")
    print(
        f"participants={args.participants} xlsx_s={xlsx_s:.2f} csv_s={csv_s:.2f} "
        f"peak_rss_mb={max(xlsx_rss, csv_rss):.0f} xlsx_mb={size:.1f} loop_lag_ms={lag_ms:.0f}"
    )


if __name__ == "__main__":
    main()
