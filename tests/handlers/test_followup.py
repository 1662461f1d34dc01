"""Follow-up of recommendations, end to end on the injected clock across simulated weeks:
a delegate is told, prompted on the policy's days (never at night or on the weekend), answers
with a status, a percentage, a comment and evidence; silence and lateness reach the organizers,
whose buttons re-prompt, extend and drop; a restart neither loses nor doubles a prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.event.file import load_event_file
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from storage.campaigns import Audience
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, plain, said, said_text, shown, shown_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
# The study day is Wednesday 30 January 2019, Casablanca (UTC+1 then). Default policy: first
# prompt 7 days after (Wednesday 6 February, 10:00 local), then every 14 days; 3 days before
# the due date; on the due date; quiet 19:00-08:30; no prompts on Saturday and Sunday.
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Casablanca local time in January-March 2019 (UTC+1) as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def move_to(bot: RunningBot, moment: datetime) -> None:
    clock = bot.clock
    assert isinstance(clock, FakeClock)
    assert moment >= clock.now()
    clock.advance(moment - clock.now())


@pytest.fixture
async def event_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    await bot.services.event.load(load_event_file(EXAMPLE), None)
    try:
        yield bot
    finally:
        await bot.stop()


async def _organizer(emulator: BotApiEmulator, bot: RunningBot) -> SimUser:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="fr")
    await enrol(bot, organizer, "fr", "central")
    return organizer


async def _recommendation(
    bot: RunningBot, owner: SimUser | None, due: date | None, text: str = "Signer des conventions"
) -> int:
    rec_id = await bot.services.recommendations.create(
        "partnerships", text, "fr", None, due, ORGANIZER_ID
    )
    if owner is not None:
        assert await bot.services.followup.assign(rec_id, owner.id, ORGANIZER_ID)
    return rec_id


async def test_delegate_is_told_then_prompted_and_answers_with_progress_and_evidence(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Karim", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, delegate, date(2019, 6, 28))
    assert "delegate" in await bot.services.roles.roles_of(delegate.id)
    # Delegates are an audience of broadcasts (it used to count nobody).
    assert await bot.services.campaigns.count_audience(Audience("delegates")) == 1

    assert await tick(bot.services) == 1
    told = await said_text(delegate)
    assert "Vous êtes désormais en charge" in told
    assert f"R-{rec_id}" in told and "Signer des conventions" in told
    assert "vendredi 28 juin 2019" in told and "Person Nadia" in told

    # Nothing before the first prompt's day, then the prompt at 10:00 local.
    move_to(bot, local(date(2019, 2, 6), 9, 59))
    assert await tick(bot.services) == 0
    move_to(bot, local(date(2019, 2, 6), 10, 0))
    assert await tick(bot.services) == 1
    prompt = await said(delegate)
    assert "Suivi d'une recommandation" in prompt.text and "Signer des conventions" in prompt.text

    await delegate.press("🟡 en cours")
    assert "Où en est" in await said_text(delegate)
    await delegate.press("50%")
    assert "Ajoutez un commentaire" in await said_text(delegate)
    await delegate.send("Convention signée avec 3 associations & 1 commune")
    assert "Reçu" in await said_text(delegate)
    await delegate.send_photo()
    assert "Reçu" in await said_text(delegate)
    await delegate.press("✅ Enregistrer")
    done = await said_text(delegate)
    assert "Enregistré pour R-" in done and "en cours (50 %)" in done
    assert "Convention signée avec 3 associations & 1 commune" in done
    assert "1 fichier conservé" in done

    timeline = await bot.services.followup.repo.timeline(rec_id)
    status = [u for u in timeline if u.kind == "status"]
    assert len(status) == 1
    assert (status[0].from_status, status[0].to_status, status[0].progress) == (
        "not_started",
        "in_progress",
        50,
    )
    assert status[0].comment == "Convention signée avec 3 associations & 1 commune"
    assert [e.kind for e in status[0].evidence] == ["photo"]
    # The next prompt is 14 days after the answer, at 10:00 local.
    planned = [
        (k, s, d)
        for k, s, d in await bot.services.prompts.of_user(delegate.id)
        if k.startswith("followup:") and s == "pending"
    ]
    assert [d for _, _, d in planned] == [local(date(2019, 2, 20), 10, 0)]


async def test_cadence_keeps_quiet_hours_weekends_and_due_dates_and_escalates_silence(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Samira", language_code="ar")
    await enrol(bot, delegate, "ar", "oriental")
    organizer = await _organizer(emulator, bot)
    # Due Monday 11 February: 3 days before is Friday 8 February; the due day is a Monday.
    rec_id = await _recommendation(bot, delegate, date(2019, 2, 11))
    await tick(bot.services)
    await said(delegate)  # told it is theirs

    sent: list[datetime] = []
    # Walk the clock hour by hour through two weeks, as a running bot's clock would.
    end = local(date(2019, 2, 14), 12, 0)
    while bot.clock.now() < end:
        bot.clock.advance(timedelta(minutes=30))
        if await tick(bot.services):
            now = bot.clock.now()
            local_now = now + timedelta(hours=1)
            if delegate.pending_events():
                text = (await said(delegate)).text
                if "تتبع" in text:
                    sent.append(now)
                    assert 8 * 60 + 30 <= local_now.hour * 60 + local_now.minute < 19 * 60
                    assert local_now.weekday() < 5
    days = [(s + timedelta(hours=1)).date() for s in sent]
    # First prompt: 6 Feb (7 days after the event); pre-due: Friday 8 Feb; due day: Mon 11 Feb.
    assert days == [date(2019, 2, 6), date(2019, 2, 8), date(2019, 2, 11)]
    # Two prompts without an answer reached the organizer once; then the lateness once.
    escalations = [m.text for m in organizer.inbox if "Le suivi a besoin de vous" in m.text]
    assert len([e for e in escalations if "sans réponse" in e]) == 1
    assert len([e for e in escalations if "en retard" in e]) == 1
    state = (await bot.services.followup.repo.get(rec_id)).state  # type: ignore[union-attr]
    assert state.silent_prompts == 3


async def test_silence_reaches_the_organizers_two_days_after_the_second_prompt_unless_answered(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    silent = emulator.user(first_name="Samira", language_code="fr")
    answering = emulator.user(first_name="Karim", language_code="fr")
    await enrol(bot, silent, "fr", "oriental")
    await enrol(bot, answering, "fr", "central")
    organizer = await _organizer(emulator, bot)
    quiet_rec = await _recommendation(bot, silent, None, "Ouvrir un guichet")
    await _recommendation(bot, answering, None, "Former les agents")
    await tick(bot.services)
    await said(silent), await said(answering)  # told it is theirs

    def escalations() -> list[str]:
        return [m.text for m in organizer.inbox if "Le suivi a besoin de vous" in m.text]

    # Prompts on Wednesday 6 and Wednesday 20 February, 10:00; nobody answers them.
    for day in (6, 20):
        move_to(bot, local(date(2019, 2, day), 10, 0))
        await tick(bot.services)
        assert "Suivi d'une recommandation" in (await said(silent)).text
        assert "Suivi d'une recommandation" in (await said(answering)).text
    # Not at the minute of the second prompt: planned for two days later.
    planned = [
        (state, due)
        for key, state, due in await bot.services.prompts.of_user(organizer.id)
        if key.startswith("silent:")
    ]
    assert planned == [("pending", local(date(2019, 2, 22), 10, 0))] * 2
    # Karim answers the next day; Samira stays silent through the two days of grace.
    move_to(bot, local(date(2019, 2, 21), 15, 0))
    await bot.services.followup.record(
        quiet_rec + 1, answering.id, "in_progress", 30, None, [], None
    )
    move_to(bot, local(date(2019, 2, 22), 9, 59))
    await tick(bot.services)
    assert escalations() == []
    move_to(bot, local(date(2019, 2, 22), 10, 0))
    await tick(bot.services)
    told = await said_text(organizer)
    while "Le suivi a besoin de vous" not in told:  # weekly summaries and a digest came first
        told = await said_text(organizer)
    assert "Le suivi a besoin de vous" in told and "Ouvrir un guichet" in told
    assert [e for e in escalations() if "Former les agents" in e] == []


async def test_organizer_extends_then_drops_from_an_escalation_and_the_delegate_is_told(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Omar", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    organizer = await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, delegate, date(2019, 2, 4))  # due Monday 4 February
    await tick(bot.services)
    await said(delegate)
    # Overdue from Tuesday 5 February at 00:00; sent when quiet hours end (08:30).
    move_to(bot, local(date(2019, 2, 5), 8, 30))
    await tick(bot.services)
    # The prompts of Friday 1 (3 days before) and Monday 4 were missed: one goes, once.
    assert "Suivi d'une recommandation" in await said_text(delegate)
    escalation = await said(organizer)
    assert "en retard de 1 jour" in escalation.text and "Person Omar" in escalation.text
    await organizer.press("📅 Prolonger l'échéance")
    assert "Nouvelle échéance" in await said_text(organizer)
    await organizer.send("15/03/2019")
    assert "Reporter l'échéance" in await said_text(organizer)
    await organizer.press("✅ Oui")
    assert "a maintenant pour échéance le vendredi 15 mars 2019" in await said_text(organizer)
    await tick(bot.services)
    notice = await said_text(delegate)
    assert "L'échéance" in notice and "15 mars 2019" in notice
    rec = await bot.services.followup.repo.get(rec_id)
    assert rec is not None and rec.due_date == date(2019, 3, 15)

    # From the timeline (Suivi → Toutes → R-n), drop it.
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📈 Suivi")
    await said(organizer)
    await organizer.press("📋 Toutes les recommandations")
    await said(organizer)
    await organizer.press_data(organizer.inbox[-1].message_id, f"fa:tl:{rec_id}")
    assert "Historique" in await said_text(organizer)
    await organizer.press("🗑 Abandonner")
    assert "Abandonner" in await said_text(organizer)
    await organizer.press("✅ Oui")
    assert "abandonnée" in await said_text(organizer)
    await tick(bot.services)
    assert "ont abandonné" in await said_text(delegate)
    rec = await bot.services.followup.repo.get(rec_id)
    assert rec is not None and rec.status == "dropped"
    # No prompt is planned any more for a dropped recommendation.
    assert not [
        k
        for k, s, _ in await bot.services.prompts.of_user(delegate.id)
        if k.startswith("followup:") and s == "pending"
    ]
    actions = [e["action"] for e in await bot.services.audit.entries()]
    assert "recommendation.extend" in actions and "recommendation.drop" in actions


async def test_plus_days_count_from_the_due_date_the_question_shows(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Omar", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    organizer = await _organizer(emulator, bot)
    await _recommendation(bot, delegate, date(2019, 2, 4))  # due Monday 4 February
    await tick(bot.services)
    move_to(bot, local(date(2019, 2, 5), 8, 30))  # a day late
    await tick(bot.services)
    await said(organizer)
    await organizer.press("📅 Prolonger l'échéance")
    assert "lundi 4 février 2019" in await said_text(organizer)
    await organizer.press("+7 jours")
    assert "lundi 11 février 2019" in await said_text(organizer)  # 4 February + 7, not today


async def test_a_restart_neither_loses_nor_doubles_a_prompt_and_downtime_sends_it_once(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Hind", language_code="en")
    await enrol(bot, delegate, "en", "central")
    await _recommendation(bot, delegate, None)
    await tick(bot.services)
    await said(delegate)
    await bot.restart()
    # Down for five weeks: the prompts of 6 and 20 February were missed; one goes, once.
    move_to(bot, local(date(2019, 3, 12), 11, 0))
    await tick(bot.services)
    assert "Follow-up of a recommendation" in await said_text(delegate)
    await bot.restart()
    await tick(bot.services)
    await bot.settled(delegate)


async def test_forged_and_foreign_buttons_change_nothing(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    owner = emulator.user(first_name="Aicha", language_code="fr")
    other = emulator.user(first_name="Yassine", language_code="fr")
    await enrol(bot, owner, "fr", "central")
    await enrol(bot, other, "fr", "central")
    await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, owner, date(2019, 3, 1))
    await other.send("/tasks")
    assert "aucune recommandation" in await said_text(other)
    message_id = other.inbox[-1].message_id
    for data in (
        f"fu:s:{rec_id}:dn",
        f"fu:o:{rec_id}",
        f"fe:dry:{rec_id}",
        f"fa:tl:{rec_id}",
        "fu:s:x:dn",
        "fe:exy:1:999999",
        "wk:off",
    ):
        press = await other.press_data(message_id, data)
        answer = await other.wait_callback_answer(press)
        assert answer.text  # refused with a word, never silence
    rec = await bot.services.followup.repo.get(rec_id)
    assert rec is not None and rec.status == "not_started" and rec.due_date == date(2019, 3, 1)
    assert await bot.services.followup.repo.timeline(rec_id) == [
        u for u in await bot.services.followup.repo.timeline(rec_id) if u.kind == "owner"
    ]


async def test_invites_register_the_owner_and_refuse_expired_used_and_forged_links(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, None, date(2019, 4, 1))
    repo = bot.services.followup.repo
    token = await repo.create_invite(
        "delegate", "M. Tazi", ORGANIZER_ID, timedelta(days=3), [rec_id]
    )
    expired = await repo.create_invite("delegate", "X", ORGANIZER_ID, timedelta(hours=1), [])
    bot.clock.advance(timedelta(hours=2))

    late = emulator.user(first_name="Late", language_code="fr")
    await late.send(f"/start inv-{expired}")
    assert "a expiré" in await said_text(late)
    forger = emulator.user(first_name="Forger", language_code="fr")
    await forger.send("/start inv-AAAAAAAAAAAAAAAAAAAAAAAA")
    assert "n'est pas valide" in await said_text(forger)

    tazi = emulator.user(first_name="Tazi", language_code="fr")
    await enrol(bot, tazi, "fr", "central")
    await tazi.send(f"/start inv-{token}")
    welcome = await said_text(tazi)
    assert "Bienvenue" in welcome and "1 recommandation" in welcome
    rec = await repo.get(rec_id)
    assert rec is not None and rec.owner_id == tazi.id
    await tick(bot.services)
    assert "Vous êtes désormais en charge" in await said_text(tazi)
    second = emulator.user(first_name="Second", language_code="fr")
    await enrol(bot, second, "fr", "central")
    await second.send(f"/start inv-{token}")
    assert "déjà été utilisé" in await said_text(second)
    rec = await repo.get(rec_id)
    assert rec is not None and rec.owner_id == tazi.id


async def test_an_invite_lets_its_owner_register_after_registration_closed(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    rec_id = await _recommendation(bot, None, date(2019, 4, 1))
    token = await bot.services.followup.repo.create_invite(
        "delegate", "M. Tazi", ORGANIZER_ID, timedelta(days=14), [rec_id]
    )
    move_to(bot, local(date(2019, 2, 4), 10))  # after the event: registration closed on the 29th
    stranger = emulator.user(first_name="Stranger", language_code="en")
    await stranger.send("/start")
    assert "closed on 29 January 2019" in await said_text(stranger)

    tazi = emulator.user(first_name="Tazi", language_code="en")
    await tazi.send(f"/start inv-{token}")
    assert "Register first" in await said_text(tazi)
    await shown(tazi)  # the language question
    await tazi.press("English")
    await shown(tazi)
    await tazi.press("✅ I agree")
    await shown(tazi)
    await tazi.send("Youssef Tazi")
    await shown(tazi)
    await tazi.press("Inspector")
    await shown(tazi)
    await tazi.press("Souss-Massa")
    await shown(tazi)
    await tazi.send("Délégation de Tiznit")
    await shown(tazi)
    await tazi.press("Skip")
    await shown(tazi)  # the keyboard removed
    assert "Please check your details" in await shown_text(tazi)
    await tazi.press("✅ Confirm")
    assert "You are registered" in await shown_text(tazi)
    assert "1 recommendation is now in your charge" in await said_text(tazi)
    rec = await bot.services.followup.repo.get(rec_id)
    assert rec is not None and rec.owner_id == tazi.id


async def test_digest_tells_what_moved_and_the_fate_of_ones_proposal_and_can_be_switched_off(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    author = emulator.user(first_name="Zineb", language_code="ar")
    delegate = emulator.user(first_name="Hamza", language_code="fr")
    await enrol(bot, author, "ar", "oriental")
    await enrol(bot, delegate, "fr", "central")
    await _organizer(emulator, bot)
    proposal = await bot.services.proposals.create(author.id, "partnerships", "اقتراح", [])
    rec_id = await bot.services.recommendations.create(
        "partnerships", "Créer un guichet", "fr", None, None, ORGANIZER_ID, [proposal]
    )
    await bot.services.followup.assign(rec_id, delegate.id, ORGANIZER_ID)
    await bot.services.followup.repo.record(rec_id, delegate.id, "in_progress", 40)
    # The first digest: 14 days after the event (13 February), 11:00 local. Nothing but time
    # passing: the clock plans the period's rows itself when it begins.
    move_to(bot, local(date(2019, 2, 13), 11, 0))
    await tick(bot.services)
    digest = await said(author)
    assert "اقترحتم فأنجزنا" in digest.text
    assert "Créer un guichet" in digest.text and f"P-{proposal:04d}" in digest.text
    await author.press("🔕 عدم تلقي هذه المستجدات")
    assert "لن تتلقوا" in await said_text(author)
    assert await bot.services.followup.repo.digest_opted_out(author.id)
    await bot.services.followup.repo.record(rec_id, delegate.id, "done")
    move_to(bot, local(date(2019, 2, 27), 11, 0))
    await tick(bot.services)
    await bot.settled(author)


async def test_weekly_summary_reaches_organizers_and_one_button_switches_it_off(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    organizer = await _organizer(emulator, bot)
    delegate = emulator.user(first_name="Reda", language_code="fr")
    await enrol(bot, delegate, "fr", "central")
    await _recommendation(bot, delegate, date(2019, 5, 1))
    await tick(bot.services)
    # Monday 4 February 09:00 local: the first weekly summary after the event.
    move_to(bot, local(date(2019, 2, 4), 9, 0))
    await tick(bot.services)
    summary = await said(organizer)
    assert "Bilan hebdomadaire" in summary.text and "1 recommandations" not in summary.text
    await organizer.press("🔕 Ne plus recevoir le bilan hebdomadaire")
    assert "désactivé" in await said_text(organizer)
    move_to(bot, local(date(2019, 2, 11), 9, 0))
    await tick(bot.services)
    await bot.settled(organizer)


async def test_reassign_finds_a_delegate_by_a_national_phone_and_lists_namesakes_in_any_script(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    from storage.participants import ProfileFields

    bot = event_bot
    first = emulator.user(first_name="Ilyas", language_code="fr")
    await enrol(bot, first, "fr", "central")
    organizer = await _organizer(emulator, bot)
    # Youssef registered his name in Arabic letters, with his phone; another Youssef in Latin.
    youssef = emulator.user(first_name="Abou", username="abou_t", language_code="ar")
    youssef.open_chat()
    await bot.services.participants.save_profile(
        youssef.id,
        youssef.id,
        ProfileFields(
            "ar",
            bot.clock.now(),
            "يوسف التازي",
            "inspector",
            None,
            "oriental",
            "DP",
            "+212600005001",
        ),
    )
    namesake = emulator.user(first_name="Jo", language_code="fr")
    await enrol(bot, namesake, "fr", "central")
    await bot.services.db.execute(
        "UPDATE participants SET full_name = 'Youssef Alaoui' WHERE user_id = ?", (namesake.id,)
    )
    await _recommendation(bot, first, date(2019, 2, 4))
    await tick(bot.services)
    await said(first)
    move_to(bot, local(date(2019, 2, 5), 8, 30))
    await tick(bot.services)
    await said(first)  # the missed prompt
    escalation = await said(organizer)  # overdue
    assert "Le suivi a besoin de vous" in escalation.text
    [reassign] = [d for row in escalation.inline_buttons for label, d in row if "👤" in label]
    assert reassign is not None
    await organizer.press("👤 Réattribuer")
    await said(organizer)
    await organizer.send("0600005001")  # the national form of +212600005001
    assert "à يوسف التازي ?" in await said_text(organizer)
    await organizer.press("✖️ Non")
    await shown(organizer)
    await organizer.press_data(escalation.message_id, reassign)
    await said(organizer)
    await organizer.send("Youssef")
    listed = await said(organizer)
    assert "Plusieurs personnes correspondent" in listed.text
    assert {"يوسف التازي", "Youssef Alaoui"} <= set(listed.labels)


async def test_organizer_reassigns_reprompts_and_takes_the_chart_and_export_away(
    emulator: BotApiEmulator, event_bot: RunningBot, tmp_path: Path
) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    bot = event_bot
    first = emulator.user(first_name="Ilyas", language_code="fr")
    second = emulator.user(first_name="Meryem", language_code="ar")
    await enrol(bot, first, "fr", "central")
    await enrol(bot, second, "ar", "oriental")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="ar")
    await enrol(bot, organizer, "ar", "central")
    rec_id = await _recommendation(bot, first, date(2019, 2, 4), '=HYPERLINK("x") & <b>')
    await tick(bot.services)
    await said(first)
    move_to(bot, local(date(2019, 2, 5), 8, 30))
    await tick(bot.services)
    await said(first)  # the missed prompt
    await said(organizer)  # overdue
    # Reassign by typing part of the name.
    await organizer.press("👤 إعادة التكليف")
    assert "من سيتكلف" in await said_text(organizer)
    await organizer.send("Meryem")
    assert "Person Meryem" in await said_text(organizer)
    await organizer.press("✅ نعم")
    assert "أصبح" in await said_text(organizer)
    await tick(bot.services)
    assert "أصبحتم مكلفين" in await said_text(second)
    assert "Vous n'êtes plus en charge" in await said_text(first)
    # Ask the new owner again now.
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📈 التتبع")
    board = await said_text(organizer)
    assert "توصية واحدة" in board
    await organizer.press("⏰ المتأخرة")
    await said(organizer)
    await organizer.press_data(organizer.inbox[-1].message_id, f"fa:tl:{rec_id}")
    await said(organizer)
    await organizer.press("🔔 تذكير الآن")
    await said(organizer)
    await organizer.press("✅ نعم")
    assert "سيتم تذكير" in await said_text(organizer)
    await tick(bot.services)
    assert "تتبع توصية" in await said_text(second)
    # The chart and the export.
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📈 التتبع")
    await said(organizer)
    await organizer.press("📊 رسم بياني")
    chart = await said(organizer)
    assert chart.kind == "photo"
    png = emulator.files.get(chart.raw["photo"][-1]["file_id"])
    assert png is not None and png.data.startswith(b"\x89PNG")
    artifacts = Path(__file__).parents[2] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "follow-up-chart-ar.png").write_bytes(png.data)  # looked at by a person
    await organizer.press("⬇️ تصدير XLSX")
    document = await said(organizer)
    name = document.raw["document"]["file_name"]
    assert name == "التوصيات.xlsx"  # the file is named in the organizer's language
    stored = emulator.files.get(document.raw["document"]["file_id"])
    assert stored is not None
    content = stored.data
    (tmp_path / name).write_bytes(content)
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.sheet_view.rightToLeft
    assert [c.value for c in sheet[1]][:3] == ["المرجع", "الورشة", "التوصية"]
    assert sheet.cell(2, 3).value == '\'=HYPERLINK("x") & <b>'  # inert, and not escaped
    assert sheet.cell(2, 4).value == "Person Meryem"
    history = book.worksheets[1]
    assert history.max_row >= 3  # two owners recorded
    await organizer.press("⬇️ تصدير CSV")
    document = await said(organizer)
    stored = emulator.files.get(document.raw["document"]["file_id"])
    assert stored is not None and stored.data.startswith("\ufeff".encode())  # Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(stored.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["المرجع", "الورشة", "التوصية"]
    assert {row[3] for row in rows[1:]} == {"Person Meryem"}
    assert all(row[2] == '\'=HYPERLINK("x") & <b>' for row in rows[1:])


@pytest.mark.slow
async def test_tasks_are_paged_and_each_page_fits(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Badr", language_code="en")
    await enrol(bot, delegate, "en", "central")
    long_text = "و" * 1990  # the longest recommendation an import accepts is 2,000 characters
    for _ in range(20):
        await _recommendation(bot, delegate, date(2019, 6, 28), long_text)
    await tick(bot.services)  # the clock tells them of each one first
    for number in range(1, 21):
        assert f"R-{number}" in plain((await said(delegate)).text)
    await delegate.send("/tasks")
    first = await said(delegate)
    assert "20 recommendations in your charge" in first.text and "Page 1 of 3" in first.text
    await delegate.press("▶️")
    assert "Page 2 of 3" in (await said(delegate)).text
    await delegate.press("▶️")
    last = await said(delegate)
    assert "Page 3 of 3" in last.text and "▶️" not in last.labels


async def test_an_organizer_removes_an_owner_without_naming_another_asked_first(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    owner = emulator.user(first_name="Aicha", language_code="fr")
    await enrol(bot, owner, "fr", "central")
    organizer = await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, owner, date(2019, 3, 1))
    await tick(bot.services)
    assert "R-1" in await said_text(owner)  # told they own it

    async def open_card() -> None:
        await organizer.send("/admin")
        await said(organizer)
        await organizer.press("📌 Recommandations")
        await shown(organizer)
        await organizer.press("✏️ R-1")
        await shown(organizer)

    await open_card()
    await organizer.press("👤✖️ Retirer le responsable")
    asked = await shown_text(organizer)
    assert "Retirer Person Aicha comme responsable de R-1 ?" in asked
    await organizer.press("Non, la garder")  # changed their mind: back to the card, nothing done
    assert "R-1" in await shown_text(organizer)
    assert (await bot.services.recommendations.get(rec_id)).owner_id == owner.id

    await organizer.press("👤✖️ Retirer le responsable")
    await shown(organizer)
    await organizer.press("Oui, retirer le responsable")
    assert "R-1 n'a plus de responsable ; Person Aicha a été prévenu·e." in await shown_text(
        organizer
    )
    assert (await bot.services.recommendations.get(rec_id)).owner_id is None
    await tick(bot.services)
    assert "Vous n'êtes plus en charge de R-1" in await said_text(owner)
    await owner.send("/tasks")
    assert "aucune recommandation" in await said_text(owner)
    move_to(bot, local(date(2019, 2, 25), 10))  # weeks pass, the due date comes: no prompt
    await tick(bot.services)
    await bot.settled(owner)
    await open_card()  # the card no longer offers to remove an owner it does not have
    assert not any("Retirer le responsable" in label for label in organizer.inbox[-1].labels)


async def test_an_escalation_keeps_its_actions_and_extend_counts_from_the_due_date(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Omar", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    organizer = await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, delegate, date(2019, 2, 4))  # due Monday 4 February
    await tick(bot.services)
    await said(delegate)
    move_to(bot, local(date(2019, 2, 5), 8, 30))  # one day late
    await tick(bot.services)
    escalation = await said(organizer)
    assert "en retard" in escalation.text
    actions = escalation.labels

    # Overdue: the example and +7 count from the due date shown, not from today.
    await organizer.press("📅 Prolonger l'échéance")
    ask = await said(organizer)
    assert "lundi 4 février 2019" in plain(ask.text) and "06/03/2019" in plain(ask.text)
    assert ask.labels[:3] == ["+7 jours", "+14 jours", "+30 jours"]
    await organizer.press("+7 jours")
    assert "lundi 11 février 2019" in await said_text(organizer)
    await organizer.press("✅ Oui")
    assert "lundi 11 février 2019" in await said_text(organizer)
    # The escalation still offers its actions: extend again from it, without /admin.
    kept = emulator.message(organizer.id, escalation.message_id)
    assert kept is not None and kept.labels == actions
    await organizer.press_button(escalation.message_id, label="📅 Prolonger l'échéance")
    again = plain((await said(organizer)).text)
    assert "lundi 11 février 2019" in again and "13/03/2019" in again  # 11 Feb + 30 days
    await organizer.press("+14 jours")
    assert "lundi 25 février 2019" in await said_text(organizer)
    await organizer.press("✅ Oui")
    await said(organizer)
    rec = await bot.services.followup.repo.get(rec_id)
    assert rec is not None and rec.due_date == date(2019, 2, 25)

    # Dropped from the escalation: its actions are gone from it once pressed again.
    await organizer.press_button(escalation.message_id, label="🗑 Abandonner")
    await said(organizer)
    await organizer.press("✅ Oui")
    assert "abandonnée" in await said_text(organizer)
    press = await organizer.press_button(escalation.message_id, label="📅 Prolonger l'échéance")
    assert "plus actif" in (await organizer.wait_callback_answer(press)).text
    await organizer.next_message()  # the buttons removed
    gone = emulator.message(organizer.id, escalation.message_id)
    assert gone is not None and gone.labels == []


async def test_every_arabic_follow_up_button_reads_right_to_left(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    from bot.i18n import first_strong

    bot = event_bot
    delegate = emulator.user(first_name="Samira", language_code="ar")
    await enrol(bot, delegate, "ar", "oriental")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Nadia", language_code="ar")
    await enrol(bot, organizer, "ar", "central")
    await _recommendation(
        bot, delegate, date(2019, 6, 28), "تعيين مرجع رقمي لكل مركز من مراكز الجهة"
    )
    await _recommendation(bot, delegate, date(2019, 6, 28), "Signer des conventions")
    await tick(bot.services)
    await said(delegate)
    await said(delegate)
    screens = []
    await delegate.send("/tasks")
    screens.append(await said(delegate))
    await delegate.press(screens[-1].labels[0])  # open the first one
    screens.append(await said(delegate))
    await delegate.press(next(x for x in screens[-1].labels if "في طور الإنجاز" in x))
    screens.append(await said(delegate))
    move_to(bot, local(date(2019, 2, 6), 10, 0))
    await tick(bot.services)
    screens.append(await said(delegate))  # the prompt: one button per recommendation
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📈 التتبع")
    screens.append(await said(organizer))
    await organizer.press(screens[-1].labels[2])  # all recommendations
    screens.append(await said(organizer))
    labels = [label for screen in screens for label in screen.labels]
    assert any("R-1" in label for label in labels) and any("R-2" in label for label in labels)
    wrong = [label for label in labels if first_strong(label, skip_isolates=False) == "L"]
    assert wrong == []


async def test_an_arabic_delegate_finds_the_status_buttons_where_the_prompt_put_them(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    """The card /tasks opens shows Not started · In progress / Done · Blocked in the same
    places as the follow-up prompt: read right to left in Arabic, left to right in French."""
    bot = event_bot
    arabic = emulator.user(first_name="Youssef", language_code="ar")
    french = emulator.user(first_name="Karim", language_code="fr")
    await enrol(bot, arabic, "ar", "oriental")
    await enrol(bot, french, "fr", "oriental")
    owned = {d.id: await _recommendation(bot, d, date(2019, 6, 28)) for d in (arabic, french)}
    await tick(bot.services)  # each is told they own one
    move_to(bot, local(date(2019, 2, 6), 10, 0))
    await tick(bot.services)  # the first follow-up prompt
    layouts = {}
    for delegate in (arabic, french):
        rec_id = owned[delegate.id]
        await said(delegate)
        prompt = await said(delegate)
        await delegate.send("/tasks")
        await said(delegate)
        await delegate.press_data(delegate.inbox[-1].message_id, f"fu:o:{rec_id}")
        card = await said(delegate)
        statuses = [
            [data.rsplit(":", 1)[-1] for _, data in row if data and data.startswith("fu:s:")]
            for row in card.inline_buttons
        ]
        prompted = [[data.rsplit(":", 1)[-1] for _, data in row] for row in prompt.inline_buttons]
        assert [row for row in statuses if row] == prompted
        layouts[delegate.id] = prompted
    assert layouts[arabic.id] == [row[::-1] for row in layouts[french.id]]


async def test_a_blocked_recommendation_reaches_the_organizers_at_once_with_its_reason(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Karim", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    organizer = await _organizer(emulator, bot)
    rec_id = await _recommendation(bot, delegate, date(2019, 6, 28))
    await tick(bot.services)
    await said(delegate)
    await delegate.send("/tasks")
    await said(delegate)
    await delegate.press_data(delegate.inbox[-1].message_id, f"fu:o:{rec_id}")
    await said(delegate)
    await delegate.press("🔴 bloquée")
    await said(delegate)
    await delegate.send("Le budget 2019 n'est pas encore voté")
    await said(delegate)
    await delegate.press("Passer")  # no comment beyond the reason
    assert "Enregistré" in await said_text(delegate)
    # No waiting for a cadence: the clock's next pass tells every organizer, once.
    assert await tick(bot.services) == 1
    told = await said(organizer)
    text = plain(told.text)
    assert "Le suivi a besoin de vous" in text and "signale bloquée" in text
    assert f"R-{rec_id}" in text and "Le budget 2019 n'est pas encore voté" in text
    assert "Person Karim" in text
    assert told.labels == [
        "🔔 Relancer maintenant",
        "👤 Réattribuer",
        "📅 Prolonger l'échéance",
        "🗑 Abandonner",
    ]
    assert await tick(bot.services) == 0
    # Unblocked before the clock's pass: nobody is told of a block that is over.
    await bot.services.followup.record(rec_id, delegate.id, "blocked", None, "x", [], None)
    await bot.services.followup.record(rec_id, delegate.id, "in_progress", 20, None, [], None)
    await tick(bot.services)  # its row is composed from the database as it is now: dropped
    assert not organizer.pending_events()


async def test_an_organizer_who_never_registered_is_named_in_timelines(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Youssef", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    # Nadia holds the role from ORGANIZER_IDS and never registered.
    organizer = emulator.user(
        user_id=ORGANIZER_ID, first_name="Nadia", last_name="Benali", language_code="fr"
    )
    await organizer.send("/admin")
    await said(organizer)
    rec_id = await _recommendation(bot, delegate, date(2019, 6, 28))
    await tick(bot.services)
    assert "Nadia Benali" in await said_text(delegate)  # who gave it to them
    await organizer.press_data(organizer.inbox[-1].message_id, f"fa:tl:{rec_id}")
    timeline = await said_text(organizer)
    assert "Nadia Benali" in timeline and str(ORGANIZER_ID) not in timeline


async def test_a_follow_up_button_pressed_after_its_step_is_one_toast_and_nothing_in_the_chat(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    delegate = emulator.user(first_name="Karim", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    await _organizer(emulator, bot)
    await _recommendation(bot, delegate, date(2019, 6, 28))
    assert await tick(bot.services) == 1
    await said(delegate)  # "Vous êtes désormais en charge"
    move_to(bot, local(date(2019, 2, 6), 10, 0))
    assert await tick(bot.services) == 1
    await said(delegate)  # the prompt
    await delegate.press("🟡 en cours")
    percentages = await said(delegate)
    await delegate.press("50%")
    assert "Ajoutez un commentaire" in await said_text(delegate)
    # The percentage asked before is pressed again: the step is past.
    [data] = [d for row in percentages.inline_buttons for label, d in row if label == "75%"]
    assert data is not None
    again = await delegate.press_data(percentages.message_id, data)
    answer = await delegate.wait_callback_answer(again)
    assert answer.text == "Ce bouton n'est plus actif."
    await delegate.expect_silence(0.5)  # one toast, nothing in the chat
