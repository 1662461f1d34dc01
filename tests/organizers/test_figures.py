"""Figures and charts: counts against a seeded database, the /admin → Figures message with
its chart images, in the organizer's language."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from bot.documents.charts import Bars, Timeline, render_all
from bot.documents.figures import build_charts
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, plain, said, said_text
from tests.organizers.seed import SATURDAY, seed

ARTIFACTS = Path(__file__).parents[2] / "artifacts"


@pytest.fixture
async def seeded(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot with the seeded event, on the seed's clock."""
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock).start()
    await seed(bot.services, clock)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_figures_count_what_the_database_holds(seeded: RunningBot) -> None:
    figures = await seeded.services.organizers.desk.figures()
    assert figures.registered == 6
    assert figures.by_day == [
        (date(2019, 1, 26), 3),
        (date(2019, 1, 27), 2),
        (date(2019, 1, 28), 1),
    ]
    assert figures.by_function == {"inspector": 3, "head_of_service": 2, "centre_director": 1}
    assert figures.by_region == {"oriental": 3, "souss_massa": 2, "central": 1}
    assert figures.seats == {"management": (2, 1), "partnerships": (1, 0)}
    assert figures.checkins == 2 and figures.waiting == 1
    assert figures.proposals == {
        "management": {"new": 1, "merged": 1},
        "general": {"rejected": 1, "new": 1},
    }
    assert figures.recommendations == {"not_started": 1, "in_progress": 1}


async def test_charts_carry_labels_of_the_organizers_language(seeded: RunningBot) -> None:
    desk, texts = seeded.services.organizers.desk, seeded.services.texts
    figures = await desk.figures()
    arabic = build_charts(figures, await desk.labels(texts["ar"]))
    french = build_charts(figures, await desk.labels(texts["fr"]))
    assert [c.name for c in arabic] == ["registrations", "people", "workshops", "follow-up"]
    people = arabic[1].panels
    assert isinstance(people[0], Bars) and people[0].title == "حسب الوظيفة"
    assert people[1].categories == ["الشرق", "سوس - ماسة", "المصالح المركزية"]
    assert isinstance(french[0].panels[0], Timeline)
    assert french[0].panels[0].days == ["26 jan.", "27 jan.", "28 jan."]
    assert french[3].panels[1].categories == [
        "pas commencée",
        "en cours",
        "réalisée",
        "bloquée",
        "abandonnée",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    for chart, png in [*render_all(arabic, rtl=True), *render_all(french, rtl=False)]:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width == 990, chart.name
        # Kept for a person to look at (Arabic shaped, right to left).
        (ARTIFACTS / f"chart-{chart.name}-{'ar' if chart in arabic else 'fr'}.png").write_bytes(png)


async def test_organizer_reads_figures_and_gets_charts_in_arabic(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="ar")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📊 الأرقام والرسوم البيانية")
    text = await said_text(organizer)
    assert "6 مشاركين مسجلين" in text
    assert "• مفتش(ة): 3" in text  # by function
    assert "الحضور: 2 · في لوائح الانتظار: 1" in text
    assert "2/2 مقعدين، شخص واحد في الانتظار" in text  # seats of the small workshop
    photos = [await said(organizer, timeout=30) for _ in range(4)]
    assert all(p.kind == "photo" for p in photos)
    assert photos[0].text == "تطور التسجيلات"


async def test_figures_buttons_check_the_role(emulator: BotApiEmulator, seeded: RunningBot) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    menu = await said(organizer)
    await seeded.services.db.execute("DELETE FROM roles WHERE user_id = ?", (ORGANIZER_ID,))
    press = await organizer.press_data(menu.message_id, "ad:expas:xlsx")
    answer = await organizer.wait_callback_answer(press)
    assert answer.text == "This button is not valid."
    await seeded.settled(organizer)  # no export was sent


def test_long_figures_are_split_into_messages_telegram_accepts() -> None:
    from bot.documents.figures import split_message

    line = "🧩 " + "ورشة طويلة جدا " * 20 + ": 30/30, 12"
    text = "<b>Head</b>\n1, 2\n\n" + "\n".join(f"{line} {i}" for i in range(80)) + "\n\n<b>End</b>"
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(part.encode("utf-16-le")) // 2 <= 4096 for part in parts)
    lines = [x for part in parts for x in part.split("\n") if x]
    assert lines == [x for x in text.split("\n") if x]  # nothing lost, order kept


async def test_a_recommendation_status_added_later_is_counted_and_shown(
    seeded: RunningBot,
) -> None:
    # The follow-up work may add statuses: the figures read the column as it is.
    db = seeded.services.db
    writer = db._writer  # the same connection for the pragma and the update
    assert writer is not None
    await writer.execute("PRAGMA ignore_check_constraints = ON")
    await db.execute("UPDATE recommendations SET status = 'under_review' WHERE id = 1")
    desk, t = seeded.services.organizers.desk, seeded.services.texts["en"]
    figures = await desk.figures()
    assert figures.recommendations == {"under_review": 1, "in_progress": 1}
    text = plain(await desk.figures_text(t))
    assert "• under_review: 1" in text and "• in progress: 1" in text


async def test_an_empty_section_says_what_is_missing_in_its_own_words(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📊 Chiffres et graphiques")
    text = await said_text(organizer, timeout=30)
    assert "Recommandations par statut\naucune recommandation pour l'instant" in text
    assert "Propositions par thème\naucune proposition pour l'instant" in text
    assert "Par région\npersonne pour l'instant" in text  # people: "nobody" is the word
