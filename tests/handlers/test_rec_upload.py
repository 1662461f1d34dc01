"""Importing recommendations by sending a table to the bot, and from the terminal."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, plain, said, said_text, shown_text

TABLE = (
    "workshop,text,owner,due\n"
    "general,Créer une cellule d'écoute dans chaque centre,Person Zineb,30/06/2026\n"
    "atlantis,Something,,\n"
    "general,,,\n"
)


async def test_the_import_confirmation_lists_the_references_created(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await bot.services.recommendations.create(None, "Déjà là", "fr", None, None, ORGANIZER_ID)
    table = "workshop,text\ngeneral,Créer un guichet unique\ngeneral,Former les agents\n"
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    await said(organizer)
    await organizer.press("✅ Créer 2")
    done = plain(await shown_text(organizer))
    assert "2 recommandations créées" in done
    assert "Références : R-2, R-3" in done, done
    assert [r.reference for r in await bot.services.recommendations.all()] == ["R-1", "R-2", "R-3"]


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
    assert "1 recommandation créée" in await shown_text(organizer)
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
        "--lang",
        "en",
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


async def _named(bot: RunningBot, user_id: int, name: str, unit: str) -> None:
    from storage.participants import ProfileFields

    fields = ProfileFields("fr", bot.clock.now(), name, "inspector", None, "central", unit, None)
    await bot.services.participants.save_profile(user_id, user_id, fields)


async def test_an_owner_matches_one_person_by_whole_words_else_the_candidates_are_shown(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    await _named(bot, 501, "Karim El\u2011Idrissi", "Délégation de Fès")
    await _named(bot, 502, "Said Amrani", "Centre A")
    await _named(bot, 503, "Said Benali", "Centre B")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    table = (
        "text,owner\n"
        "First,a\n"  # a letter of «Karim El‑Idrissi», not a word of it
        "Second,Idrissi\n"
        "Third,karim el-idrissi\n"
        "Fourth,Said\n"
    )
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    preview = await said_text(organizer)
    assert "To create: 2" in preview
    assert 'row 2: owner "a" not found' in preview
    assert (
        'row 5: owner "Said" matches 2 people: Said Amrani (Centre A), Said Benali (Centre B)'
        in preview
    )
    await organizer.press("✅ Create 2")
    await said(organizer)
    assert [r.owner_id for r in await bot.services.recommendations.all()] == [501, 501]


async def test_a_table_sent_again_warns_about_identical_rows(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    table = "workshop,text\ngeneral,Open the centres on Saturdays\n"
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    await said(organizer)
    await organizer.press("✅ Create 1")
    await said(organizer)
    again = table + "general,open the centres  on saturdays\ngeneral,A new one\n"
    await organizer.send_document("recs.csv", "text/csv", again.encode())
    preview = await said(organizer)
    assert "To create: 1" in preview.text
    assert "row 2: identical to the existing recommendation R-1" in plain(preview.text)
    assert "row 3: identical to the existing recommendation R-1" in plain(preview.text)
    assert "Already there, not created again: 2" in preview.text
    await organizer.press("✅ Create 1")
    await said(organizer)
    assert [r.text for r in await bot.services.recommendations.all()] == [
        "Open the centres on Saturdays",
        "A new one",
    ]


@pytest.mark.slow
async def test_two_thousand_refused_rows_are_all_listed_in_messages_that_fit(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    table = "workshop,text\n" + "".join(f"atlantis-{i},Text {i}\n" for i in range(2000))
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    listed = []
    while True:
        message = await said(organizer, timeout=20)
        if "Import of recommendations" in message.text:
            break
        assert len(message.text.encode("utf-16-le")) // 2 <= 4096
        listed.append(plain(message.text))
    assert len(listed) > 1 and "Rows not used (1/" in listed[0]
    numbers = [n for text in listed for n in re.findall(r"row ([\d,]+):", text)]
    rows = {int(n.replace(",", "")) for n in numbers}
    assert rows == set(range(2, 2002))  # every refused row, with its number
    assert "Rows I cannot use: 2,000" in plain(message.text) and "listed above" in message.text
