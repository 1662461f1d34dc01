"""Organizer figures behind a role check, and the command menus per language and role."""

from __future__ import annotations

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_registration import walk_to_summary
from tests.harness import RunningBot, said, said_text, shown


async def test_menus_are_set_per_language_and_for_organizers(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    scope = {"type": "all_private_chats"}
    by_language = {
        code: [c["description"] for c in emulator.commands(scope, code)]
        for code in ("ar", "fr", "en")
    }
    assert by_language["en"][0] == "Register, or see your registration"
    assert by_language["fr"][0] == "S'inscrire, ou voir son inscription"
    assert by_language["ar"][0] == "التسجيل أو الاطلاع عليه"
    assert [c["command"] for c in emulator.commands(scope)] == [
        "start",
        "agenda",
        "workshops",
        "propose",
        "mine",
        "profile",
        "language",
        "help",
        "cancel",
    ]
    # Telegram refuses a chat scope before the person opened the bot: set at their /start.
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/start")
    await said(organizer)
    organizer_menu = emulator.commands({"type": "chat", "chat_id": ORGANIZER_ID})
    assert [c["command"] for c in organizer_menu][-1] == "admin"


async def test_organizer_sees_figures_in_plural_aware_arabic(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    for first in ("Hassan", "Meryem", "Anas"):
        person = emulator.user(first_name=first, language_code="en")
        await walk_to_summary(person, "en", name=f"{first} Test")
        await person.press("✅ Confirm")
        await shown(person)
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="ar")
    await organizer.send("/admin")
    figures = await said_text(organizer)
    assert "3 مشاركين مسجلين" in figures
    assert "سوس-ماسة" in figures and "لا أحد تعذر الوصول إليه" in figures


async def test_role_is_checked_on_every_use(emulator: BotApiEmulator, bot: RunningBot) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    assert "Inscriptions à ce jour" in await said_text(organizer)
    await bot.services.db.execute("DELETE FROM roles WHERE user_id = ?", (ORGANIZER_ID,))
    await organizer.send("/admin")
    assert "Je ne connais pas cette commande" in await said_text(organizer)
