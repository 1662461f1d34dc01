"""Importing recommendations from CSV and XLSX tables: planning, row and file problems, applying."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.documents.rec_import import (
    FILE_BAD_XLSX,
    FILE_EMPTY,
    FILE_NO_ROWS,
    FILE_OLD_EXCEL,
    FILE_TOO_BIG,
    FILE_TOO_MANY_ROWS,
    FILE_XLSX_AS_CSV,
    MAX_BYTES,
    MAX_ROWS,
    ImportPlan,
    PlannedRecommendation,
    apply_import,
    guess_language,
    plan_import,
)
from bot.event.file import EventDefinition, load_event_file
from bot.i18n import Plural
from storage.clock import FakeClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields
from storage.proposals import RecommendationRepository

TODAY = date(2026, 1, 15)
EVENT = load_event_file(Path("examples/study-day.yaml"))
MANAGEMENT_AR = "تطوير آليات التدبير بمراكز التربية والتكوين"

# user id, full name, phone, username
PEOPLE = [
    (1, "Fatima Zahra Alaoui", "+212612345678", "FZAlaoui"),
    (2, "Ali Benali", "+212661000002", None),
    (3, "Ali Tazi", None, None),
    (4, "Alia Mansouri", None, None),
    (5, "يوسف العلمي", None, None),
    (6, "Karim Idrissi", None, "karim_i"),
    (7, "Said Amrani", None, None),
    (8, "Said Amrani Idrissi", None, None),
]


@dataclass
class World:
    """The repositories a test needs, on one real SQLite file."""

    db: Database
    participants: ParticipantRepository
    recommendations: RecommendationRepository

    async def plan(
        self, data: bytes, name: str = "recs.csv", event: EventDefinition | None = EVENT
    ) -> ImportPlan:
        """plan_import with this world's participants and TODAY."""
        return await plan_import(data, name, event, self.participants, TODAY)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """A database with PEOPLE registered."""
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    participants = ParticipantRepository(db, clock)
    for user_id, name, phone, username in PEOPLE:
        fields = ProfileFields("fr", clock.now(), name, "inspector", None, "central", "C", phone)
        await participants.save_profile(user_id, user_id, fields)
        await participants.remember_username(user_id, username)
    try:
        yield World(db, participants, RecommendationRepository(db, clock))
    finally:
        await db.close()


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def _xlsx(rows: list[list[object]], extra_sheet: bool = False) -> bytes:
    """A workbook whose first sheet holds `rows` (None leaves a row empty)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    if extra_sheet:
        book.create_sheet("other")["A1"] = "ignored"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _reasons(plan: ImportPlan) -> list[tuple[int, str]]:
    return [(p.row, p.reason) for p in plan.problems]


async def test_good_comma_csv(world: World) -> None:
    data = _csv(
        "workshop,text,owner,due,language\n"
        "management,Créer une cellule de suivi,+212612345678,2026-03-31,\n"
        "Partnerships,Adopt a model partnership agreement,@fzalaoui,31/03/2026,EN\n"
        f"{MANAGEMENT_AR},إحداث خلية للتتبع,يوسف العلمي,31-03-2026,\n"
        'general,"Publier le rapport, puis le diffuser",Karim,,fr\n'
        ",Share the report with every delegate,,,\n"
    )
    plan = await world.plan(data)
    assert plan.file_problem is None
    assert plan.problems == []
    assert plan.planned == [
        PlannedRecommendation(
            2,
            "management",
            "Créer une cellule de suivi",
            "fr",
            1,
            "Fatima Zahra Alaoui",
            date(2026, 3, 31),
        ),
        PlannedRecommendation(
            3,
            "partnerships",
            "Adopt a model partnership agreement",
            "en",
            1,
            "Fatima Zahra Alaoui",
            date(2026, 3, 31),
        ),
        PlannedRecommendation(
            4, "management", "إحداث خلية للتتبع", "ar", 5, "يوسف العلمي", date(2026, 3, 31)
        ),
        PlannedRecommendation(
            5, None, "Publier le rapport, puis le diffuser", "fr", 6, "Karim Idrissi", None
        ),
        PlannedRecommendation(
            6, None, "Share the report with every delegate", "en", None, None, None
        ),
    ]


async def test_semicolon_csv_with_bom_and_french_headers(world: World) -> None:
    data = "\ufeff" + (
        ";;\r\n"  # a blank first row: the header is the first non-blank one
        "Atelier ; Recommandation;Responsable;Échéance;N°\r\n"
        "développer les mécanismes de gestion des centres d'éducation et de formation;"
        "Former les directeurs, puis évaluer;0612345678;30/06/2026;1\r\n"
        'training-offer;"Ouvrir une filière\r\nen couture";;;2\r\n'
        ";;;;3\r\n"  # only the ignored numbering column: skipped
        "repositioning;Intégrer la formation;@KARIM_I;2026-06-30;4\r\n"
    )
    plan = await world.plan(data.encode("utf-8"), "Ateliers.CSV")
    assert plan.file_problem is None
    assert plan.problems == []
    assert [(p.row, p.workshop_id, p.text, p.owner_id, p.due) for p in plan.planned] == [
        (3, "management", "Former les directeurs, puis évaluer", 1, date(2026, 6, 30)),
        (4, "training-offer", "Ouvrir une filière\nen couture", None, None),
        (6, "repositioning", "Intégrer la formation", 6, date(2026, 6, 30)),
    ]
    assert {p.language for p in plan.planned} == {"fr"}


async def test_bad_rows_are_reported_and_good_rows_still_planned(world: World) -> None:
    too_long = "x" * 2001
    data = _csv(
        "atelier,texte,responsable,échéance,langue\n"
        'management,"Première ligne\nseconde ligne",,,\n'  # row 2 spans two lines
        "cooking,Texte valable,,,\n"
        "management,,,,\n"
        f"management,{too_long},,,\n"
        "management,Un texte,Ali,,\n"
        "management,Un texte,Nadia,,\n"
        "management,Un texte,,32/01/2026,\n"
        "management,Un texte,,2026-01-14,\n"
        "management,Un texte,,,de\n"
        ",,,,\n"
        "repositioning,Texte correct,Ali Tazi,2026-01-15,fr\n"
        "cooking,,,,xx\n"
        "management,Un texte,+212 6 99 99 99 99,,\n"
        "management,Un texte,12345678901234,,\n"
        "management,Un texte,,31/03,\n"
    )
    plan = await world.plan(data)
    assert plan.file_problem is None
    assert _reasons(plan) == [
        (3, 'unknown workshop "cooking"'),
        (4, "text missing"),
        (5, "text too long (2,001 characters, at most 2,000 characters)"),
        (
            6,
            'owner "Ali" matches 2 people: Ali Benali (C), Ali Tazi (C) — write their phone '
            "or @username instead",
        ),
        (7, 'owner "Nadia" not found among registered participants'),
        (8, 'bad date "32/01/2026" (write 2026-03-31 or 31/03/2026)'),
        (9, "due date 2026-01-14 is in the past"),
        (10, 'bad language "de" (use ar, fr or en)'),
        (13, 'unknown workshop "cooking"'),
        (13, "text missing"),
        (13, 'bad language "xx" (use ar, fr or en)'),
        (14, 'owner "+212 6 99 99 99 99" not found among registered participants'),
        (15, 'owner "12345678901234" is not a valid phone number'),
        (16, 'bad date "31/03" (write 2026-03-31 or 31/03/2026)'),
    ]
    assert [(p.row, p.text, p.owner_id, p.due) for p in plan.planned] == [
        (2, "Première ligne\nseconde ligne", None, None),
        (12, "Texte correct", 3, TODAY),  # due today is not in the past
    ]


async def test_long_values_are_cut_in_reasons(world: World) -> None:
    plan = await world.plan(_csv(f"workshop,text\n{'w' * 100},Un texte\n"))
    assert _reasons(plan) == [(2, f'unknown workshop "{"w" * 39}…"')]


async def test_without_an_event_only_general_rows_pass(world: World) -> None:
    data = _csv("workshop,text\nmanagement,Un texte\ngénéral,Un autre\n,Encore un\n")
    plan = await world.plan(data, event=None)
    assert _reasons(plan) == [(2, 'unknown workshop "management" (no event is loaded)')]
    assert [p.row for p in plan.planned] == [3, 4]


async def test_owners_by_phone_username_and_name(world: World) -> None:
    owners = [
        "+212612345678",
        "0612345678",
        "06 12 34 56 78",
        "00212661000002",
        "@FZALAOUI",
        "@karim_i",
        "fatima zahra",  # part of one name
        "يوسف",
        "Said Amrani",  # the exact full name wins over "Said Amrani Idrissi"
        "Said",
        "Ali",
        "@nobody",
    ]
    data = _csv("text,owner\n" + "".join(f"Texte {i},{o}\n" for i, o in enumerate(owners)))
    plan = await world.plan(data)
    assert [(p.row, p.owner_id, p.owner_label) for p in plan.planned] == [
        (2, 1, "Fatima Zahra Alaoui"),
        (3, 1, "Fatima Zahra Alaoui"),
        (4, 1, "Fatima Zahra Alaoui"),
        (5, 2, "Ali Benali"),
        (6, 1, "Fatima Zahra Alaoui"),
        (7, 6, "Karim Idrissi"),
        (8, 1, "Fatima Zahra Alaoui"),
        (9, 5, "يوسف العلمي"),
        (10, 7, "Said Amrani"),
    ]
    assert _reasons(plan) == [
        (
            11,
            'owner "Said" matches 2 people: Said Amrani (C), Said Amrani Idrissi (C) — write '
            "their phone or @username instead",
        ),
        (
            12,
            'owner "Ali" matches 2 people: Ali Benali (C), Ali Tazi (C) — write their phone '
            "or @username instead",
        ),
        (13, 'owner "@nobody" not found among registered participants'),
    ]


async def test_xlsx_with_arabic_text_and_date_cells(world: World) -> None:
    data = _xlsx(
        [
            ["الورشة", "التوصية", "المسؤول", "الأجل", "ملاحظات"],
            ["management", "إحداث خلية للتتبع والتقييم", "+212612345678", datetime(2026, 3, 31)],
            [MANAGEMENT_AR, "توحيد اتفاقيات الشراكة", 612345678, date(2026, 6, 30)],
            [],  # an empty row: skipped, later rows keep their numbers
            ["عام", "نشر التقرير", "@karim_i", "30/06/2026", "note"],
            ["repositioning", "Intégrer la formation", None, 46112],  # a number, not a date
        ],
        extra_sheet=True,
    )
    plan = await world.plan(data, "ورشات.xlsx")
    assert plan.file_problem is None
    assert plan.planned == [
        PlannedRecommendation(
            2,
            "management",
            "إحداث خلية للتتبع والتقييم",
            "ar",
            1,
            "Fatima Zahra Alaoui",
            date(2026, 3, 31),
        ),
        PlannedRecommendation(
            3,
            "management",
            "توحيد اتفاقيات الشراكة",
            "ar",
            1,
            "Fatima Zahra Alaoui",
            date(2026, 6, 30),
        ),
        PlannedRecommendation(5, None, "نشر التقرير", "ar", 6, "Karim Idrissi", date(2026, 6, 30)),
    ]
    assert _reasons(plan) == [(6, 'bad date "46112" (write 2026-03-31 or 31/03/2026)')]


async def test_wrong_encoding_is_refused_with_the_bad_line(world: World) -> None:
    data = "workshop,text\nmanagement,إحداث خلية للتتبع\n".encode("cp1256")
    plan = await world.plan(data)
    assert plan == ImportPlan(
        [],
        [],
        'the file is not UTF-8 text (byte 0xC5 on line 2): in Excel, use "Save As" with the '
        'type "CSV UTF-8" and send it again',
    )


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (b"", "recs.csv", FILE_EMPTY),
        (b"\xef\xbb\xbf\r\n", "recs.csv", FILE_EMPTY),
        (b"\n,,,\n , \n", "recs.csv", FILE_EMPTY),
        (b"workshop,text,owner\n", "recs.csv", FILE_NO_ROWS),
        (b"workshop;text\n;\n", "recs.csv", FILE_NO_ROWS),
        (
            b"workshop,owner\nmanagement,Ali\n",
            "recs.csv",
            'the header (row 1) has no "text" column (accepted names: text, recommendation, '
            "texte, recommandation, نص, توصية)",
        ),
        (
            b"text,Texte\na,b\n",
            "recs.csv",
            'columns "text" and "Texte" both mean "text": keep one',
        ),
        (
            b"text\nx\n",
            "recs.pdf",
            'unsupported file type ".pdf": send a .csv (CSV UTF-8) or .xlsx file',
        ),
        (
            b"text\nx\n",
            "recs",
            'unsupported file type "no extension": send a .csv (CSV UTF-8) or .xlsx file',
        ),
        (b"text\nx\n", "recs.xls", FILE_OLD_EXCEL),
        (b"not a zip file", "recs.xlsx", FILE_BAD_XLSX),
        (b"text\n" + b"x" * MAX_BYTES, "recs.csv", FILE_TOO_BIG),
    ],
)
async def test_file_problems(world: World, data: bytes, name: str, problem: str) -> None:
    assert await world.plan(data, name) == ImportPlan([], [], problem)


async def test_xlsx_problems(world: World) -> None:
    workbook = _xlsx([["text"], ["x"]])
    assert (await world.plan(workbook, "recs.csv")).file_problem == FILE_XLSX_AS_CSV
    assert (await world.plan(_xlsx([]), "recs.xlsx")).file_problem == FILE_EMPTY
    assert (await world.plan(_xlsx([["text"]]), "recs.xlsx")).file_problem == FILE_NO_ROWS
    assert (await world.plan(workbook[:-100], "recs.xlsx")).file_problem == FILE_BAD_XLSX


async def test_row_limit(world: World) -> None:
    rows = "".join(f"Texte {i}\n" for i in range(MAX_ROWS))
    plan = await world.plan(_csv("text\n" + rows))
    assert plan.file_problem is None
    assert len(plan.planned) == MAX_ROWS
    too_many = await world.plan(_csv("text\n" + rows + "Une de trop\n"))
    assert too_many.file_problem == FILE_TOO_MANY_ROWS.format(limit=Plural("count.rows", MAX_ROWS))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("إحداث خلية للتتبع", "ar"),
        ("Créer une cellule (خلية) de suivi", "fr"),  # more Latin letters than Arabic
        ("Mettre en place un comite de suivi", "fr"),  # no accent, but "de"
        ("Work with UN agencies on a plan", "en"),
        ("Former les directeurs", "fr"),
        ("Renforcer l'offre", "fr"),
        ("Train centre directors in 3D design", "en"),
        ("Set up a follow-up committee", "en"),
        ("1234", "en"),
    ],
)
def test_language_guess(text: str, language: str) -> None:
    assert guess_language(text) == language


async def test_apply_creates_exactly_the_planned_rows(world: World) -> None:
    data = _csv(
        "workshop,text,owner,due\n"
        "management,Créer une cellule de suivi,@karim_i,2026-03-31\n"
        "cooking,Refusée,,\n"
        ",Share the report,,\n"
    )
    plan = await world.plan(data)
    assert [p.row for p in plan.planned] == [2, 4]
    ids = await apply_import(plan, world.recommendations, created_by=900001)
    assert len(ids) == 2
    first, second = [await world.recommendations.get(i) for i in ids]
    assert first is not None and second is not None
    assert (first.workshop_id, first.text, first.language, first.owner_id, first.due_date) == (
        "management",
        "Créer une cellule de suivi",
        "fr",
        6,
        date(2026, 3, 31),
    )
    assert (second.workshop_id, second.text, second.language, second.owner_id) == (
        None,
        "Share the report",
        "en",
        None,
    )
    assert (first.status, first.sources) == ("not_started", [])
    assert [r.id for r in await world.recommendations.all()] == ids


async def test_apply_with_a_file_problem_creates_nothing(world: World) -> None:
    plan = ImportPlan([PlannedRecommendation(2, None, "x", "en", None, None, None)], [], FILE_EMPTY)
    assert await apply_import(plan, world.recommendations, None) == []
    assert await world.recommendations.all() == []
