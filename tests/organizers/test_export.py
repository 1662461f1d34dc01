"""Exports: the XLSX workbook (a sheet per table, right to left in Arabic, labels not codes,
local times, inert formulas), CSV with a BOM that round-trips Arabic, from the bot, the
terminal and off the event loop."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.documents.export import inert
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, shown
from tests.organizers.seed import EVIL_NAME, SATURDAY, seed

SHEETS_AR = [
    "المشاركون",
    "التسجيل في الورشات",
    "الحضور",
    "المقترحات",
    "التوصيات",
    "سجل المتابعة",
    "الرسائل الجماعية",
    "الإرسالات",
    "سجل الإجراءات",
]


@pytest.fixture
async def seeded(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot with the seeded event."""
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock).start()
    await seed(bot.services, clock)
    try:
        yield bot
    finally:
        await bot.stop()


def test_cells_that_look_like_formulas_are_made_inert() -> None:
    for value in ("=1+1", "+212600", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert inert(value) == "'" + value
    assert inert("سعاد") == "سعاد" and inert(42) == 42 and inert("a=b") == "a=b"
    assert inert("+212612345678") == "+212612345678"  # a valid phone number is data
    assert inert("+212612345678=1") == "'+212612345678=1"


async def test_xlsx_has_a_sheet_per_table_in_arabic_right_to_left(
    seeded: RunningBot, tmp_path: Path
) -> None:
    t = seeded.services.texts["ar"]
    # The owner of R-1 reports progress: the status history and the follow-up sheet show it.
    await seeded.services.followup.repo.record(1, 104, "in_progress", 50, "=أرسلنا الدليل")
    [path] = await seeded.services.organizers.desk.export(t, "xlsx", tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == SHEETS_AR
    assert all(book[name].sheet_view.rightToLeft for name in SHEETS_AR)
    people = list(book["المشاركون"].values)
    assert people[0][:4] == ("معرف تيليغرام", "الاسم", "الوظيفة", "الجهة")
    assert len(people) == 7  # header and six participants
    by_id = {row[0]: row for row in people[1:]}
    assert by_id[101][1:4] == ("سعاد الإدريسي", "مفتش(ة)", "سوس - ماسة")
    assert by_id[101][8] == "2019-01-26 11:00"  # registered 10:00 UTC, shown in Casablanca
    assert by_id[101][10] and by_id[105][10] is None  # checked in, or not
    assert "(مؤكد)" in by_id[101][9]
    # Formulas from participants are string cells, kept exactly as typed: never evaluated.
    evil = book["المشاركون"].cell(row=[r[0] for r in people].index(105) + 1, column=2)
    assert evil.value == EVIL_NAME and evil.data_type == "s"
    assert by_id[104][4:6] == ("+DAS", "+212612345678")
    proposals = list(book["المقترحات"].values)
    assert len(proposals) == 5
    files = {row[0]: row[8] for row in proposals[1:]}
    assert files["P-0002"] == "document: guide.pdf" and files["P-0004"] == "voice: V1"
    texts = {row[0]: row[5] for row in proposals[1:]}
    assert texts["P-0003"] == "-1 idée" and texts["P-0004"] == "@all"
    recommendations = {row[0]: row for row in list(book["التوصيات"].values)[1:]}
    assert recommendations["R-1"][5:8] == ("Nadia Amrani", "2019-03-01", "قيد الإنجاز")
    assert recommendations["R-2"][7] == "قيد الإنجاز"
    assert recommendations["R-1"][8] == "2019-01-28 11:00 قيد الإنجاز 50%"
    history = list(book["سجل المتابعة"].values)
    assert history[1] == (
        "R-1",
        "2019-01-28 11:00",
        104,
        "Nadia Amrani",
        "قيد الإنجاز",
        50,
        "=أرسلنا الدليل",
    )
    signups = list(book["التسجيل في الورشات"].values)[1:]
    assert [(row[3], row[4]) for row in signups if row[3] == "لائحة الانتظار"] == [
        ("لائحة الانتظار", 1)
    ]
    audit = list(book["سجل الإجراءات"].values)
    assert audit[0][:4] == ("الوقت", "معرف تيليغرام", "من (الاسم)", "الإجراء")
    assert ("منح دور", "user:900001") in [(row[3], row[4]) for row in audit]
    assert ("review.accept", "proposal:1") in [(row[3], row[4]) for row in audit]  # no label


async def test_french_workbook_reads_left_to_right(seeded: RunningBot, tmp_path: Path) -> None:
    t = seeded.services.texts["fr"]
    [path] = await seeded.services.organizers.desk.export(t, "xlsx", tmp_path)
    book = load_workbook(path)
    assert book.sheetnames[0] == "Participants"
    assert not book["Participants"].sheet_view.rightToLeft
    assert next(book["Propositions"].values)[4] == "Statut"


async def test_csv_has_a_bom_and_round_trips_arabic(seeded: RunningBot, tmp_path: Path) -> None:
    t = seeded.services.texts["ar"]
    paths = await seeded.services.organizers.desk.export(t, "csv", tmp_path)
    assert len(paths) == 9
    people = next(p for p in paths if "participants" in p.name)
    raw = people.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][1] == "الاسم"
    assert rows[1][:2] == ["101", "سعاد الإدريسي"]
    assert any(row[1] == "'" + EVIL_NAME for row in rows)
    # The phone number stays a number an organizer can dial; other formula starts stay inert.
    nadia = next(row for row in rows if row[0] == "104")
    assert nadia[4:6] == ["'+DAS", "+212612345678"]


async def test_organizer_downloads_the_workbook_from_the_bot(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📥 Export")
    await said(organizer)
    await organizer.press("Excel workbook (XLSX)")
    document = await said(organizer, timeout=30)
    assert document.kind == "document" and document.document is not None
    assert document.document["file_name"].endswith(".xlsx")
    stored = emulator.files.get(document.document["file_id"])
    assert stored is not None
    book = load_workbook(io.BytesIO(stored.data))
    assert book.sheetnames[0] == "Participants" and book["Participants"].max_row == 7
    entries = await seeded.services.audit.entries(1)
    assert entries[0]["action"] == "export" and entries[0]["actor_id"] == ORGANIZER_ID


async def test_export_on_the_terminal(
    emulator: BotApiEmulator, seeded: RunningBot, db_path: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "BOT_TOKEN": emulator.token, "DATABASE_PATH": str(db_path)}
    out = tmp_path / "out"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "export",
        "--format",
        "csv",
        "--out",
        str(out),
        "--language",
        "fr",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    written = [Path(line) for line in stdout.decode().split()]
    assert len(written) == 9 and all(path.parent == out for path in written)
    assert {os.stat(path).st_mode & 0o777 for path in written} == {0o600}  # personal data
    rows = list(csv.reader(io.StringIO(written[0].read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["Identifiant Telegram", "Nom"] and len(rows) == 7


async def test_export_of_those_not_reached_makes_formulas_inert(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    from handlers.campaign import start_campaign
    from storage.campaigns import Audience
    from storage.participants import ProfileFields

    evil = emulator.user(first_name="X", language_code="en")
    evil.open_chat()
    await bot.services.participants.save_profile(
        evil.id,
        evil.id,
        ProfileFields("en", bot.clock.now(), EVIL_NAME, "inspector", None, "oriental", "U", None),
    )
    emulator.faults.fail(evil.id, 403, description="Forbidden: bot was blocked by the user")
    services = bot.services
    campaign_id = await services.campaigns.create(
        ORGANIZER_ID, "en", Audience("everyone"), {"en": "Room D."}
    )
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/start")
    await said(organizer)
    await start_campaign(services, campaign_id, ORGANIZER_ID, services.texts["en"])
    await services.runner.wait(campaign_id)
    while "📄 Export those not reached" not in (await organizer.next_message()).labels:
        pass
    await organizer.press("📄 Export those not reached")
    export = await said(organizer)
    assert export.document is not None
    stored = emulator.files.get(export.document["file_id"])
    assert stored is not None
    rows = list(csv.reader(io.StringIO(stored.data.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + EVIL_NAME


async def test_phone_numbers_are_exported_as_typed_without_an_apostrophe(
    seeded: RunningBot, tmp_path: Path
) -> None:
    t = seeded.services.texts["fr"]
    [book_path] = await seeded.services.organizers.desk.export(t, "xlsx", tmp_path / "x")
    people = {row[0]: row for row in list(load_workbook(book_path)["Participants"].values)[1:]}
    assert people[104][5] == "+212612345678"
    paths = await seeded.services.organizers.desk.export(t, "csv", tmp_path / "c")
    table = next(p for p in paths if "participants" in p.name)
    rows = {row[0]: row for row in csv.reader(io.StringIO(table.read_text("utf-8-sig")))}
    assert rows["104"][5] == "+212612345678"


async def test_a_broadcast_is_exported_as_the_text_the_organizer_typed(
    emulator: BotApiEmulator, seeded: RunningBot, tmp_path: Path
) -> None:
    """The bot keeps a broadcast as Telegram HTML; the workbook shows what was typed, not
    `l&#x27;hôtel &amp; …`."""
    typed = "Le bus part de l'hôtel & du centre à 8h15."
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Diffuser un message")
    await said(organizer)
    await organizer.send(typed)
    await said(organizer)
    await organizer.press("➡️ Continuer")
    audience = await shown(organizer)
    await organizer.press(next(x for x in audience.labels if x.startswith("Organisateurs")))
    while "✅ Envoyer maintenant" not in (await organizer.next_message()).labels:
        pass
    await organizer.press("✅ Envoyer maintenant")
    assert "Diffusion n° 1" in (await shown(organizer)).text
    [campaign] = await seeded.services.db.fetchall("SELECT id FROM campaigns")
    await seeded.services.runner.wait(campaign["id"])
    t = seeded.services.texts["fr"]
    [book_path] = await seeded.services.organizers.desk.export(t, "xlsx", tmp_path / "x")
    rows = list(load_workbook(book_path)["Diffusions"].values)
    assert rows[1][-1] == typed
