"""Registration, end to end: a person in the emulator talks to the real bot."""

from __future__ import annotations

import pytest

from sandbox import BotApiEmulator, SimUser
from tests.harness import RunningBot, shown, shown_text

# What a person taps and reads, per language.
UI = {
    "en": dict(
        lang="English",
        accept="✅ I agree",
        consent="Before we start",
        ask_name="full name",
        function="Inspector",
        ask_region="region",
        region="Souss-Massa",
        ask_unit="unit, centre or delegation",
        skip="Skip",
        summary="Please check your details",
        confirm="✅ Confirm",
        done="You are registered",
        edit_region="✏️ Region",
        back="⬅️ Back",
    ),
    "fr": dict(
        lang="Français",
        accept="✅ J'accepte",
        consent="Avant de commencer",
        ask_name="nom complet",
        function="Inspecteur·rice",
        ask_region="région",
        region="Souss-Massa",
        ask_unit="unité, centre ou délégation",
        skip="Passer",
        summary="Vérifiez vos informations",
        confirm="✅ Confirmer",
        done="Vous êtes inscrit·e",
        edit_region="✏️ Région",
        back="⬅️ Retour",
    ),
    "ar": dict(
        lang="العربية",
        accept="✅ أوافق",
        consent="قبل البدء",
        ask_name="اسمكم الكامل",
        function="مفتش(ة)",
        ask_region="جهة",
        region="سوس-ماسة",
        ask_unit="وحدتكم",
        skip="تجاوز",
        summary="المرجو التحقق من معلوماتكم",
        confirm="✅ تأكيد",
        done="تم تسجيلكم",
        edit_region="✏️ الجهة",
        back="➡️ رجوع",
    ),
}


async def walk_to_summary(
    user: SimUser, lang: str, name: str = "Fatima Zahra El Idrissi", **labels: str
) -> str:
    """Answer every question up to the summary; returns the summary text. `labels` replaces
    button labels (an event file may name the functions and regions its own way)."""
    ui = {**UI[lang], **labels}
    await user.send("/start")
    assert "Multaqa" in await shown_text(user) or "ملتقى" in user.inbox[-1].text
    await user.press(ui["lang"])
    assert ui["consent"] in await shown_text(user)
    await user.press(ui["accept"])
    assert ui["ask_name"] in await shown_text(user)
    await user.send(name)
    await shown(user)  # function question
    await user.press(ui["function"])
    assert ui["ask_region"] in await shown_text(user)
    await user.press(ui["region"])
    assert ui["ask_unit"] in await shown_text(user)
    await user.send("Délégation provinciale de Khouribga")
    phone_question = await shown(user)
    assert phone_question.reply_keyboard is not None
    await user.press(ui["skip"])
    ack = await shown(user)
    assert ack.remove_keyboard
    summary = await shown_text(user)
    assert ui["summary"] in summary
    return summary


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
async def test_whole_registration_in_each_language(
    emulator: BotApiEmulator, bot: RunningBot, lang: str
) -> None:
    user = emulator.user(first_name="Fatima", language_code=lang)
    summary = await walk_to_summary(user, lang)
    assert "Fatima Zahra El Idrissi" in summary and "Khouribga" in summary
    confirm = await user.press(UI[lang]["confirm"])
    done = await shown_text(user)
    await user.wait_callback_answer(confirm)
    assert UI[lang]["done"] in done and "/profile" in done
    participant = await bot.services.participants.get(user.id)
    assert participant is not None
    assert (
        participant.locale,
        participant.full_name,
        participant.function_code,
        participant.region_code,
        participant.unit,
        participant.phone,
    ) == (
        lang,
        "Fatima Zahra El Idrissi",
        "inspector",
        "souss_massa",
        "Délégation provinciale de Khouribga",
        None,
    )
    assert await bot.services.drafts.get(user.id, "registration") is None
    # The person's own menu is now in their language.
    menu = emulator.commands({"type": "chat", "chat_id": user.id})
    assert [c["command"] for c in menu] == [
        "start",
        "agenda",
        "workshops",
        "propose",
        "mine",
        "profile",
        "language",
        "help",
        "privacy",
        "cancel",
    ]
    assert emulator.unanswered_callbacks() == []


async def test_language_buttons_put_telegrams_language_first(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Jeanne", language_code="fr-FR")
    await user.send("/start")
    question = await shown(user)
    assert question.labels == ["Français", "العربية", "English"]
    other = emulator.user(first_name="Kim", language_code="ko")
    await other.send("/start")
    assert (await shown(other)).labels == ["العربية", "Français", "English"]


async def test_every_validation_error_gets_a_clear_retry(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Ali", language_code="en")
    await user.send("/start")
    await shown(user)
    await user.press("English")
    await shown(user)
    await user.press("✅ I agree")
    await shown(user)
    for bad in ("Al", "Agent 007", "x" * 101, "Ali 🙂"):
        await user.send(bad)
        assert "full name: 3 to 100 letters" in await shown_text(user)
    await user.send("Ali Ben Salah")
    await shown(user)
    await user.press("✏️ Other (type it)")
    assert "Type your function" in await shown_text(user)
    await user.send("x")
    assert "2 to 80 characters" in await shown_text(user)
    await user.send("Assistante sociale")
    assert "region" in await shown_text(user)
    await user.press("Oriental")
    await shown(user)
    await user.send("A")
    assert "2 to 120 characters" in await shown_text(user)
    await user.send("Centre d'Oujda")
    await shown(user)
    await user.send("12345")
    assert "not a valid phone number" in await shown_text(user)
    await user.send("06 12 34 56 78")
    assert "+212612345678" in await shown_text(user)
    summary = await shown_text(user)
    assert "Assistante sociale" in summary and "Oriental" in summary
    await user.press("✅ Confirm")
    await shown(user)
    participant = await bot.services.participants.get(user.id)
    assert participant is not None
    assert (participant.function_code, participant.function_other, participant.phone) == (
        "other",
        "Assistante sociale",
        "+212612345678",
    )


async def test_shared_contact_is_used_and_someone_elses_is_refused(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Samira", language_code="fr", phone="+212661234567")
    await user.send("/start")
    await shown(user)
    await user.press("Français")
    await shown(user)
    await user.press("✅ J'accepte")
    await shown(user)
    await user.send("Samira Alaoui")
    await shown(user)
    await user.press("Chef de service")
    await shown(user)
    await user.press("Casablanca-Settat")
    await shown(user)
    await user.send("Centre Hay Mohammadi")
    await shown(user)
    await user.send_contact("+212600000000", own=False)
    assert "votre propre numéro" in await shown_text(user)
    await user.press("📱 Partager mon numéro")
    assert "+212661234567" in await shown_text(user)
    assert "+212661234567" in await shown_text(user)  # summary


async def test_edit_from_summary_returns_to_summary(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Omar", language_code="en")
    await walk_to_summary(user, "en", name="Omar Tazi")
    await user.press("✏️ Region")
    assert "region" in await shown_text(user)
    await user.press("Marrakesh-Safi")
    summary = await shown_text(user)
    assert "Marrakesh-Safi" in summary and "Souss-Massa" not in summary
    await user.press("✏️ Name")
    await shown(user)
    await user.send("Omar El Tazi")
    assert "Omar El Tazi" in await shown_text(user)
    await user.press("✅ Confirm")
    await shown(user)
    participant = await bot.services.participants.get(user.id)
    assert participant is not None
    assert (participant.full_name, participant.region_code) == ("Omar El Tazi", "marrakech_safi")


async def test_back_goes_to_the_previous_question(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Nadia", language_code="en")
    await user.send("/start")
    await shown(user)
    await user.press("English")
    await shown(user)
    await user.press("✅ I agree")
    await shown(user)
    await user.send("Nadia Berrada")
    await shown(user)
    await user.press("⬅️ Back")
    assert "full name" in await shown_text(user)
    await user.press("⬅️ Back")
    assert "Before we start" in await shown_text(user)


async def test_declining_consent_stores_nothing(emulator: BotApiEmulator, bot: RunningBot) -> None:
    user = emulator.user(first_name="Youssef", language_code="en")
    await user.send("/start")
    await shown(user)
    await user.press("English")
    await shown(user)
    await user.press("❌ I decline")
    assert "nothing about you has been stored" in await shown_text(user)
    assert await bot.services.drafts.get(user.id, "registration") is None
    assert await bot.services.participants.get(user.id) is None
    db = bot.services.db
    assert await db.fetchall("SELECT * FROM participants") == []
    assert await db.fetchall("SELECT * FROM drafts") == []


async def test_cancel_leaves_the_flow_cleanly(emulator: BotApiEmulator, bot: RunningBot) -> None:
    user = emulator.user(first_name="Hind", language_code="fr")
    await user.send("/start")
    await shown(user)
    await user.press("Français")
    await shown(user)
    await user.press("✅ J'accepte")
    await shown(user)
    await user.send("/cancel")
    message = await shown(user)
    assert "Inscription annulée" in message.text and message.remove_keyboard
    assert await bot.services.drafts.get(user.id, "registration") is None
    await user.send("/cancel")
    assert "rien à annuler" in await shown_text(user)


async def test_restart_mid_flow_continues_where_the_person_was(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Karim", language_code="ar")
    await user.send("/start")
    await shown(user)
    await user.press("العربية")
    await shown(user)
    await user.press("✅ أوافق")
    await shown(user)
    await user.send("كريم الإدريسي")
    await shown(user)
    await bot.restart()
    await user.press("مدير(ة) مركز")  # the function question sent by the previous process
    assert "جهة" in await shown_text(user)
    await user.press("فاس-مكناس")
    await shown(user)
    await bot.restart()
    await user.send("مركز التربية والتكوين بفاس")
    await shown(user)
    await user.press("تجاوز")
    await shown(user)
    summary = await shown_text(user)
    assert "كريم الإدريسي" in summary and "فاس-مكناس" in summary
    await user.press("✅ تأكيد")
    await shown(user)
    participant = await bot.services.participants.get(user.id)
    assert participant is not None and participant.unit == "مركز التربية والتكوين بفاس"


async def test_unexpected_media_mid_flow_gets_an_answer_and_the_question_again(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Laila", language_code="en")
    await user.send("/start")
    await shown(user)
    await user.press("English")
    await shown(user)
    await user.send_sticker()
    # Only the short prompt with the buttons again, not the long privacy text.
    prompt = await shown(user)
    assert "choose with the buttons" in prompt.text and "Before we start" not in prompt.text
    assert "✅ I agree" in prompt.labels
    await user.press("✅ I agree")
    await shown(user)
    await user.send_voice()
    assert "text message" in await shown_text(user)
    await user.send_photo()
    assert "text message" in await shown_text(user)
    await bot.settled(user)
    await user.send("Laila Fassi")
    assert "function" in await shown_text(user)
    await user.send("Inspector")  # typing a button's label works too
    assert "region" in await shown_text(user)


async def test_registered_person_sees_and_edits_profile(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Salma", language_code="en")
    await walk_to_summary(user, "en", name="Salma Bennani")
    await user.press("✅ Confirm")
    await shown(user)
    await user.send("/start")
    profile = await shown(user)
    assert "Your profile" in profile.text and "Salma Bennani" in profile.text
    await user.press("✏️ Unit")
    await shown(user)
    await user.send("Coordination régionale de Rabat")
    summary = await shown(user)
    assert "Your profile after this change" in summary.text
    await user.press("↩️ Keep my profile as it was")
    assert "unchanged" in await shown_text(user)
    participant = await bot.services.participants.get(user.id)
    assert participant is not None and participant.unit == "Délégation provinciale de Khouribga"
    await user.send("/profile")
    await shown(user)
    await user.press("✏️ Unit")
    await shown(user)
    await user.send("Coordination régionale de Rabat")
    await shown(user)
    await user.press("✅ Confirm")
    assert "profile is updated" in await shown_text(user)
    participant = await bot.services.participants.get(user.id)
    assert participant is not None and participant.unit == "Coordination régionale de Rabat"


async def test_language_switch_mid_flow_and_after(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Amina", language_code="en")
    await user.send("/start")
    await shown(user)
    await user.press("English")
    await shown(user)
    await user.send("/language")
    await shown(user)
    await user.press("Français")
    assert "en français" in await shown_text(user)
    assert "Avant de commencer" in await shown_text(user)  # same step, new language
    await user.press("✅ J'accepte")
    assert "nom complet" in await shown_text(user)
    draft = await bot.services.drafts.get(user.id, "registration")
    assert draft is not None and draft.data["locale"] == "fr"


async def test_unknown_command_and_stray_message(emulator: BotApiEmulator, bot: RunningBot) -> None:
    user = emulator.user(first_name="Driss", language_code="fr")
    await user.send("/frobnicate")
    assert "Je ne connais pas cette commande" in await shown_text(user)
    await user.send("bonjour")
    assert "/start" in await shown_text(user)
    await user.send("/admin")  # not an organizer: same as an unknown command
    assert "Je ne connais pas cette commande" in await shown_text(user)


async def test_forged_buttons_change_nothing(emulator: BotApiEmulator, bot: RunningBot) -> None:
    user = emulator.user(first_name="Rachid", language_code="en")
    await user.send("/start")
    question = await shown(user)
    for forged in (
        "reg:fn:999",
        "reg:lang:xx",
        "reg:confirm",
        "zzz:1",
        "reg:edit:phone",
        "lang:set:de",
        "reg:back:summary",
    ):
        press = await user.press_data(question.message_id, forged)
        answer = await user.wait_callback_answer(press)
        assert answer.text in ("This button is not valid.", "This button is no longer active.")
    draft = await bot.services.drafts.get(user.id, "registration")
    assert draft is not None and draft.step == "language"
    assert await bot.services.participants.get(user.id) is None


async def test_blocking_marks_unreachable_and_unblocking_reachable(
    emulator: BotApiEmulator, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="handlers.basics")
    user = emulator.user(first_name="Zineb", language_code="en")
    await walk_to_summary(user, "en", name="Zineb Chraibi")
    await user.press("✅ Confirm")
    await shown(user)
    await user.block()
    await user.unblock()
    await user.send("/help")  # one chat's updates run in order: both changes are done after it
    await shown(user)
    changes = [r.getMessage() for r in caplog.records if "is now" in r.getMessage()]
    assert changes == [f"user {user.id} is now unreachable", f"user {user.id} is now reachable"]
    participant = await bot.services.participants.get(user.id)
    assert participant is not None and participant.reachable
    assert "Zineb" not in caplog.text  # no personal data in logs


async def test_a_reply_that_meets_a_server_error_once_is_sent_again(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Ines", language_code="fr")
    await user.send("/start")
    await shown(user)
    await user.press("Français")
    await shown(user)
    emulator.faults.fail(user.id, 502, times=1)
    await user.press("✅ J'accepte")
    assert "nom complet" in await shown_text(user)


async def test_a_failure_while_answering_is_explained_and_loses_nothing(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Ines", language_code="fr")
    await user.send("/start")
    await shown(user)
    await user.press("Français")
    await shown(user)
    await user.press("✅ J'accepte")
    await shown(user)
    # Telegram fails every try of the bot's next reply (the reply is retried 4 times): the
    # answer is saved, the person is told.
    emulator.faults.fail(user.id, 500, times=4, description="Internal Server Error")
    await user.send("Ines Berrada")
    assert "Vos réponses sont enregistrées" in await shown_text(user, timeout=10)
    draft = await bot.services.drafts.get(user.id, "registration")
    assert draft is not None
    assert (draft.step, draft.data["full_name"]) == ("function", "Ines Berrada")
