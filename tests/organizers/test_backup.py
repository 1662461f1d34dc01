"""Backup while the bot runs (a broadcast under way), restore, and the bot goes on from the
restored file: the broadcast resumes, and nobody the copy records as reached gets it twice."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

from bot.desk import Desk
from sandbox import BotApiEmulator
from storage.backup import rotate
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import said


async def _backup_cli(emulator: BotApiEmulator, db_path: Path, out: Path) -> str:
    env = {**os.environ, "BOT_TOKEN": emulator.token, "DATABASE_PATH": str(db_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "backup",
        "--out",
        str(out),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    copy = stdout.decode().strip()
    assert os.stat(copy).st_mode & 0o777 == 0o600  # names and phones: this user only
    return copy


def _restore(copy: Path, db_path: Path) -> None:
    """The README's restore: the bot stopped, the copy over the file, no WAL left over."""
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, db_path)


async def test_backup_during_a_broadcast_restore_and_resume(
    emulator: BotApiEmulator, make_bot, db_path: Path, tmp_path: Path
) -> None:
    from handlers.campaign import start_campaign
    from storage.campaigns import Audience

    bot = await make_bot(broadcast_rate=12).start()
    try:
        people = [emulator.user(first_name=f"P{i}", language_code="fr") for i in range(120)]
        for person in people:
            await enrol(bot, person, "fr", "central")
        services = bot.services
        campaign_id = await services.campaigns.create(
            ORGANIZER_ID, "fr", Audience("everyone"), {"fr": "La salle change."}
        )
        await start_campaign(services, campaign_id, None, services.texts["fr"])
        await said(people[30], timeout=10)  # sending is under way
        copy = tmp_path / "copy.db"
        assert await _backup_cli(emulator, db_path, copy) == str(copy)
        assert services.runner.running(campaign_id)  # the copy did not stop the broadcast
        await bot.stop()
        # What the copy knows: who it records as reached.
        conn = sqlite3.connect(copy)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            reached = {
                row[0]
                for row in conn.execute(
                    "SELECT user_id FROM deliveries WHERE campaign_id = ? AND state = 'sent'",
                    (campaign_id,),
                )
            }
        finally:
            conn.close()
        assert 0 < len(reached) < 120
        # Restore as the README says: bot stopped, the copy over the file, no WAL left over.
        _restore(copy, db_path)
        await bot.start()
        await bot.services.runner.wait(campaign_id)
        progress = await bot.services.campaigns.progress(campaign_id)
        assert (progress.sent, progress.remaining) == (120, 0)
        assert all(len(p.inbox) >= 1 for p in people)  # nobody skipped
        twice = {p.id for p in people if len(p.inbox) > 1}
        assert not twice & reached  # nobody the copy records as reached gets it again
    finally:
        await bot.stop()


async def test_daily_copies_are_rotated(make_bot, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    bot = await make_bot(backup_dir=folder, backup_keep=2).start()
    try:
        desk: Desk = bot.services.organizers.desk
        made = []
        for _ in range(3):
            made.append(await desk.backup())
            bot.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
        assert sorted(folder.glob("multaqa-*.db")) == made[1:]
        assert rotate(folder, 2) == []
    finally:
        await bot.stop()
