"""Proposals end to end: /propose with every media type, capture outside a flow, limits and
the flood guard, /mine with withdraw."""

from __future__ import annotations

from sandbox import BotApiEmulator
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text, shown, shown_text


async def test_propose_with_text_voice_photo_and_document(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Karima", language_code="fr")
    await enrol(bot, user, "fr", "central")
    await user.send("/propose")
    themes = await said(user)
    assert "💡 Général (hors atelier)" in themes.labels
    await user.press("💡 Général (hors atelier)")
    assert "Thème : 💡 Général" in await shown_text(user)
    await user.send("Créer une cellule d'écoute dans chaque centre.")
    assert "46 sur 3\u202f000 caractères, 0 sur 5 fichiers" in await said_text(user)  # fr_MA digits
    await user.send_voice()
    assert "1 sur 5 fichiers" in await said_text(user)
    await user.send_photo(caption="Photo du centre de Khouribga")
    assert "2 sur 5 fichiers" in await said_text(user)
    await user.send_document("plan.pdf", "application/pdf")
    assert "3 sur 5 fichiers" in await said_text(user)
    await user.send_sticker()
    assert "Autocollants" in await said_text(user)
    await user.press("✅ Terminé")
    received = await shown_text(user)
    assert "Proposition reçue : P-0001" in received and "cellule d'écoute" in received
    proposal = await bot.services.proposals.get(1)
    assert proposal is not None
    assert [a.kind for a in proposal.attachments] == ["voice", "photo", "document"]
    assert proposal.text.endswith("Photo du centre de Khouribga")


async def test_limits_and_flood_guard(emulator: BotApiEmulator, make_bot) -> None:
    bot = await make_bot(proposals_per_hour=2).start()
    try:
        user = emulator.user(first_name="Omar", language_code="en")
        await enrol(bot, user, "en", "central")
        await user.send("/propose")
        await said(user)
        await user.press("💡 General (not tied to a workshop)")
        await shown(user)
        await user.press("✅ Done")
        assert "Nothing to send yet" in await shown_text(user)
        await user.send("x" * 2990)
        await said(user)
        await user.send("y" * 20)
        assert "10 are left" in await said_text(user)
        for _ in range(5):
            await user.send_photo()
            await said(user)
        await user.send_photo()
        assert "at most 5 files" in await said_text(user)
        await user.press("✅ Done")
        assert "P-0001" in await shown_text(user)
        await user.send("A second idea")  # outside a flow: offered as a proposal
        await said(user)
        await user.press("💡 General (not tied to a workshop)")
        assert "P-0002" in await shown_text(user)
        await user.send("/propose")
        assert "up to 2 proposals per hour" in await said_text(user)
    finally:
        await bot.stop()


async def test_capture_outside_a_flow_and_mine_with_withdraw(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Said", language_code="ar")
    await enrol(bot, user, "ar", "central")
    await user.send("أقترح تعميم تجربة خريبكة على باقي الأقاليم")
    offer = await said(user)
    assert "هل تريدون حفظ هذه الرسالة كمقترح" in offer.text
    await user.press("💡 عام (غير مرتبط بورشة)")
    assert "P-0001" in await shown_text(user)
    await user.send_voice()
    await said(user)
    await user.press("لا، شكرا")
    assert "لم يُحفظ" in await shown_text(user)
    await user.send("/mine")
    mine = await said(user)
    assert "P-0001" in mine.text and "تم الاستلام" in mine.text
    await user.press("↩️ سحب P-0001")
    assert "لا يمكن التراجع" in await shown_text(user)
    await user.press("نعم، اسحبه")
    assert "تم سحب P-0001" in await shown_text(user)
    await user.send("/mine")
    assert "لم ترسلوا أي مقترح بعد" in await said_text(user)


async def test_forged_withdraw_of_someone_elses_proposal_does_nothing(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    owner = emulator.user(first_name="Owner", language_code="en")
    thief = emulator.user(first_name="Thief", language_code="en")
    await enrol(bot, owner, "en", "central")
    await enrol(bot, thief, "en", "central")
    await owner.send("Open the centres on Saturdays")
    await said(owner)
    await owner.press("💡 General (not tied to a workshop)")
    await shown(owner)
    await thief.send("/help")
    message = await said(thief)
    for forged in ("pr:wdyes:1", "pr:wd:1", "pr:keep:0", "pr:theme:99"):
        press = await thief.press_data(message.message_id, forged)
        await thief.wait_callback_answer(press)
    proposal = await bot.services.proposals.get(1)
    assert proposal is not None and proposal.status == "new"
