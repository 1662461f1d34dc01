"""The event end to end: agenda, workshop seats and waiting lists, reminders on a controlled
clock (across a restart, dropped when late), change notices, and check-in."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.event.file import load_event_file, parse_event_text
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from storage.event import Seating
from tests.conftest import ORGANIZER_ID
from tests.event_example import room_of
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_registration import walk_to_summary
from tests.harness import RunningBot, said, said_text, shown, shown_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
# Monday before the study day (Wednesday 30 January 2019), 10:00 in Casablanca (UTC+1).
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
async def event_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The bot on Monday morning, with the study day loaded."""
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    await bot.services.event.load(load_event_file(EXAMPLE), None)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_agenda_comes_after_registration_and_on_request(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    user = emulator.user(first_name="Ahmed", language_code="fr")
    await walk_to_summary(user, "fr", name="Ahmed Alami", function="Inspecteur / Inspectrice")
    await user.press("✅ Confirmer")
    assert "Vous êtes inscrit·e" in await shown_text(user)
    agenda = await said_text(user)
    assert "09:00–09:30" in agenda and "Amphithéâtre" in agenda
    assert "mercredi 30 janvier 2019" in agenda
    assert "/workshops" in agenda  # no workshop yet: the four are listed with their rooms
    assert (
        "    • Encadrer les partenariats dans le domaine de la formation qualifiante — "
        "Salle 2" in agenda
    )
    await user.send("/agenda")
    assert await said_text(user) == agenda


async def test_sign_up_switch_and_leave(emulator: BotApiEmulator, event_bot: RunningBot) -> None:
    user = emulator.user(first_name="Leila", language_code="en")
    await enrol(event_bot, user, "en", "central")
    await user.send("/workshops")
    listing = await said(user)
    assert "30 seats left" in listing.text and "25 seats left" in listing.text
    await user.press("➕ Sign up for workshop 1")
    assert "You have a seat in" in await said_text(user)
    await user.send("/workshops")
    listing = await said(user)
    assert "29 seats left" in listing.text and "✖️ Leave workshop 1" in listing.labels
    await user.press("➕ Sign up for workshop 2")
    offer = await said(user)
    assert "at the same time" in offer.text
    await user.press("🔁 Yes, switch to workshop 2")
    assert "Framing partnerships" in await shown_text(user)
    seats = await event_bot.services.signups.seats_of(user.id)
    assert [(s.workshop_id, s.state) for s in seats] == [("partnerships", "confirmed")]
    await user.send("/agenda")
    assert "Your workshop: Framing partnerships" in await said_text(user)
    await user.send("/workshops")
    await said(user)
    await user.press("✖️ Leave workshop 2")
    assert "Leave “Framing partnerships" in await said_text(user)
    await user.press("✖️ Yes, leave")
    assert "You left" in await said_text(user)
    assert await event_bot.services.signups.seats_of(user.id) == []


async def test_a_switch_gives_the_freed_seat_to_the_first_person_waiting(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    holder = emulator.user(first_name="Holder", language_code="en")
    first, second = (emulator.user(first_name=n, language_code="en") for n in ("First", "Second"))
    await enrol(bot, holder, "en", "central")
    for person in (first, second):
        await enrol(bot, person, "en", "central")
    slot = ["management", "partnerships"]
    await bot.services.signups.join(
        holder.id, "management", Seating.one("management", 1, slot)
    )  # capacity of the test
    others = [emulator.user(first_name=f"S{i}", language_code="en") for i in range(29)]
    for person in others:
        await enrol(bot, person, "en", "central")
        await bot.services.signups.join(
            person.id, "management", Seating.one("management", 30, slot)
        )
    for person in (first, second):
        await bot.services.signups.join(
            person.id, "management", Seating.one("management", 30, slot)
        )
    assert await bot.services.signups.counts() == {"management": (30, 2)}

    await holder.send("/workshops")
    await said(holder)
    await holder.press("➕ Sign up for workshop 2")
    await said(holder)
    await holder.press("🔁 Yes, switch to workshop 2")
    assert "Framing partnerships" in await said_text(holder)
    told = await said_text(first, timeout=10)
    assert "A seat freed up" in told and "Developing the management" in told
    assert await bot.services.signups.counts() == {
        "management": (30, 1),
        "partnerships": (1, 0),
    }
    seat = (await bot.services.signups.seats_of(second.id))[0]
    assert (seat.state, seat.position) == ("waiting", 1)
    await second.expect_silence(0.2)


@pytest.mark.slow
async def test_200_people_race_for_30_seats_through_the_bot(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    people = [emulator.user(first_name=f"P{i}", language_code="en") for i in range(200)]
    for person in people:
        await enrol(event_bot, person, "en", "central")
    await asyncio.gather(*(person.send("/workshops") for person in people))
    await asyncio.gather(*(said(person, timeout=20) for person in people))
    presses = await asyncio.gather(
        *(person.press("➕ Sign up for workshop 1") for person in people)
    )
    answers = await asyncio.gather(*(said_text(person, timeout=20) for person in people))
    assert sum("You have a seat" in a for a in answers) == 30
    assert sum("waiting list, position" in a for a in answers) == 170
    assert await event_bot.services.signups.counts() == {"management": (30, 170)}
    # The waiting list keeps the order in which the presses reached the bot.
    order = sorted(range(200), key=lambda i: presses[i]["update_id"])
    waiting = await event_bot.services.signups.members("management", "waiting")
    by_id = {p.id: i for i, p in enumerate(people)}
    assert [by_id[uid] for uid in waiting] == [
        i for i in order if by_id[people[i].id] in {by_id[u] for u in waiting}
    ]
    # One confirmed person leaves: the first waiting is promoted and told at once.
    leaver = next(p for p, a in zip(people, answers, strict=True) if "You have a seat" in a)
    first_waiting = next(p for p in people if p.id == waiting[0])
    await leaver.send("/workshops")
    await said(leaver)
    await leaver.press("✖️ Leave workshop 1")
    await said(leaver)
    await leaver.press("✖️ Yes, leave")
    await said(leaver)
    assert "A seat freed up" in await said_text(first_waiting, timeout=10)
    assert await event_bot.services.signups.counts() == {"management": (30, 169)}


async def test_reminders_fire_on_time_survive_a_restart_and_are_dropped_when_late(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    user = emulator.user(first_name="Rim", language_code="fr")
    await enrol(bot, user, "fr", "central")
    await bot.services.signups.join(
        user.id, "management", Seating.one("management", 30, ["management"])
    )
    await bot.services.event.plan_reminders(user.id)
    planned = [key for key, _, _ in await bot.services.prompts.of_user(user.id)]
    assert planned[:2] == [f"day_before:{user.id}", f"morning:{user.id}"]
    assert f"session:management:{user.id}" in planned

    assert await tick(bot.services) == 0  # Monday: nothing due
    bot.clock.advance(timedelta(days=1, hours=8, minutes=1))  # Tuesday 18:01 local
    assert await tick(bot.services) == 1
    assert "c'est demain" in await said_text(user)
    await bot.restart()  # rows live in the database: nothing lost, nothing doubled
    assert await tick(bot.services) == 0
    bot.clock.advance(timedelta(hours=13, minutes=29))  # Wednesday 07:30 local
    assert await tick(bot.services) == 1
    assert "Amphithéâtre" in await said_text(user)  # the morning agenda
    bot.clock.advance(timedelta(hours=1, minutes=16))  # 08:46: the opening is at 09:00
    assert await tick(bot.services) == 1
    assert "Dans 14 min" in await said_text(user)
    bot.clock.advance(timedelta(hours=3))  # 11:46, but the bot was down until 12:00
    bot.clock.advance(timedelta(minutes=14))
    await tick(bot.services)
    states = {key: state for key, state, _ in await bot.services.prompts.of_user(user.id)}
    assert states[f"session:debate:{user.id}"] == "dropped"  # started 11:20: too late
    assert states[f"session:management:{user.id}"] == "dropped"  # started 11:50
    await bot.settled(user)


async def test_a_load_plans_everyones_reminders_as_each_persons_own_plan_would(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    seated, waiting, free = (
        emulator.user(first_name=n, language_code="fr") for n in ("Seated", "Waiting", "Free")
    )
    for person in (seated, waiting, free):
        await enrol(bot, person, "fr", "central")
    await bot.services.signups.join(seated.id, "management", Seating.one("management", 1, []))
    await bot.services.signups.join(waiting.id, "management", Seating.one("management", 1, []))
    later = EXAMPLE.read_text(encoding="utf-8").replace(  # the opening moves by 10 minutes
        'start: "2019-01-30 09:00"\n    end: "2019-01-30 09:30"',
        'start: "2019-01-30 09:10"\n    end: "2019-01-30 09:30"',
    )
    await bot.services.event.load(parse_event_text(later), None)

    async def plan_of(person: SimUser) -> list[tuple[str, object]]:
        # What is planned and when; not whether the clock has sent a due notice meanwhile.
        return [(key, due) for key, _, due in await bot.services.prompts.of_user(person.id)]

    for person in (seated, waiting, free):
        planned = await plan_of(person)
        await bot.services.event.plan_reminders(person.id)  # one person's own plan
        assert await plan_of(person) == planned
    # The file's capacity (30) gave the waiting person a seat: their workshop is reminded too.
    for person in (seated, waiting):
        keys = [key for key, _, _ in await bot.services.prompts.of_user(person.id)]
        assert f"session:management:{person.id}" in keys
    assert not any("management" in key for key, _, _ in await bot.services.prompts.of_user(free.id))


async def test_changes_are_told_to_those_concerned_in_their_language(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    member = emulator.user(first_name="Souad", language_code="ar")
    other = emulator.user(first_name="Marc", language_code="fr")
    await enrol(bot, member, "ar", "central")
    await enrol(bot, other, "fr", "central")
    await bot.services.signups.join(member.id, "partnerships", Seating.one("partnerships", 30, []))
    changed = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace(room_of(2), '    room: "Salle D"')
        .replace(
            'start: "2019-01-30 16:30"\n    end: "2019-01-30 17:00"',
            'start: "2019-01-30 16:45"\n    end: "2019-01-30 17:00"',
        )
        .replace(
            '- id: reports\n    start: "2019-01-30 14:30"\n    end: "2019-01-30 16:30"',
            '- id: reports\n    start: "2019-01-30 14:30"\n    end: "2019-01-30 16:45"',
        )
    )
    report = await bot.services.event.load(parse_event_text(changed), ORGANIZER_ID)
    assert report.version is not None and report.notices == 2
    await tick(bot.services)
    told_member = await said_text(member)
    assert "القاعة 2" in told_member and "Salle D" in told_member and "تنتقل" in told_member
    told_other = await said_text(other)
    assert "16:45–17:00 au lieu de 16:30–17:00" in told_other
    assert "Salle D" not in told_other  # not in that workshop


async def test_a_move_to_another_day_says_the_dates_not_the_same_time_twice(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    member = emulator.user(first_name="Nora", language_code="fr")
    await enrol(bot, member, "fr", "central")
    moved = EXAMPLE.read_text(encoding="utf-8").replace("2019-01-30", "2019-01-31")
    report = await bot.services.event.load(parse_event_text(moved), ORGANIZER_ID)
    assert report.version is not None
    await tick(bot.services)
    told = await said_text(member)
    assert (
        "jeudi 31 janvier 2019, 08:30–09:00 au lieu de mercredi 30 janvier 2019, 08:30–09:00"
        in told
    ), told
    assert "08:30–09:00 au lieu de 08:30–09:00" not in told


async def test_removing_a_workshop_with_sign_ups_needs_force(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    member = emulator.user(first_name="Yasmine", language_code="en")
    await enrol(bot, member, "en", "central")
    await bot.services.signups.join(
        member.id, "repositioning", Seating.one("repositioning", 35, [])
    )
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("  - id: repositioning")
    end = text.index("# FR : fonctions")
    without = text[:start] + text[end:]
    refused = await bot.services.event.load(parse_event_text(without), None)
    assert refused.version is None and refused.blocked == [("repositioning", 1)]
    assert (await bot.services.event.current()).workshop("repositioning") is not None
    forced = await bot.services.event.load(parse_event_text(without), None, force=True)
    assert forced.version is not None
    await tick(bot.services)
    assert "is cancelled; your place is released" in await said_text(member)
    assert await bot.services.signups.seats_of(member.id) == []


async def test_checkin_counts_once_and_newcomers_register_first(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    regular = emulator.user(first_name="Hicham", language_code="fr")
    await enrol(bot, regular, "fr", "central")
    await bot.services.signups.join(
        regular.id, "training-offer", Seating.one("training-offer", 25, [])
    )
    await regular.send("/start checkin-venue")  # Monday: not yet
    assert "ouvre le jour de l'événement, mercredi 30 janvier 2019" in await said_text(regular)
    bot.clock.advance(timedelta(days=2))  # Wednesday 10:00, the event's day
    await regular.send("/start checkin-venue")
    first = await said_text(regular)
    assert "présence est enregistrée" in first and "Salle 3" in first
    await regular.send("/start checkin-venue")
    assert "déjà enregistrée" in await said_text(regular)
    await regular.send("/start checkin-wrong")
    assert "Votre profil" in await said_text(regular)  # not the code: just the profile
    assert await bot.services.checkins.count() == 1

    # Registration closed yesterday, but someone scanning the poster at the venue is there.
    newcomer: SimUser = emulator.user(first_name="Nabil", language_code="en")
    await newcomer.send("/start checkin-venue")
    await said(newcomer)
    await newcomer.press("English")
    await shown(newcomer)
    await newcomer.press("✅ I agree")
    await shown(newcomer)
    await newcomer.send("Nabil Chaoui")
    for label in ("Inspector", "Souss-Massa"):
        await shown(newcomer)
        await newcomer.press(label)
    await shown(newcomer)
    await newcomer.send("Délégation d'Agadir")
    await said(newcomer)
    await newcomer.press("Skip")
    await shown(newcomer)
    await said(newcomer)
    await newcomer.press("✅ Confirm")
    assert "You are registered" in await shown_text(newcomer)
    assert "presence is recorded" in await said_text(newcomer)
    assert await bot.services.checkins.count() == 2

    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    figures = await said_text(organizer)
    assert "Check-ins: 2" in figures
    assert "1/25 seats, 0 waiting" in figures


async def test_an_organizer_sends_the_event_file_to_the_bot(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    try:
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
        await organizer.send_document(
            "broken.yaml", "application/x-yaml", b"event:\n  slug: Bad Slug\n"
        )
        invalid = await said_text(organizer)
        assert "a 7 problèmes ; rien n'a été modifié" in invalid
        assert "event.slug (ligne 2) : utilisez seulement des minuscules" in invalid
        await organizer.send_document("study-day.yaml", "application/x-yaml", EXAMPLE.read_bytes())
        preview = await said(organizer)
        assert "11 éléments au programme, 4 ateliers" in preview.text
        await organizer.press("✅ Charger")
        assert "Événement chargé (version 1)" in await shown_text(organizer)
        assert (await bot.services.event.current()) is not None

        stranger = emulator.user(first_name="X", language_code="fr")
        await stranger.send_document("study-day.yaml", "application/x-yaml", b"event: {}")
        assert "/start" in await said_text(stranger)  # not an organizer: an ordinary answer
        assert await bot.services.event.store.latest_version() == 1
    finally:
        await bot.stop()


async def test_event_file_setting_is_loaded_at_start_once(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY), event_file=EXAMPLE).start()
    try:
        assert await bot.services.event.store.latest_version() == 1
        await bot.restart()
        assert await bot.services.event.store.latest_version() == 1  # unchanged: not again
    finally:
        await bot.stop()


def _room_changed(text: str) -> str:
    return text.replace(room_of(2), '    room: "Salle D"')


async def test_a_restart_keeps_the_version_an_organizer_loaded_through_the_bot(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], tmp_path: Path
) -> None:
    event_file = tmp_path / "event.yaml"
    event_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    bot = await make_bot(clock=FakeClock(MONDAY), event_file=event_file).start()
    try:
        member = emulator.user(first_name="Souad", language_code="en")
        await enrol(bot, member, "en", "central")
        await bot.services.signups.join(
            member.id, "partnerships", Seating.one("partnerships", 30, [])
        )
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
        await enrol(bot, organizer, "en", "central")  # told in the language of their profile
        changed = _room_changed(EXAMPLE.read_text(encoding="utf-8"))
        await organizer.send_document("event.yaml", "application/x-yaml", changed.encode())
        await said(organizer)
        await organizer.press("✅ Load")
        assert "Event loaded (version 2)" in await said_text(organizer)
        await tick(bot.services)
        assert "Salle D" in await said_text(member)

        await bot.restart()  # the file did not change: the organizer's version stays
        assert await bot.services.event.store.latest_version() == 2
        assert (await bot.services.event.current()).workshop("partnerships").room == "Salle D"
        told = await said_text(organizer)
        assert "version 2" in told and f"multaqa event load {event_file}" in told
        await tick(bot.services)
        await bot.settled(member)  # nobody is told the reverse
        await bot.restart()
        await organizer.expect_silence(0.2)  # organizers are told once

        event_file.write_text(  # the file itself changes: it is loaded
            EXAMPLE.read_text(encoding="utf-8").replace(room_of(3), '    room: "Salle E"'),
            encoding="utf-8",
        )
        await bot.restart()
        assert await bot.services.event.store.latest_version() == 3
        assert (await bot.services.event.current()).workshop("training-offer").room == "Salle E"
    finally:
        await bot.stop()


async def test_multaqa_event_load_of_the_file_is_the_way_back_and_is_not_redone_at_start(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], tmp_path: Path
) -> None:
    from bot.cli.event import load_file

    event_file = tmp_path / "event.yaml"
    event_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    bot = await make_bot(clock=FakeClock(MONDAY), event_file=event_file).start()
    try:
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
        changed = _room_changed(EXAMPLE.read_text(encoding="utf-8"))
        await organizer.send_document("event.yaml", "application/x-yaml", changed.encode())
        await said(organizer)
        await organizer.press("✅ Load")
        assert "Event loaded (version 2)" in await said_text(organizer)
        report = await load_file(event_file, bot.settings, force=False)  # the terminal
        assert report.version == 3
        await bot.restart()
        assert await bot.services.event.store.latest_version() == 3  # not loaded again
        assert (await bot.services.event.current()).workshop("partnerships").room["fr"] == "Salle 2"
        await organizer.expect_silence(0.3)  # nothing kept over the file: nothing to say
    finally:
        await bot.stop()


async def test_a_load_that_fails_midway_changes_nothing(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    member = emulator.user(first_name="Yasmine", language_code="en")
    await enrol(bot, member, "en", "central")
    await bot.services.signups.join(
        member.id, "repositioning", Seating.one("repositioning", 35, [])
    )
    text = EXAMPLE.read_text(encoding="utf-8")
    without = text[: text.index("  - id: repositioning")] + text[text.index("# FR : fonctions") :]
    # The disk fails while the notices are written (after the version and the seats).
    async with bot.services.db.transaction() as conn:
        await conn.execute(
            "CREATE TRIGGER fail BEFORE INSERT ON prompts WHEN NEW.kind = 'notice' "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
    with pytest.raises(sqlite3.IntegrityError):
        await bot.services.event.load(parse_event_text(without), None, force=True)
    assert await bot.services.event.store.latest_version() == 1
    assert (await bot.services.event.current()).workshop("repositioning") is not None
    assert [s.workshop_id for s in await bot.services.signups.seats_of(member.id)] == [
        "repositioning"
    ]
    async with bot.services.db.transaction() as conn:
        await conn.execute("DROP TRIGGER fail")
    report = await bot.services.event.load(parse_event_text(without), None, force=True)
    assert report.version == 2
    await tick(bot.services)
    assert "is cancelled; your place is released" in await said_text(member)


async def test_event_commands_on_the_terminal(emulator: BotApiEmulator, tmp_path: Path) -> None:
    import os
    import sys

    env = {**os.environ, "BOT_TOKEN": emulator.token, "DATABASE_PATH": str(tmp_path / "m.db")}

    async def run(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "--lang",
            "en",
            "event",
            *args,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    status, out, _ = await run("check", str(EXAMPLE))
    assert status == 0 and "4 workshops, 120 seats in workshops" in out
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'end: "2019-01-30 09:30"', 'end: "2019-01-30 08:00"', 1
        ),
        encoding="utf-8",
    )
    status, _, err = await run("check", str(broken))
    assert status == 2 and "end (line" in err and "must be after start" in err
    status, out, _ = await run("load", str(EXAMPLE))
    assert status == 0 and "loaded as version 1" in out


async def test_broadcast_to_a_waiting_list_and_to_those_not_checked_in(
    emulator: BotApiEmulator, event_bot: RunningBot
) -> None:
    bot = event_bot
    seated, waiting, present = (
        emulator.user(first_name=n, language_code="en") for n in ("Seated", "Waiting", "Present")
    )
    for person in (seated, waiting, present):
        await enrol(bot, person, "en", "central")
    await bot.services.signups.join(
        seated.id, "training-offer", Seating.one("training-offer", 1, [])
    )
    await bot.services.signups.join(
        waiting.id, "training-offer", Seating.one("training-offer", 1, [])
    )
    await bot.services.checkins.check_in(present.id)

    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await shown(organizer)
    await organizer.send("A second room opens for workshop 3: come to Room 5.")
    await said(organizer)
    await organizer.press("➡️ Continue")
    menu = await shown(organizer)
    assert "Checked in (1)" in menu.labels and "Not checked in (2)" in menu.labels
    await organizer.press("A waiting list…")
    lists = await shown(organizer)
    assert any(
        label.startswith("Supporting and developing") and label.endswith("(1)")
        for label in lists.labels
    )
    await organizer.press(
        next(label for label in lists.labels if label.startswith("Supporting and developing"))
    )
    await shown(organizer)
    await said(organizer)
    confirm = await said_text(organizer)
    assert "the waiting list of the workshop “Supporting and developing" in confirm
    await organizer.press("✅ Send now")
    await shown(organizer)
    assert "Room 5" in await said_text(waiting)
    await seated.expect_silence(0.2)

    from storage.campaigns import Audience

    assert await bot.services.campaigns.count_audience(Audience("not_checked_in")) == 2
    assert (
        await bot.services.campaigns.count_audience(Audience.parse("workshop=training-offer")) == 1
    )
