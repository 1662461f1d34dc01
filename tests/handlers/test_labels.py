"""One label per thing: a region reads the same at registration and in /admin, a room is not
called "salle Salle 1", a bare room number gets the word for room."""

from __future__ import annotations

from pathlib import Path

from bot.event.file import parse_event_text
from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.event_example import open_example_text
from tests.handlers.reading import next_shown, next_shown_text
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"


async def test_a_region_reads_the_same_at_registration_and_in_admin(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    await bot.services.event.load(parse_event_text(open_example_text()), None)
    user = emulator.user(first_name="Hamid", language_code="ar")
    await user.send("/start")
    await next_shown(user)
    await user.press("العربية")
    await next_shown(user)
    await user.press("✅ أوافق")
    await next_shown(user)
    await user.send("حميد العلوي")
    functions = await next_shown(user)
    await user.press(functions.labels[0])
    regions = await next_shown(user)
    assert "سوس - ماسة" in regions.labels  # the event file's spelling
    await enrol(bot, user, "ar", "souss_massa")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="ar")
    await organizer.send("/admin")
    figures = await next_shown_text(organizer)
    assert "• سوس - ماسة: 1" in figures and "سوس-ماسة" not in figures


async def test_rooms_are_named_once(emulator: BotApiEmulator, bot: RunningBot) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '    room:\n      ar: "القاعة 2"\n      fr: "Salle 2"\n      en: "Room 2"',
        "    room: 12",
        1,
    )
    from bot.event.file import parse_event_text

    await bot.services.event.load(parse_event_text(open_example_text(text)), None)
    user = emulator.user(first_name="Claire", language_code="fr")
    await enrol(bot, user, "fr", "central")
    await user.send("/workshops")
    await next_shown(user)
    await user.press("➕ S'inscrire à l'atelier 1")
    confirmed = await said_text(user)  # below the list, shown again with the seat taken
    assert "· 📍 Salle 1." in confirmed and "salle Salle" not in confirmed
    await user.send("/workshops")
    listing = await next_shown_text(user)
    assert "📍 salle 12" in listing  # a bare number: the word for room is added
