"""Importing recommendations by sending a table to the bot, and from the terminal."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta
from pathlib import Path

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text

TABLE = (
    "workshop,text,owner,due\n"
    "general,Créer une cellule d'écoute dans chaque centre,Person Zineb,30/06/2026\n"
    "atlantis,Something,,\n"
    "general,,,\n"
)


async def test_an_organizer_imports_a_table_with_a_preview(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    owner = emulator.user(first_name="Zineb", language_code="fr")
    await enrol(bot, owner, "fr", "central")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send_document("recs.csv", "text/csv", "é;x".encode("cp1252"))
    assert "Je ne peux pas utiliser ce tableau" in await said_text(organizer)
    await organizer.send_document("recs.csv", "text/csv", TABLE.encode())
    preview = await said(organizer)
    assert "À créer : 1" in preview.text and "Lignes inutilisables : 2" in preview.text
    assert "ligne 3 :" in preview.text and "ligne 4 :" in preview.text
    await organizer.press("✅ Créer 1")
    assert "1 recommandation(s) créée(s)" in await said_text(organizer)
    (rec,) = await bot.services.recommendations.all()
    assert (rec.owner_id, rec.language, rec.due_date.isoformat()) == (owner.id, "fr", "2026-06-30")
    participant = emulator.user(first_name="P", language_code="fr")
    await enrol(bot, participant, "fr", "central")
    await participant.send_document("recs.csv", "text/csv", TABLE.encode())
    assert "proposition" in await said_text(participant)  # just a message to them: no import
    assert len(await bot.services.recommendations.all()) == 1


async def test_import_from_the_terminal(emulator: BotApiEmulator, tmp_path: Path) -> None:
    table = tmp_path / "recs.csv"
    # The terminal runs on the system clock: a due date computed from today is never past.
    due = (date.today() + timedelta(days=90)).isoformat()
    table.write_text(f"text,due\nPublier le catalogue en ligne,{due}\n,\n", encoding="utf-8")
    env = {**os.environ, "BOT_TOKEN": emulator.token, "DATABASE_PATH": str(tmp_path / "m.db")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "recommendations",
        "import",
        str(table),
        "--yes",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "1 to create" in out.decode() and "created 1: R-1" in out.decode()


async def test_an_import_that_fails_midway_creates_nothing(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    table = "text\nFirst recommendation\nSecond recommendation\nThird recommendation\n"
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    await said(organizer)
    async with bot.services.db.transaction() as conn:  # the disk fails at the second row
        await conn.execute(
            "CREATE TRIGGER fail BEFORE INSERT ON recommendations "
            "WHEN NEW.text = 'Second recommendation' BEGIN SELECT RAISE(ABORT, 'disk'); END"
        )
    await organizer.press("✅ Create 3")
    assert "went wrong" in await said_text(organizer)
    assert await bot.services.recommendations.all() == []  # never half the table
