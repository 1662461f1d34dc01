"""Participants' data: /privacy shows what is stored, who sees it and how long; the JSON file;
Delete with confirmation (seats freed to the waiting list, who are told; counts kept; merged
proposals stay unattributed); the retention purge at its boundary on the injected clock; the
daily summary to organizers, once a day across restarts, with its off switch."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import unmarked
from bot.outbound.daily import daily_tick
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from storage.event import Seating
from storage.participants import ProfileFields
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, said_text
from tests.organizers.seed import SATURDAY, seed

# The study day ends on 30 January 2019 at 17:00 in Casablanca (16:00 UTC).
EVENT_END = datetime(2019, 1, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot with the seeded event, retention 30 days."""
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock, retention_days=30).start()
    await seed(bot.services, clock)
    try:
        yield bot
    finally:
        await bot.stop()


async def _dump(bot: RunningBot) -> str:
    import sqlite3

    conn = sqlite3.connect(bot.settings.database_path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


async def test_a_participant_sees_downloads_and_deletes_their_data(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    karim = emulator.user(user_id=102, first_name="Karim", language_code="fr")
    waiting = emulator.user(user_id=103, first_name="Aya", language_code="en")
    karim.open_chat()
    waiting.open_chat()
    await karim.send("/privacy")
    shown = await said_text(karim)
    assert "Nom : Karim Benali" in shown and "Région : L'Oriental" in shown
    assert "Qui peut les voir" in shown and "jusqu'au 1 mars 2019" in shown
    await karim.press("📄 Mes données (fichier JSON)")
    document = await said(karim)
    assert document.document is not None and document.document["file_name"] == "mes-donnees.json"
    stored = emulator.files.get(document.document["file_id"])
    assert stored is not None
    data = json.loads(stored.data)
    assert data["profile"]["full_name"] == "Karim Benali"
    assert data["workshops"][0]["workshop_id"] == "management"
    assert data["proposals"][0]["files"] == [{"kind": "document", "file_name": "guide.pdf"}]
    # Delete: asked first; "no" keeps everything.
    await karim.press("🗑 Supprimer mes données")
    assert "C'est définitif" in await said_text(karim)
    await karim.press("Non, garder mes données")
    assert await said_text(karim) == "Rien n'a été supprimé."
    assert await seeded.services.participants.get(102) is not None
    await karim.send("/privacy")
    await said(karim)
    # Karim also owns a recommendation (through an invite bearing his name) and reported on it.
    repo = seeded.services.followup.repo
    token = await repo.create_invite("delegate", "Karim Benali", ORGANIZER_ID, timedelta(days=7))
    await repo.redeem(token, 102)
    await repo.assign(2, 102, ORGANIZER_ID)
    await repo.record(2, 102, "in_progress", 50, "Circulaire envoyée aux régions")
    await karim.press("🗑 Supprimer mes données")
    await said(karim)
    await karim.press("Oui, tout supprimer")
    assert "Vos données ont été supprimées" in await said_text(karim)
    # The first waiting person gets the seat, and is told.
    assert "A seat freed up" in await said_text(waiting, timeout=10)
    services = seeded.services
    assert await services.signups.counts() == {"management": (2, 0), "partnerships": (1, 0)}
    assert await services.participants.get(102) is None
    dump = await _dump(seeded)
    assert "Circulaire envoyée" not in dump  # his follow-up comment
    recommendation = await services.db.fetchone("SELECT owner_id FROM recommendations WHERE id = 2")
    assert recommendation is not None and recommendation["owner_id"] is None  # kept, no owner
    assert "Karim Benali" not in dump, [
        line[:300] for line in dump.split("\n") if "Karim Benali" in line
    ]
    # Counts are kept, anonymously; the merged proposal stays, unattributed.
    figures = await services.organizers.desk.figures()
    assert (figures.registered, figures.erased) == (6, 1)
    assert figures.by_function["inspector"] == 3 and figures.by_region["oriental"] == 3
    from storage.campaigns import Audience

    assert await services.campaigns.count_audience(Audience("everyone")) == 5  # never messaged
    merged = await services.db.fetchone("SELECT author_id, text FROM proposals WHERE id = 2")
    assert merged["author_id"] < 0 and merged["text"] == "Un guide commun"
    await karim.send("/privacy")
    assert "Rien n'est enregistré à votre sujet" in await said_text(karim)


async def test_forged_privacy_buttons_change_nothing(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    karim = emulator.user(user_id=102, first_name="Karim", language_code="fr")
    await karim.send("/privacy")
    view = await said(karim)
    answer = await karim.wait_callback_answer(await karim.press_data(view.message_id, "pv:erase"))
    assert answer.text == "Ce bouton n'est pas valide."
    assert await seeded.services.participants.get(102) is not None


async def test_purge_waits_for_the_retention_boundary_and_tells_organizers(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    clock: FakeClock = seeded.clock  # type: ignore[assignment]
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    organizer.open_chat()
    due = EVENT_END + timedelta(days=30)
    clock._now = due - timedelta(minutes=1)
    await daily_tick(seeded.services)
    assert await seeded.services.participants.get(101) is not None
    await tick(seeded.services)  # the running clock has nothing more to do now
    await seeded.settled(organizer)
    clock._now = due
    await daily_tick(seeded.services)
    report = await said_text(organizer)
    # An organizer who never registered is told in the default language (Arabic).
    assert "المشاركون الذين أخفيت هويتهم: 6" in report
    assert "نصوص المقترحات الممحوة: 3" in report and "دون أسماء: 1" in report
    dump = await _dump(seeded)
    assert all(name not in dump for name in ("سعاد الإدريسي", "Nadia Amrani", "+212612345678"))
    figures = await seeded.services.organizers.desk.figures()
    assert (figures.registered, figures.erased, figures.checkins) == (6, 6, 2)
    await daily_tick(seeded.services)
    await seeded.restart()
    await daily_tick(seeded.services)
    await tick(seeded.services)  # the running clock has nothing more to do now
    await seeded.settled(organizer)  # told once


async def _clock_at(bot: RunningBot, moment: datetime) -> None:
    """Move the bot's clock to `moment` and wait for its pass (nothing is called by hand:
    the clock itself runs the daily jobs at their time)."""
    clock: FakeClock = bot.clock  # type: ignore[assignment]
    clock.advance(moment - clock.now())
    await tick(bot.services)


async def test_daily_summary_comes_by_the_clock_once_a_day_across_restarts_and_switched_off(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    clock: FakeClock = seeded.clock  # type: ignore[assignment]
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    organizer.open_chat()
    await seeded.services.participants.save_profile(
        ORGANIZER_ID,
        ORGANIZER_ID,
        ProfileFields("fr", clock.now(), "Direction", "inspector", None, "central", "DG", None),
    )
    # Monday 28 January, registration open; the summary is due at 19:00 Casablanca (18:00 UTC).
    await _clock_at(seeded, datetime(2019, 1, 28, 17, 59, tzinfo=UTC))
    await organizer.expect_silence(0.3)
    await _clock_at(seeded, datetime(2019, 1, 28, 18, 0, tzinfo=UTC))
    summary = await said(organizer)
    assert "Résumé du jour" in summary.text and "7 participants inscrits" in summary.text
    assert "Inscrits aujourd'hui : 2" in summary.text  # the seed's Monday, and the organizer
    await _clock_at(seeded, datetime(2019, 1, 28, 18, 30, tzinfo=UTC))
    await seeded.restart()
    await tick(seeded.services)
    await organizer.expect_silence(0.5)
    await organizer.press("🔕 Arrêter le résumé quotidien")
    assert await said_text(organizer) == "🔕 Résumé quotidien désactivé."
    await _clock_at(seeded, datetime(2019, 1, 29, 18, 30, tzinfo=UTC))
    await organizer.expect_silence(0.5)


async def test_the_clock_sleeps_until_the_next_summary_and_the_sandbox_can_jump_there(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    from bot.outbound.schedule import next_for_people

    clock: FakeClock = seeded.clock  # type: ignore[assignment]
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    organizer.open_chat()
    await _clock_at(seeded, datetime(2019, 1, 28, 12, 0, tzinfo=UTC))
    coming = await next_for_people(seeded.services)
    assert coming is not None and coming.kind == "daily_summary"
    assert coming.at == datetime(2019, 1, 28, 18, 0, tzinfo=UTC)
    # Time reaches 19:00 local without any wake-up call (no move notice, no tick): the sleeping
    # clock finds the moment on its own.
    clock._now = coming.at
    # (an organizer who never registered reads the default language, Arabic)
    assert "الملخص اليومي" in (await said(organizer)).text


async def test_someone_registering_can_see_and_delete_their_answers_so_far(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    from tests.handlers.test_registration import walk_to_summary

    newcomer = emulator.user(first_name="Sara", language_code="en")
    await walk_to_summary(newcomer, "en", name="Sara Kettani")  # every answer, not confirmed
    assert await seeded.services.drafts.get(newcomer.id, "registration") is not None
    await newcomer.send("/privacy")
    assert "only the answers of your registration in progress" in await said_text(newcomer)
    await newcomer.press("🗑 Delete my data")
    await said(newcomer)
    await newcomer.press("Yes, delete everything")
    assert "Your data has been deleted" in await said_text(newcomer)
    assert await seeded.services.drafts.get(newcomer.id, "registration") is None


async def test_erasing_takes_the_roles_sessions_and_links_and_the_audit_log_forgets_the_id(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    services = seeded.services
    omar = emulator.user(user_id=106, first_name="Omar", language_code="ar")
    omar.open_chat()
    # Omar (registered) helps organize: a role from the terminal, a recommendation of his, a
    # dashboard session and a sign-in link not used yet.
    await services.roles.grant(106, "organizer", ORGANIZER_ID, "terminal")
    await services.followup.repo.assign(2, 106, ORGANIZER_ID)
    assert await services.roles.roles_of(106) == {"organizer", "delegate"}
    web = services.organizers.web
    session = await web.redeem(await web.new_link(106, "ar"))
    assert session is not None
    await web.new_link(106, "ar")
    await services.audit.record(106, "export", "xlsx", {"via": "web"})
    await omar.send("/privacy")
    await said(omar)
    await omar.press("🗑 حذف بياناتي")
    await said(omar)
    await omar.press("نعم، حذف كل شيء")
    assert "تم حذف بياناتك" in await said_text(omar)

    assert await services.roles.roles_of(106) == frozenset()
    assert await web.session(session) is None
    left = await services.db.fetchone(
        "SELECT (SELECT COUNT(*) FROM web_sessions WHERE user_id = 106) AS sessions, "
        "(SELECT COUNT(*) FROM web_links WHERE user_id = 106) AS links, "
        "(SELECT COUNT(*) FROM audit_log WHERE subject = 'user:106' OR actor_id = 106 "
        " OR json_extract(details, '$.to') = 106) AS audit"
    )
    assert dict(left) == {"sessions": 0, "links": 0, "audit": 0}
    # What was done stays on record, about the anonymous row.
    actions = [(e["action"], e["subject"]) for e in await services.audit.entries()]
    grant = next(subject for action, subject in actions if action == "role.grant")
    assert grant.startswith("user:-")
    assert await services.roles.holders("organizer") == [ORGANIZER_ID]


async def test_arabic_privacy_lists_workshops_with_the_arabic_comma_each_in_its_isolate(
    emulator: BotApiEmulator, seeded: RunningBot
) -> None:
    """Someone with two places (a seat kept while waiting for another) reads them as an Arabic
    list: «، » between them, each workshop and its state a phrase of the sentence."""
    await seeded.services.signups.join(101, "partnerships", Seating.one("partnerships", 30))
    souad = emulator.user(user_id=101, first_name="Souad", language_code="ar")
    await souad.send("/privacy")
    line = next(x for x in (await said_text(souad)).splitlines() if x.startswith("الورشات"))
    assert ", " not in line, line
    assert line.count("، ") == 1, line
    assert "(مؤكد)" in unmarked(line), line
