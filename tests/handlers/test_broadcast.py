"""Broadcasts end to end: compose, audience, preview, send, progress, report; forged buttons."""

from __future__ import annotations

import pytest

from sandbox import BotApiEmulator, SimUser
from storage.participants import ProfileFields
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, said_text, shown, shown_text


async def enrol(bot: RunningBot, user: SimUser, locale: str, region: str) -> None:
    """A registered participant, written straight to the database (registration has its tests)."""
    user.open_chat()
    fields = ProfileFields(
        locale,
        bot.clock.now(),
        f"Person {user.first_name}",
        "inspector",
        None,
        region,
        "Centre",
        None,
    )
    await bot.services.participants.save_profile(user.id, user.id, fields)


async def test_organizer_sends_a_bilingual_announcement_to_one_region(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    ar_user = emulator.user(first_name="Hamid", language_code="ar")
    fr_user = emulator.user(first_name="Claire", language_code="fr")
    en_user = emulator.user(first_name="John", language_code="en")
    outsider = emulator.user(first_name="Other", language_code="fr")
    await enrol(bot, ar_user, "ar", "souss_massa")
    await enrol(bot, fr_user, "fr", "souss_massa")
    await enrol(bot, en_user, "en", "souss_massa")
    await enrol(bot, outsider, "fr", "oriental")

    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    assert "Send the message in English" in await shown_text(organizer)
    await organizer.send("The bus leaves at 8:15 from the hotel.")
    assert "Versions ready: English" in await said_text(organizer)
    await organizer.press("➕ Add a version in Français")
    await shown(organizer)
    await organizer.send("Le bus part à 8h15 de l'hôtel.")
    await said(organizer)
    await organizer.press("➕ Add a version in العربية")
    await shown(organizer)
    await organizer.send("تنطلق الحافلة على الساعة 8:15 من الفندق.")
    await said(organizer)
    await organizer.press("➡️ Continue")
    audience = await shown(organizer)
    assert "Everyone (4)" in audience.labels
    await organizer.press("By region…")
    regions = await shown(organizer)
    assert "Souss-Massa (3)" in regions.labels
    await organizer.press("Souss-Massa (3)")
    previews = [await shown_text(organizer) for _ in range(6)]
    assert "The bus leaves at 8:15 from the hotel." in previews
    assert "Le bus part à 8h15 de l'hôtel." in previews
    confirm = await said_text(organizer)
    assert "Send this to the region Souss-Massa: 3 people?" in confirm
    await organizer.press("✅ Send now")
    progress = await shown(organizer)
    assert "Broadcast #1" in progress.text

    assert await said_text(ar_user) == "تنطلق الحافلة على الساعة 8:15 من الفندق."
    assert await said_text(fr_user) == "Le bus part à 8h15 de l'hôtel."
    assert await said_text(en_user) == "The bus leaves at 8:15 from the hotel."
    await outsider.expect_silence(0.3)
    report = await organizer.next_message()
    while "finished" not in report.text:
        report = await organizer.next_message()
    assert "Delivered: 3 of 3" in report.text
    entries = await bot.services.audit.entries()
    assert entries[0]["action"] == "broadcast.send"


async def test_forged_broadcast_buttons_from_a_participant_do_nothing(
    emulator: BotApiEmulator, bot: RunningBot, caplog
) -> None:
    caplog.set_level("WARNING")
    user = emulator.user(first_name="Curious", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/help")
    message = await said(user)
    for forged in (
        "bc:new",
        "bc:send",
        "bc:stop:1",
        "bc:resume:1",
        "bc:export:1",
        "bc:aud:everyone",
    ):
        press = await user.press_data(message.message_id, forged)
        answer = await user.wait_callback_answer(press)
        assert answer.text == "This button is not valid."
    assert await bot.services.db.fetchall("SELECT * FROM campaigns") == []
    assert await bot.services.drafts.get(user.id, "broadcast") is None
    assert "button refused (needs organizer)" in caplog.text


async def test_restart_mid_campaign_completes_with_nobody_skipped(
    emulator: BotApiEmulator, make_bot
) -> None:
    from handlers.campaign import start_campaign
    from storage.campaigns import Audience

    bot = await make_bot(broadcast_rate=30).start()
    try:
        people = [emulator.user(first_name=f"P{i}", language_code="fr") for i in range(120)]
        for person in people:
            await enrol(bot, person, "fr", "central")
        services = bot.services
        campaign_id = await services.campaigns.create(
            ORGANIZER_ID, "fr", Audience("everyone"), {"fr": "Atelier 3 : salle D."}
        )
        await start_campaign(services, campaign_id, None, services.texts["fr"])
        await said(people[40], timeout=10)  # sending is well under way
        await bot.restart()  # a new Application on the same database resumes by itself
        await bot.services.runner.wait(campaign_id)
        progress = await bot.services.campaigns.progress(campaign_id)
        assert (progress.sent, progress.remaining) == (120, 0)
        assert all(len(person.inbox) == 1 for person in people)  # graceful stop: no repeats
        campaign = await bot.services.campaigns.get(campaign_id)
        assert campaign is not None and campaign.state == "done"
    finally:
        await bot.stop()


@pytest.mark.slow
async def test_a_thousand_recipients_under_flood_control_blocks_and_5xx(
    emulator: BotApiEmulator, make_bot
) -> None:
    from handlers.campaign import start_campaign
    from storage.campaigns import Audience

    # Telegram's limits scaled up tenfold so the test takes seconds, not a minute.
    emulator.flood.enable(per_bot_per_second=300, per_chat_per_second=1)
    bot = await make_bot(broadcast_rate=290).start()
    try:
        people = [emulator.user(first_name=f"P{i}", language_code="fr") for i in range(1000)]
        for person in people:
            await enrol(bot, person, "fr", "central")
        blocked = people[::40]  # 25 blocked the bot
        deleted = people[7::50]  # 20 deleted their account
        for person in blocked:  # blocked without us hearing of it yet: 403 on send
            emulator.faults.fail(
                person.id, 403, description="Forbidden: bot was blocked by the user"
            )
        for person in deleted:
            emulator.faults.fail(person.id, 403, description="Forbidden: user is deactivated")
        emulator.faults.random_errors(rate=0.05, codes=(500, 502), seed=7)
        services = bot.services
        campaign_id = await services.campaigns.create(
            ORGANIZER_ID, "fr", Audience("everyone"), {"fr": "Le bus part à 8h15."}
        )
        await start_campaign(services, campaign_id, None, services.texts["fr"])

        # Meanwhile a participant uses the bot: answered while the broadcast still runs.
        asker = people[999]
        await asker.send("/language")
        question = await said(asker)
        assert "Choisissez votre langue" in question.text
        assert services.runner.running(campaign_id)

        await services.runner.wait(campaign_id)
        progress = await services.campaigns.progress(campaign_id)
        unreachable = {p.id for p in blocked} | {p.id for p in deleted}
        assert (progress.sent, progress.unreachable, progress.failed) == (
            1000 - len(unreachable),
            len(unreachable),
            0,
        )
        for person in people:
            broadcast = [m for m in person.inbox if m.text == "Le bus part à 8h15."]
            assert len(broadcast) == (0 if person.id in unreachable else 1), person.id
        assert emulator.flood.rejected == 0
        reported = {row.user_id for row in await services.campaigns.not_reached(campaign_id)}
        assert reported == unreachable
        for person_id in unreachable:
            participant = await services.participants.get(person_id)
            assert participant is not None and not participant.reachable
    finally:
        await bot.stop()


async def test_stop_resume_and_export_those_not_reached(emulator: BotApiEmulator, make_bot) -> None:
    bot = await make_bot(broadcast_rate=20).start()
    try:
        people = [emulator.user(first_name=f"P{i}", language_code="en") for i in range(60)]
        for person in people:
            await enrol(bot, person, "en", "oriental")
        emulator.faults.fail(
            people[-1].id, 403, description="Forbidden: bot was blocked by the user"
        )
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
        await organizer.send("/admin")
        await said(organizer)
        await organizer.press("📣 Broadcast a message")
        await shown(organizer)
        await organizer.send("Workshop 3 moves to Room D.")
        await said(organizer)
        await organizer.press("➡️ Continue")
        await shown(organizer)
        await organizer.press("Everyone (60)")
        await shown(organizer)  # preview heading
        await said(organizer)  # preview
        assert "60 people" in await said_text(organizer)
        await organizer.press("✅ Send now")
        await shown(organizer)
        await said(people[10], timeout=5)
        await organizer.press("⏸ Stop")
        campaign_id = 1
        await bot.services.runner.wait(campaign_id)
        paused = await bot.services.campaigns.progress(campaign_id)
        assert 0 < paused.remaining < 60
        stopped = await bot.services.campaigns.get(campaign_id)
        assert stopped is not None and stopped.state == "paused"
        view = emulator.message(ORGANIZER_ID, stopped.progress_message_id)
        assert view is not None and "stopped" in view.text and "▶️ Resume" in view.labels
        await organizer.press("▶️ Resume")
        await organizer.wait_callback_answer(
            await organizer.press_data(view.message_id, "bc:resume:1")
        )  # a double press
        await bot.services.runner.wait(campaign_id)
        final = await bot.services.campaigns.progress(campaign_id)
        assert (final.sent, final.unreachable, final.remaining) == (59, 1, 0)
        assert all(len(p.inbox) == 1 for p in people[:-1])
        report = emulator.message(ORGANIZER_ID, stopped.progress_message_id)
        assert report is not None and "Delivered: 59 of 60" in report.text
        await organizer.press("📄 Export those not reached")
        export = await said(organizer)
        assert export.document is not None and export.document["file_name"].endswith(".csv")
        stored = emulator.files.get(export.document["file_id"])
        assert stored is not None
        lines = stored.data.decode("utf-8-sig").splitlines()
        assert lines[0] == "Telegram user id,Name,Region,Outcome,Reason"
        assert lines[1:] == [
            f"{people[-1].id},Person P59,Oriental,unreachable,"
            "Forbidden: bot was blocked by the user"
        ]
        actions = [e["action"] for e in await bot.services.audit.entries()]
        assert actions[:4] == [
            "broadcast.export",
            "broadcast.resume",
            "broadcast.stop",
            "broadcast.send",
        ]
    finally:
        await bot.stop()


async def test_scheduled_broadcast_starts_when_the_clock_says_so(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    from datetime import timedelta

    from bot.outbound.schedule import tick

    person = emulator.user(first_name="Sara", language_code="fr")
    await enrol(bot, person, "fr", "central")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Diffuser un message")
    await shown(organizer)
    await organizer.send("Rappel : atelier à 14h30.")
    await said(organizer)
    await organizer.press("➡️ Continuer")
    await shown(organizer)
    await organizer.press("Tout le monde (1)")
    for _ in range(3):
        await shown(organizer)
    await organizer.press("🕒 Programmer")
    assert "Quand" in await shown_text(organizer)
    await organizer.send("demain")
    assert "Je n'ai pas compris" in await said_text(organizer)
    local = bot.clock.now().astimezone(bot.settings.zone) + timedelta(hours=2)
    await organizer.send(local.strftime("%Y-%m-%d %H:%M"))
    assert "Programmé pour" in await said_text(organizer)
    assert await tick(bot.services) == 0  # not yet
    bot.clock.advance(timedelta(hours=2, minutes=1))
    assert await tick(bot.services) == 1
    await bot.services.runner.wait(1)
    assert await said_text(person) == "Rappel : atelier à 14h30."
    assert await tick(bot.services) == 0  # once only


async def test_a_photo_with_caption_reaches_people_as_a_photo(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    person = emulator.user(first_name="Nora", language_code="en")
    await enrol(bot, person, "en", "central")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await shown(organizer)
    await organizer.send_sticker()
    assert "send text, a photo or a document" in await said_text(organizer)
    await organizer.send_photo(caption="Room plan for the workshops")
    await said(organizer)
    await organizer.press("➕ Add a version in Français")
    await shown(organizer)
    await organizer.send_photo(caption="Another photo")
    assert "first version" in await said_text(organizer)
    await organizer.send("Plan des salles des ateliers")
    await said(organizer)
    await organizer.press("➡️ Continue")
    await shown(organizer)
    await organizer.press("Everyone (1)")
    for _ in range(5):
        await shown(organizer)  # two headings, two previews, the question
    await organizer.press("✅ Send now")
    received = await shown(person)
    assert (received.kind, received.text) == ("photo", "Room plan for the workshops")
