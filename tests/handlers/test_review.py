"""Organizers review proposals and make recommendations; authors are told; forged review
buttons from participants do nothing."""

from __future__ import annotations

import pytest

from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, plain, said, said_text, shown, shown_text


async def _proposal(user: SimUser, text: str, theme: str) -> None:
    await user.send(text)
    await said(user)
    await user.press(theme)
    await shown(user)


async def _open_queue(organizer: SimUser) -> None:
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("🗂 Proposals")
    await shown(organizer)
    await organizer.press("All themes")


async def test_accept_reject_with_note_and_authors_are_told(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    fr_author = emulator.user(first_name="Nadia", language_code="fr")
    ar_author = emulator.user(first_name="Amal", language_code="ar")
    await enrol(bot, fr_author, "fr", "oriental")
    await enrol(bot, ar_author, "ar", "central")
    await _proposal(
        fr_author, "Former les encadrantes aux métiers du numérique.", "💡 Général (hors atelier)"
    )
    await _proposal(ar_author, "فتح المراكز يوم السبت", "💡 عام (غير مرتبط بورشة)")
    await fr_author.send_voice()  # a second proposal with a voice note
    await said(fr_author)
    await fr_author.press("💡 Général (hors atelier)")
    await shown(fr_author)

    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    voice = await said(organizer)  # newest first: P-0003, with its voice note before the card
    assert voice.raw.get("voice") is not None
    card = await said_text(organizer)
    assert "P-0003 (1/3)" in card and "Person Nadia" in card
    await organizer.press("▶️")
    card = await shown_text(organizer)
    assert "P-0002 (2/3)" in card and "فتح المراكز" in card
    await organizer.press("➖ Not retained")
    assert "Write a note for the author" in await shown_text(organizer)
    await organizer.send("Already planned for 2027.")
    assert "P-0002 marked as not retained" in await said_text(organizer)
    await tick(bot.services)
    told = await said_text(ar_author)
    assert "P-0002" in told and "لم يُعتمد" in told and "Already planned for 2027." in told

    await organizer.press("▶️")  # on the older card: the third proposal
    card = await shown_text(organizer)
    assert "P-0001 (3/3)" in card
    await organizer.press("✅ Accept")
    assert "P-0001 accepted" in await shown_text(organizer)
    await tick(bot.services)
    assert "P-0001 : ✅ acceptée" in await said_text(fr_author)
    entries = [e["action"] for e in await bot.services.audit.entries()]
    assert entries[:2] == ["proposal.accepted", "proposal.rejected"]


async def test_the_text_of_a_new_recommendation_can_be_cancelled_with_a_button(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Rachid", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(
        author, "A shared catalogue of training offers.", "💡 General (not tied to a workshop)"
    )
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    await said(organizer)
    await organizer.press("🔗 Into a recommendation")
    await shown(organizer)
    await organizer.press("➕ A new recommendation")
    question = await shown(organizer)
    assert "✖️ Cancel" in question.labels  # a way back from the question
    await organizer.press("✖️ Cancel")
    assert "cancelled" in (await said_text(organizer)).lower()
    assert await bot.services.drafts.get(organizer.id, "review") is None
    assert await bot.services.recommendations.get(1) is None  # nothing created


async def test_merge_into_a_new_recommendation_with_owner_and_due_date(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Rachid", language_code="en")
    delegate = emulator.user(first_name="Zahra", language_code="fr")
    await enrol(bot, author, "en", "central")
    await enrol(bot, delegate, "fr", "souss_massa")
    await _proposal(
        author,
        "A shared catalogue of training offers across provinces.",
        "💡 General (not tied to a workshop)",
    )
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    await said(organizer)
    await organizer.press("🔗 Into a recommendation")
    await shown(organizer)
    await organizer.press("➕ A new recommendation")
    await shown(organizer)
    await organizer.send("إحداث دليل موحد للعرض التكويني على المستوى الوطني")
    assert "Who will own it" in await said_text(organizer)
    await organizer.send("Nobody Here")
    assert "Nobody registered matches" in await said_text(organizer)
    await organizer.send("Zahra")
    await said(organizer)
    await organizer.press("Person Zahra · Centre")
    await shown(organizer)
    await organizer.send("31/12/2020")  # the fake clock says 2026: in the past
    assert "already past" in await said_text(organizer)
    await organizer.send("30/06/2026")
    created = await said_text(organizer)
    assert "R-1" in created and "Person Zahra" in created
    rec = await bot.services.recommendations.get(1)
    assert rec is not None
    assert (rec.language, rec.owner_id, rec.due_date.isoformat(), rec.sources, rec.status) == (
        "ar",
        delegate.id,
        "2026-06-30",
        [1],
        "not_started",
    )
    await tick(bot.services)
    assert "merged into recommendation R-1" in await said_text(author)
    told = await said_text(delegate)  # the owner is told at once, in their language
    assert "Vous êtes désormais en charge" in told and "R-1" in told
    assert "delegate" in await bot.services.roles.roles_of(delegate.id)
    await author.send("/mine")
    mine = await said_text(author)
    assert "merged into recommendation R-1" in mine
    assert "إحداث دليل موحد" in mine and "not started" in mine  # what it became, and how it stands

    # A second proposal merged into the existing recommendation; then drop it, asked first.
    await _proposal(
        author, "Publish the catalogue online too.", "💡 General (not tied to a workshop)"
    )
    await organizer.press("⬅️ Themes")
    await shown(organizer)
    await organizer.press("All themes")
    await shown(organizer)
    await organizer.press("🔗 Into a recommendation")
    await shown(organizer)
    await organizer.press(
        next(label for label in organizer.inbox[-1].labels if plain(label).startswith("R-1"))
    )
    assert "P-0002 merged into R-1" in await shown_text(organizer)
    assert (await bot.services.recommendations.get(1)).sources == [1, 2]
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📌 Recommendations")
    await shown(organizer)
    await organizer.press("✏️ R-1")
    await shown(organizer)
    await organizer.press("⏳ Due date")
    await shown(organizer)
    await organizer.send("2026-09-30")
    assert "Updated" in await said_text(organizer)
    assert (await bot.services.recommendations.get(1)).due_date.isoformat() == "2026-09-30"
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📌 Recommendations")
    await shown(organizer)
    await organizer.press("✏️ R-1")
    await shown(organizer)
    await organizer.press("🗑 Drop R-1")
    assert "no longer be asked" in await shown_text(organizer)
    await organizer.press("Yes, drop it")
    assert "R-1 dropped" in await shown_text(organizer)
    assert (await bot.services.recommendations.get(1)).status == "dropped"
    await tick(bot.services)
    assert "L'échéance" in await said_text(delegate)  # told of the new due date
    assert "ont abandonné" in await said_text(delegate)


async def test_into_a_recommendation_can_go_back_to_the_card_or_the_themes(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Rachid", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(author, "Open the centres on Saturdays.", "💡 General (not tied to a workshop)")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    await said(organizer)
    await organizer.press("🔗 Into a recommendation")
    where = await shown(organizer)
    assert {"⬅️ Back", "⬅️ Themes"} <= set(where.labels)
    await organizer.press("⬅️ Back")
    assert "Open the centres on Saturdays." in await shown_text(organizer)
    await organizer.press("🔗 Into a recommendation")
    await shown(organizer)
    await organizer.press("⬅️ Themes")
    assert "All themes" in (await shown(organizer)).labels


@pytest.mark.parametrize(
    "forged",
    [
        "rv:menu:0",
        "rv:show:*:n:0",
        "rv:acc:1:*:n",
        "rv:rej:1",
        "rv:newrec:1",
        "rv:into:1:1",
        "rv:dropyes:1",
        "rv:owner:5",
    ],
)
async def test_forged_review_buttons_from_a_participant_do_nothing(
    emulator: BotApiEmulator, bot: RunningBot, caplog: pytest.LogCaptureFixture, forged: str
) -> None:
    caplog.set_level("WARNING")
    user = emulator.user(first_name="Curious", language_code="en")
    await enrol(bot, user, "en", "central")
    await _proposal(user, "My idea", "💡 General (not tied to a workshop)")
    press = await user.press_data(user.inbox[-1].message_id, forged)
    answer = await user.wait_callback_answer(press)
    assert answer.text == "This button is not valid."
    proposal = await bot.services.proposals.get(1)
    assert proposal is not None and proposal.status == "new"
    assert await bot.services.recommendations.all() == []
    assert "button refused (needs organizer)" in caplog.text


async def test_a_decision_on_a_proposal_withdrawn_while_its_card_was_open_is_refused(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Said", language_code="en")
    await enrol(bot, author, "en", "central")
    await _proposal(author, "Open the centres on Saturdays.", "💡 General (not tied to a workshop)")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await _open_queue(organizer)
    assert "P-0001 (1/1)" in await said_text(organizer)  # the card is open

    await author.send("/mine")
    await said(author)
    await author.press("↩️ Withdraw P-0001")
    await said(author)
    await author.press("Yes, withdraw it")
    assert "P-0001 is withdrawn" in await said_text(author)

    await organizer.press("✅ Accept")
    refused = await said_text(organizer)
    assert "P-0001 was withdrawn by its author" in refused and "nothing was recorded" in refused
    await said(organizer)  # the queue, shown again without it
    assert (await bot.services.proposals.get(1)).status == "withdrawn"
    assert "proposal.accepted" not in [e["action"] for e in await bot.services.audit.entries()]
    await tick(bot.services)
    await bot.settled(author)  # not told of an acceptance

    await organizer.press("🔗 Into a recommendation")  # the same card, another decision
    await said(organizer)
    await organizer.press("➕ A new recommendation")
    await said(organizer)
    await organizer.send("Open on Saturdays")
    await said(organizer)
    await organizer.press("Skip")
    await said(organizer)
    await organizer.press("Skip")
    assert "was withdrawn by its author" in await said_text(organizer)
    assert await bot.services.recommendations.all() == []
