"""One flow at a time: what a person expects when they start something else, walk away,
come back, cancel, resume, edit a message, or type a button's label."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.i18n import FSI, PDI
from sandbox import BotApiEmulator, SimUser
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_review import _open_queue, _proposal
from tests.harness import RunningBot, said, said_text, shown, shown_text


async def _edit(emulator: BotApiEmulator, sent: dict[str, Any], text: str) -> None:
    """The person edits a message they sent (Telegram sends an edited_message update)."""
    edited = {**sent["message"], "text": text, "edit_date": emulator.now()}
    emulator.updates.push("edited_message", edited)


async def _drafts(bot: RunningBot, user: SimUser) -> dict[str, tuple[str, bool]]:
    rows = await bot.services.db.fetchall(
        "SELECT flow, step, active FROM drafts WHERE user_id = ?", (user.id,)
    )
    return {row["flow"]: (row["step"], bool(row["active"])) for row in rows}


# ---------------------------------------------------------------- one flow at a time


async def test_broadcast_after_language_gets_the_broadcast_and_keeps_its_text(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/start")  # an organizer who never registered: this opens one
    await said(organizer)
    await organizer.press("English")
    assert "Before we start" in await shown_text(organizer)
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    aside = await said_text(organizer)
    assert "registration was put aside" in aside and "/resume" in aside
    assert "Send the message in English" in await said_text(organizer)
    await organizer.send("The bus leaves at 8:15 from the hotel.")
    assert "Versions ready: English" in await said_text(organizer)
    draft = await bot.services.drafts.get(ORGANIZER_ID, "broadcast")
    assert draft is not None and draft.data["texts"] == {
        "en": "The bus leaves at 8:15 from the hotel."
    }
    assert await _drafts(bot, organizer) == {
        "registration": ("consent", False),
        "broadcast": ("languages", True),
    }
    # /resume takes the registration back, and the broadcast is the one put aside.
    await organizer.send("/resume")
    assert "broadcast draft was put aside" in await said_text(organizer)
    assert "Before we start" in await said_text(organizer)
    await organizer.send("yes")
    assert "full name" in await said_text(organizer)
    assert (await _drafts(bot, organizer))["broadcast"] == ("languages", False)


async def test_a_button_of_a_put_aside_flow_takes_it_back(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Meryem", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    await user.send("Open the centres on Saturdays.")
    await said(user)
    await user.send("/profile")
    await said(user)
    await user.press("✏️ Unit")
    assert "proposal draft was put aside" in await said_text(user)
    await said(user)  # the unit question
    await user.send("/cancel")
    assert "profile is unchanged" in await said_text(user)
    await user.press("✅ Done")  # on the proposal's last message
    received = await said_text(user)
    assert "P-0001" in received
    (proposal,) = await bot.services.proposals.of_author(user.id)
    assert proposal.text == "Open the centres on Saturdays."


async def test_a_tag_prompt_left_alone_does_not_catch_the_next_message(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Rachid", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(
        author, "Train social workers in digital skills.", "💡 General (not tied to a workshop)"
    )
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await enrol(bot, organizer, "en", "central")
    await _open_queue(organizer)
    await shown(organizer)
    await organizer.press("🏷 Tag")
    assert "Type the tag" in await said_text(organizer)
    # Not a tag: a long, several-line message is refused, not cut to 30 characters.
    await organizer.send("When is the coffee break?\nAnd where is room D?")
    assert "one short line" in await said_text(organizer)
    bot.clock.advance(timedelta(minutes=11))  # the organizer walked away
    await organizer.send("Lunch is at 13:00 in the hall")
    assert "Save this message as a proposal" in await said_text(organizer)
    (proposal,) = await bot.services.proposals.queue(None, newest_first=True)
    stored = await bot.services.proposals.get(proposal)
    assert stored is not None and stored.tags == []
    # Answered at once, the tag is kept.
    await organizer.press("No, thanks")
    await shown(organizer)
    await _open_queue(organizer)
    await shown(organizer)
    await organizer.press("🏷 Tag")
    await said(organizer)
    await organizer.send("numérique")
    assert "Tags: numérique" in await said_text(organizer)


async def test_a_command_or_a_menu_entry_ends_a_pending_tag_prompt(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Rachid", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(author, "Open the centres on Saturdays.", "💡 General (not tied to a workshop)")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await enrol(bot, organizer, "en", "central")
    (proposal,) = await bot.services.proposals.queue(None, newest_first=True)
    for leave_by in ("/workshops", "/agenda", "📥 Export"):
        await _open_queue(organizer)
        await shown(organizer)
        await organizer.press("🏷 Tag")
        assert "Type the tag" in await said_text(organizer)
        if leave_by.startswith("/"):
            await organizer.send(leave_by)
        else:  # a button of the /admin menu, pressed on the menu shown earlier
            await organizer.send("/admin")
            await said(organizer)
            await organizer.press(leave_by)
        await said(organizer)  # the command's or the menu entry's own answer
        assert "review" not in await _drafts(bot, organizer)
        await organizer.send("Not a tag at all")
        assert "Save this message as a proposal" in await said_text(organizer)
        await organizer.press("No, thanks")
        await shown(organizer)
        stored = await bot.services.proposals.get(proposal)
        assert stored is not None and stored.tags == []
    # /resume still asks the pending prompt again rather than ending it.
    await _open_queue(organizer)
    await shown(organizer)
    await organizer.press("🏷 Tag")
    await said(organizer)
    await organizer.send("/resume")
    assert "Type the tag" in await said_text(organizer)
    await organizer.send("numérique")
    assert "Tags: numérique" in await said_text(organizer)


async def test_an_abandoned_flow_expires_on_the_clock_and_leaves_nothing(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Hanane", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    await user.send("Half a thought")
    await said(user)
    bot.clock.advance(timedelta(hours=23))
    assert await bot.services.drafts.sweep() == 0  # not yet: still hers
    bot.clock.advance(timedelta(hours=2))
    # Checked on read: the next message is not appended to the forgotten draft.
    await user.send("A new idea: a hotline for families")
    assert "Save this message as a proposal" in await said_text(user)
    draft = await bot.services.drafts.get(user.id, "proposal")
    assert draft is not None and draft.step == "capture"
    assert draft.data["text"] == "A new idea: a hotline for families"
    # Swept by the clock: nothing is left of an abandoned flow.
    other = emulator.user(first_name="Other", language_code="fr")
    await other.send("/start")
    await said(other)
    bot.clock.advance(timedelta(hours=25))
    assert await bot.services.drafts.sweep() == 2
    assert await bot.services.db.fetchall("SELECT * FROM drafts") == []
    assert await bot.services.proposals.of_author(user.id) == []


async def test_expiry_hours_are_a_setting(emulator: BotApiEmulator, make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(draft_expiry_hours=1).start()
    try:
        user = emulator.user(first_name="Aya", language_code="en")
        await user.send("/start")
        await said(user)
        bot.clock.advance(timedelta(minutes=61))
        await user.send("hello")
        assert "Send /start to register" in await said_text(user)
    finally:
        await bot.stop()


# ---------------------------------------------------------------- /cancel and /resume


async def _cancel(user: SimUser, expected: str) -> None:
    await user.send("/cancel")
    message = await said(user)
    assert expected in message.text and message.remove_keyboard


async def test_cancel_leaves_every_flow(emulator: BotApiEmulator, bot: RunningBot) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await enrol(bot, organizer, "en", "central")
    author = emulator.user(first_name="Fouad", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(author, "More buses.", "💡 General (not tied to a workshop)")

    # registration
    newcomer = emulator.user(first_name="Nour", language_code="en")
    await newcomer.send("/start")
    await said(newcomer)
    await _cancel(newcomer, "Registration cancelled")
    # profile edit
    await organizer.send("/profile")
    await said(organizer)
    await organizer.press("✏️ Unit")
    await shown(organizer)
    await _cancel(organizer, "profile is unchanged")
    # proposal
    await organizer.send("/propose")
    await said(organizer)
    await _cancel(organizer, "Nothing was saved")
    # broadcast
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await said(organizer)
    await _cancel(organizer, "Broadcast cancelled")
    # review (a recommendation being written)
    await _open_queue(organizer)
    await shown(organizer)
    await organizer.press("🔗 Into a recommendation")
    await said(organizer)
    await organizer.press("➕ A new recommendation")
    await said(organizer)
    await _cancel(organizer, "Cancelled: nothing was saved")
    # event file
    event = b"event:\n  slug: x\n"
    await organizer.send_document("event.yaml", "application/x-yaml", event)
    await said(organizer)  # invalid: no flow opened
    from tests.handlers.test_event import EXAMPLE

    await organizer.send_document("study-day.yaml", "application/x-yaml", EXAMPLE.read_bytes())
    assert "Load" in " ".join((await said(organizer)).labels)
    await _cancel(organizer, "The event is unchanged")
    # recommendations import
    table = "workshop,text,owner,due\ngeneral,Créer une cellule d'écoute,,\n"
    await organizer.send_document("recs.csv", "text/csv", table.encode())
    await said(organizer)
    await _cancel(organizer, "Nothing was imported")

    assert await bot.services.db.fetchall("SELECT * FROM drafts") == []
    assert await bot.services.recommendations.all() == []
    assert await bot.services.event.current() is None
    await organizer.send("/cancel")
    assert "nothing to cancel" in await said_text(organizer)
    await organizer.send("/resume")
    assert "nothing to resume" in await said_text(organizer)
    # After /cancel, what is typed is not taken by any flow.
    await organizer.send("What time is lunch?")
    assert "Save this message as a proposal" in await said_text(organizer)


# ---------------------------------------------------------------- edited messages


async def test_an_edited_part_replaces_that_part_and_other_edits_get_a_short_answer(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Imane", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    first = await user.send("Open centres on Saturdya.")
    await said(user)
    await user.send("And on holidays.")
    await said(user)
    await _edit(emulator, first, "Open centres on Saturday.")
    assert "replaces that part" in await said_text(user)
    await user.press("✅ Done")
    await said(user)
    (proposal,) = await bot.services.proposals.of_author(user.id)
    assert proposal.text == "Open centres on Saturday.\n\nAnd on holidays."
    # Elsewhere an edit is never taken as new content, nor run again as a command.
    start = await user.send("/mine")
    await said(user)
    await _edit(emulator, start, "/propose")
    assert "send your correction as a new message" in await said_text(user)
    assert await bot.services.drafts.get(user.id, "proposal") is None


# ---------------------------------------------------------------- typed labels (issue 9 #10)


async def test_typed_answers_match_labels_loosely(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    en = emulator.user(first_name="Sara", language_code="en")
    await en.send("/start")
    await said(en)
    await en.send("english ")
    assert "Before we start" in await said_text(en)
    await en.send("perhaps")
    refusal = await said(en)  # only the short prompt, with the buttons
    assert "choose with the buttons" in refusal.text and "Before we start" not in refusal.text
    assert "✅ I agree" in refusal.labels
    await en.send("yes")
    assert "full name" in await said_text(en)
    for answer in ("I agree", "✅ I agree"):
        other = emulator.user(first_name="Other", language_code="en")
        await other.send("/start")
        await said(other)
        await other.send("English")
        await said(other)
        await other.send(answer)
        assert "full name" in await said_text(other)

    fr = emulator.user(first_name="Jamal", language_code="fr")
    await fr.send("/start")
    await said(fr)
    await fr.send("FRANÇAIS")
    await said(fr)
    await fr.send("j'accepte")
    await said(fr)
    await fr.send("Jamal Bennis")
    await said(fr)
    await fr.send("chef de service")
    assert "région" in await said_text(fr)
    await fr.send("souss massa")
    await said(fr)
    await fr.send("Centre d'Agadir")
    await said(fr)
    await fr.send("passer")
    await said(fr)
    assert "Vérifiez vos informations" in await said_text(fr)
    await fr.send("Confirmer")
    assert "Vous êtes inscrit·e" in await said_text(fr)
    participant = await bot.services.participants.get(fr.id)
    assert participant is not None
    assert (participant.function_code, participant.region_code) == (
        "head_of_service",
        "souss_massa",
    )

    ar = emulator.user(first_name="Karim", language_code="ar")
    await ar.send("/start")
    await said(ar)
    await ar.send("العربيه")
    await said(ar)
    await ar.send("نعم")
    await said(ar)
    await ar.send("كريم الإدريسي")
    await said(ar)
    await ar.send("مدير مركز")
    assert "جهة" in await said_text(ar)
    draft = await bot.services.drafts.get(ar.id, "registration")
    assert draft is not None and draft.data["function_code"] == "centre_director"


# ---------------------------------------------------------------- check-in during an edit (#11)


async def test_checkin_during_a_profile_edit_is_recorded_and_the_edit_goes_on(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Hicham", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/profile")
    await said(user)
    await user.press("✏️ Unit")
    await shown(user)
    await user.send("/start checkin-venue")
    assert "presence is recorded" in await said_text(user)
    assert await bot.services.checkins.count() == 1
    await user.send("Délégation de Tiznit")
    assert "Your profile after this change" in await said_text(user)


# ---------------------------------------------------------------- calls per press (issue 14)


def _api_calls(emulator: BotApiEmulator) -> int:
    return sum(n for name, n in emulator.request_counts.items() if name != "getUpdates")


async def test_a_registration_press_costs_two_calls_and_the_summary_stays(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Fatima", language_code="fr")
    await user.send("/start")
    question = await said(user)
    costs = []
    for label, expected in (
        ("Français", "Avant de commencer"),
        ("✅ J'accepte", "nom complet"),
        (f"Utiliser « {FSI}Fatima{PDI} »", "fonction"),
        ("Inspecteur·rice", "région"),
        ("Souss-Massa", "unité"),
    ):
        before = _api_calls(emulator)
        press = await user.press(label)
        next_question = await shown(user)
        await user.wait_callback_answer(press)
        costs.append(_api_calls(emulator) - before)
        # The pressed message itself became the next question.
        assert next_question.message_id == question.message_id and expected in next_question.text
    assert costs == [2, 2, 2, 2, 2]
    await user.send("Centre d'Agadir")
    await said(user)
    await user.press("Passer")
    await said(user)
    summary = await said(user)
    await user.press("✅ Confirmer")
    assert "Vous êtes inscrit·e" in await said_text(user)  # a receipt below the summary
    kept = await user.next_message()  # the summary stays, without its buttons
    assert kept.message_id == summary.message_id and not kept.labels
    assert "Vérifiez vos informations" in kept.text


# ---------------------------------------------------------------- replays and files


async def test_a_replayed_part_is_not_appended_twice(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    from telegram import Update

    user = emulator.user(first_name="Samir", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    sent = await user.send("Shuttles between the two sites.")
    await said(user)
    # Delivered again (a crash before the offset was confirmed): handled as already done.
    assert bot.app is not None
    await bot.app.process_update(Update.de_json(sent, bot.app.bot))
    assert "0 of 5 files" in await said_text(user)  # the current step, asked again
    draft = await bot.services.drafts.get(user.id, "proposal")
    assert draft is not None and draft.data["text"] == "Shuttles between the two sites."


async def test_a_file_is_content_while_composing_and_an_upload_otherwise(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    table = b"workshop,text,owner,due\ngeneral,Publish the catalogue,,\n"
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await said(organizer)
    await organizer.send_document("list.csv", "text/csv", table, caption="The list")
    assert "Versions ready: English" in await said_text(organizer)
    draft = await bot.services.drafts.get(ORGANIZER_ID, "broadcast")
    assert draft is not None and draft.data["media_kind"] == "document"
    await organizer.send("/cancel")
    await said(organizer)
    await organizer.send_document("list.csv", "text/csv", table)
    assert "1" in " ".join((await said(organizer)).labels)  # the import preview: Create 1
    assert (await _drafts(bot, organizer)) == {"rec_import": ("confirm", True)}


async def test_an_edited_broadcast_version_replaces_that_version(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await said(organizer)
    sent = await organizer.send("The bus leaves at 8:15 from the hotle.")
    assert "Versions ready: English" in await said_text(organizer)
    await _edit(emulator, sent, "The bus leaves at 8:15 from the hotel.")
    assert "replaces the English version" in await said_text(organizer)
    assert "Versions ready: English" in await said_text(organizer)
    draft = await bot.services.drafts.get(ORGANIZER_ID, "broadcast")
    assert draft is not None
    assert draft.data["texts"] == {"en": "The bus leaves at 8:15 from the hotel."}


async def test_cancel_also_leaves_a_flow_not_declared_to_the_manager(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    from storage.drafts import Draft

    user = emulator.user(first_name="Adil", language_code="en")
    await enrol(bot, user, "en", "central")
    await bot.services.drafts.save(Draft(user.id, "legacy", "ask", {}))
    await user.send("Some words")  # no handler of its own here: the fallback answers
    assert "Save this message as a proposal" in await said_text(user)
    await user.send("/cancel")  # leaves the proposal offer
    assert "Nothing was saved" in await said_text(user)
    await bot.services.drafts.save(Draft(user.id, "legacy", "ask", {}))
    await user.send("/cancel")
    assert "Cancelled: nothing was saved" in await said_text(user)
    assert await bot.services.db.fetchall("SELECT * FROM drafts") == []


async def test_a_pressed_message_that_cannot_be_edited_gets_the_question_anew(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Rim", language_code="en")
    await user.send("/start")
    await said(user)
    emulator.faults.fail(
        user.id,
        400,
        times=1,
        description="Bad Request: message can't be edited",
        methods=["editMessageText"],
    )
    await user.press("English")
    question = await said(user)  # a new message, since the old one could not become it
    assert "Before we start" in question.text and "✅ I agree" in question.labels
    await user.press("✅ I agree")
    assert "full name" in await shown_text(user)


def test_every_flow_is_named_and_cancelled_in_every_language(make_bot) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_application
    from bot.context import services_of
    from storage.drafts import Draft

    app = build_application(make_bot().settings)
    services = services_of(app)
    flows = services.conversations.flows
    assert {"registration", "broadcast", "proposal", "review", "event_file", "rec_import"} <= set(
        flows
    )
    for flow in flows.values():
        for data in ({}, {"from_profile": True}):
            draft = Draft(1, flow.name, "x", data)
            for key in (flow.key(flow.title_key, draft), flow.key(flow.cancelled_key, draft)):
                for code, catalogue in services.texts.catalogues.items():
                    assert catalogue.singular.get(key), f"{key} missing in {code}"
