"""Finding a delegate from what an organizer types: a phone in any national or international
format, an @username, a name in either script, a Telegram first name; every match listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.documents.owners import find_people, skeletons
from storage.clock import FakeClock
from storage.database import Database
from storage.participants import ParticipantRepository, ProfileFields

# user id, full name, phone, Telegram first name, username
PEOPLE = [
    (1, "يوسف التازي", "+212600005001", "Abou", "abou_t"),
    (2, "Youssef Alaoui", None, "Jo", None),
    (3, "Fatima Zahra Idrissi", "+212661000002", "فاطمة", None),
    (4, "عبد الله بنعلي", None, None, None),
    (5, "Karim Tazi", None, "Karim", "kt"),
]


@pytest.fixture
async def participants(tmp_path: Path) -> AsyncIterator[ParticipantRepository]:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    repo = ParticipantRepository(db, clock)
    for user_id, name, phone, first, username in PEOPLE:
        fields = ProfileFields("fr", clock.now(), name, "inspector", None, "central", "C", phone)
        await repo.save_profile(user_id, user_id, fields)
        await repo.remember_telegram(user_id, first, username)
    try:
        yield repo
    finally:
        await db.close()


async def ids(participants: ParticipantRepository, query: str) -> list[int]:
    return [p.user_id for p in await find_people(participants, query)]


@pytest.mark.parametrize(
    "phone", ["0600005001", "06 00 00 50 01", "+212 600-005001", "00212600005001", "+212600005001"]
)
async def test_a_phone_in_any_format_of_the_country_finds_its_owner(
    participants: ParticipantRepository, phone: str
) -> None:
    assert await ids(participants, phone) == [1]


async def test_a_name_finds_people_whichever_script_they_wrote_it_in(
    participants: ParticipantRepository,
) -> None:
    # Both Youssefs are listed, the one written as typed first.
    assert await ids(participants, "Youssef") == [2, 1]
    assert await ids(participants, "Youssef Tazi") == [1]
    assert await ids(participants, "يوسف") == [1, 2]
    assert await ids(participants, "فاطمة الإدريسي") == []  # not her whole-word order
    assert await ids(participants, "Fatima Idrissi") == []
    assert await ids(participants, "Idrissi") == [3]
    assert await ids(participants, "Abdellah Benali") == [4]
    assert sorted(await ids(participants, "تازي")) == [1, 5]


async def test_the_telegram_first_name_and_username_find_them_too(
    participants: ParticipantRepository,
) -> None:
    assert await ids(participants, "Abou") == [1]
    assert await ids(participants, "abou_t") == [1]
    assert await ids(participants, "@abou_t") == [1]
    assert await ids(participants, "Karim") == [5]


async def test_an_exact_full_name_comes_first_and_noise_finds_nobody(
    participants: ParticipantRepository,
) -> None:
    assert await ids(participants, "Karim Tazi") == [5]
    assert await ids(participants, "a") == []
    assert await ids(participants, "0600") == []


def test_arabic_and_latin_spellings_share_a_skeleton() -> None:
    for latin, arabic in [
        ("Youssef", "يوسف"),
        ("Youcef Tazi", "يوسف التازي"),
        ("Mohammed", "محمد"),
        ("El-Idrissi", "الإدريسي"),
        ("Hicham", "هشام"),
        ("Khadija", "خديجة"),
        ("Oussama", "أسامة"),
        ("Souad", "سعاد"),
    ]:
        assert skeletons(latin) == skeletons(arabic), (latin, arabic)
