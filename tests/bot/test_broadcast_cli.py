"""`multaqa broadcast` from a terminal: audience, confirmation, progress, report."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sandbox import BotApiEmulator
from storage.clock import SystemClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields


async def _cli(emulator: BotApiEmulator, db_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BOT_")},
        "BOT_TOKEN": emulator.token,
        "BOT_API_BASE_URL": emulator.base_url,
        "BOT_API_FILE_URL": emulator.base_file_url,
        "DATABASE_PATH": str(db_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "broadcast",
        "--lang",
        "en",
        *args,
        env=env,
        cwd=db_path.parent,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_broadcast_from_the_command_line(emulator: BotApiEmulator, tmp_path: Path) -> None:
    db_path = tmp_path / "multaqa.db"
    db = await Database(db_path).open()
    repo = ParticipantRepository(db, SystemClock())
    people = {}
    for i, (locale, region) in enumerate(
        [("fr", "central"), ("ar", "central"), ("en", "oriental")]
    ):
        user = emulator.user(first_name=f"P{i}", language_code=locale)
        user.open_chat()
        people[locale] = user
        await repo.save_profile(
            user.id,
            user.id,
            ProfileFields(
                locale,
                SystemClock().now(),
                f"Person {i}",
                "inspector",
                None,
                region,
                "Centre",
                None,
            ),
        )
    await db.close()
    (tmp_path / "fr.txt").write_text("Le bus part à <b>8h15</b>.", encoding="utf-8")
    (tmp_path / "ar.txt").write_text("تنطلق الحافلة على الساعة <b>8:15</b>.", encoding="utf-8")

    status, out, err = await _cli(
        emulator,
        db_path,
        "--text-fr",
        "fr.txt",
        "--text-ar",
        "ar.txt",
        "--audience",
        "region=central",
        "--yes",
    )
    assert status == 0, err
    assert "2 recipients in audience region=central" in out
    assert "delivered 2 of 2, unreachable 0, failed 0" in out
    assert "campaign 1" in err  # the progress bar
    assert people["fr"].inbox[-1].text == "Le bus part à 8h15."
    assert people["ar"].inbox[-1].text == "تنطلق الحافلة على الساعة 8:15."
    assert people["en"].inbox == []


async def test_bad_arguments_are_all_reported(emulator: BotApiEmulator, tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("x" * 5000, encoding="utf-8")
    status, _, err = await _cli(
        emulator, tmp_path / "m.db", "--text", "long.txt", "--audience", "region=atlantis"
    )
    assert status == 2
    assert "longer than 4,096 characters" in err and "unknown region 'atlantis'" in err


async def test_without_yes_it_asks_and_sends_nothing_on_no(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    (tmp_path / "m.txt").write_text("Hello", encoding="utf-8")
    status, out, _ = await _cli(emulator, tmp_path / "m.db", "--text", "m.txt")
    assert status == 1 and "Nothing sent." in out
