"""Which language version of a broadcast each person gets, and the preview saying so."""

from __future__ import annotations

from collections.abc import Callable

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text, shown


async def _compose_fr_and_ar(emulator: BotApiEmulator) -> str:
    """An organizer writes French and Arabic versions (no English), for everyone; returns
    the confirmation text of the preview."""
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Diffuser un message")
    await shown(organizer)
    await organizer.send("Le bus part à 8h15.")
    await said(organizer)
    await organizer.press("➕ Ajouter une version en العربية")
    await shown(organizer)
    await organizer.send("تنطلق الحافلة على الساعة 8:15.")
    await said(organizer)
    await organizer.press("➡️ Continuer")
    await shown(organizer)
    await organizer.press("Tout le monde (3)")
    for _ in range(4):  # two headings, two previews
        await shown(organizer)
    confirm = await said_text(organizer)
    await organizer.press("✅ Envoyer maintenant")
    return confirm


async def test_an_english_reader_gets_french_before_arabic_and_the_preview_counts_it(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    en_user, fr_user, ar_user = (
        emulator.user(first_name=n, language_code=c)
        for n, c in (("J", "en"), ("C", "fr"), ("H", "ar"))
    )
    for user, code in ((en_user, "en"), (fr_user, "fr"), (ar_user, "ar")):
        await enrol(bot, user, code, "central")
    confirm = await _compose_fr_and_ar(emulator)
    assert "Qui reçoit quelle version : Français → 2 personnes · العربية → 1 personne" in confirm
    assert await said_text(en_user) == "Le bus part à 8h15."  # not the Arabic one
    assert await said_text(fr_user) == "Le bus part à 8h15."
    assert await said_text(ar_user) == "تنطلق الحافلة على الساعة 8:15."


async def test_the_fallback_order_is_a_setting(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(broadcast_fallback="ar:fr,en;fr:ar,en;en:ar,fr").start()
    try:
        en_user, fr_user, ar_user = (
            emulator.user(first_name=n, language_code=c)
            for n, c in (("J", "en"), ("C", "fr"), ("H", "ar"))
        )
        for user, code in ((en_user, "en"), (fr_user, "fr"), (ar_user, "ar")):
            await enrol(bot, user, code, "central")
        confirm = await _compose_fr_and_ar(emulator)
        assert "Français → 1 personne · العربية → 2 personnes" in confirm
        assert await said_text(en_user) == "تنطلق الحافلة على الساعة 8:15."
    finally:
        await bot.stop()
