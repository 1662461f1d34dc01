"""The durable inbox: a bot killed with SIGKILL in the middle of a burst loses no press and
counts no seat twice; an update nobody can read does not stop the bot; one bot per database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.event.file import load_event_file, parse_event_text
from bot.intake import Sender, sender_of
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock, SystemClock
from storage.database import Database
from storage.inbox import InboxRepository
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_followup import MONDAY as FOLLOW_UP_MONDAY
from tests.harness import RunningBot, said, said_text, settings_for, shown, shown_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
JOIN = "➕ Sign up for workshop 1"  # "management": 30 seats


def event_from_today() -> str:
    """The study day a month from now, registration open (the bot runs on the system clock)."""
    today = date.today()
    return (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("2019-01-30", (today + timedelta(days=30)).isoformat())
        .replace("2019-01-14", (today - timedelta(days=1)).isoformat())
        .replace("2019-01-29", (today + timedelta(days=29)).isoformat())
    )


def bot_env(emulator: BotApiEmulator, db_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `multaqa` process pointed at the emulator and the database."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BOT_")},
        "BOT_TOKEN": emulator.token,
        "BOT_API_BASE_URL": emulator.base_url,
        "BOT_API_FILE_URL": emulator.base_file_url,
        "DATABASE_PATH": str(db_path),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


async def spawn_bot(emulator: BotApiEmulator, db_path: Path) -> asyncio.subprocess.Process:
    """`multaqa run` as its own process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=bot_env(emulator, db_path),
        cwd=db_path.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _people_looking_at_workshops(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], n: int
) -> list[SimUser]:
    """n registered people, each with the /workshops list open (prepared by an in-process bot)."""
    bot = await make_bot(clock=SystemClock()).start()
    try:
        await bot.services.event.load(parse_event_text(event_from_today()), None)
        people = [emulator.user(first_name=f"P{i}", language_code="en") for i in range(n)]
        for person in people:
            await enrol(bot, person, "en", "central")
        await asyncio.gather(*(person.send("/workshops") for person in people))
        await asyncio.gather(*(said(person, timeout=30) for person in people))
    finally:
        await bot.stop()
    return people


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 110], ids=["early", "late"])
async def test_sigkill_during_150_presses_loses_none_and_counts_no_seat_twice(
    emulator: BotApiEmulator,
    make_bot: Callable[..., RunningBot],
    db_path: Path,
    kill_after: int,
) -> None:
    people = await _people_looking_at_workshops(emulator, make_bot, 150)
    process = await spawn_bot(emulator, db_path)
    try:
        presses = [await person.press(JOIN) for person in people]
        answers = [
            asyncio.ensure_future(person.wait_callback_answer(press, timeout=90))
            for person, press in zip(people, presses, strict=True)
        ]
        # Killed once `kill_after` people saw their press answered, the rest in flight.
        for answered, finished in enumerate(asyncio.as_completed(answers), start=1):
            await finished
            if answered >= kill_after:
                break
        process.send_signal(signal.SIGKILL)
        await process.wait()
        before_kill = sum(answer.done() for answer in answers)
        process = await spawn_bot(emulator, db_path)
        toasts = await asyncio.gather(*answers)  # every press is answered
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            _, err = await process.communicate()
            assert b"Traceback" not in err, err.decode()
    outcome = ("have a seat", "waiting list, position")

    async def heard(person: SimUser) -> None:  # the press's answer comes after its toast
        while not any(o in m.text for m in person.inbox[1:] for o in outcome):
            await person.next_message(timeout=30)

    await asyncio.gather(*(heard(person) for person in people))
    told = {"seat": 0, "waiting": 0, "repeated": 0}
    for person in people:
        texts = [m.text for m in person.inbox[1:] if m.kind != "edit"]  # after the list
        seat = sum("have a seat" in t for t in texts)
        waiting = sum("waiting list, position" in t for t in texts)
        assert not (seat and waiting), texts  # never told two different outcomes
        # Everyone hears the outcome of their press, the one decided when it was handled —
        # never nothing, never "already taken into account" / "you already have a seat".
        assert seat + waiting >= 1, (person, texts)
        assert not any("already" in t for t in texts), texts
        told["seat"] += bool(seat)
        told["waiting"] += bool(waiting)
        # Sent, then killed before it was marked sent: sent again at start (in flight).
        told["repeated"] += seat + waiting > 1
    assert all(toast is not None for toast in toasts)  # every press answered
    db = await Database(db_path).open()
    try:
        rows = await db.fetchall(
            "SELECT state, COUNT(*) AS n, COUNT(DISTINCT user_id) AS people FROM signups "
            "WHERE workshop_id = 'management' GROUP BY state"
        )
        inbox = await InboxRepository(db, bot_id=emulator.bot_user["id"]).counts()
    finally:
        await db.close()
    counts = {r["state"]: (r["n"], r["people"]) for r in rows}
    assert counts == {"confirmed": (30, 30), "waiting": (120, 120)}  # nobody lost, none twice
    assert inbox.get("new", 0) == 0
    print(
        f"\nkill_after={kill_after} answered_before_kill={before_kill} "
        f"told_seat={told['seat']} told_waiting={told['waiting']} "
        f"told_twice={told['repeated']} inbox={inbox}"
    )


async def test_an_update_nobody_can_read_is_skipped_once_and_polling_goes_on(
    emulator: BotApiEmulator, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    broken = emulator.updates.push("message", {"message_id": 1, "date": "not a date"})
    assert broken is not None
    user = emulator.user(first_name="Nadia", language_code="en")
    await user.send("/start")
    assert "language" in (await said_text(user)).lower()  # the bot answers the next update
    assert bot.intake is not None
    skipped_id = await asyncio.wait_for(bot.intake.skipped.get(), 15)  # after a few tries
    assert skipped_id == broken["update_id"]
    assert (await bot.intake.inbox.counts()).get("skipped") == 1
    assert bot.intake.polls < 10  # long polls, not a spin (the old loop made 2,024 in 6 s)
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1 and str(broken["update_id"]) in skipped[0].getMessage()


async def _killed_as_its_effects_commit(bot: RunningBot, send: Awaitable[object]) -> None:
    """Send, and let the bot stop as a SIGKILL would right after the handler's writes
    committed and before its replies were (none kept, none sent), then start it again."""
    assert bot.intake is not None
    died = asyncio.get_running_loop().create_future()
    bot.intake.die_before_replies = died
    await send
    await asyncio.wait_for(died, 10)
    await bot.restart()


async def test_a_replayed_proposal_part_is_not_appended_twice(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Hind", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    await _killed_as_its_effects_commit(bot, user.send("Train the centres' staff in digital."))
    # The answer that part had decided comes after the restart, once.
    assert "36 of 3,000 characters" in await said_text(user)
    await user.send("Every year.")
    assert "49 of 3,000 characters" in await said_text(user)  # 36 + separator + 11, not 85
    await user.press("✅ Done")
    assert "P-0001" in await shown_text(user)
    proposal = await bot.services.proposals.get(1)
    assert proposal is not None
    assert proposal.text.count("Train the centres' staff") == 1


async def test_a_replayed_join_takes_one_seat_and_says_so(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    [person] = await _people_looking_at_workshops(emulator, make_bot, 1)
    bot = await make_bot(clock=SystemClock()).start()
    try:
        await _killed_as_its_effects_commit(bot, person.press(JOIN))
        # The answer the press had decided, never "you already have a seat"; one seat.
        assert "You have a seat" in await shown_text(person)
        assert await bot.services.signups.counts() == {"management": (1, 0)}
    finally:
        await bot.stop()


async def test_a_replayed_status_update_is_recorded_once_and_answered_with_its_record(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(FOLLOW_UP_MONDAY)).start()
    try:
        await bot.services.event.load(load_event_file(EXAMPLE), None)
        delegate = emulator.user(first_name="Karim", language_code="en")
        await enrol(bot, delegate, "en", "souss_massa")
        rec_id = await bot.services.recommendations.create(
            "partnerships", "Sign agreements", "en", None, date(2019, 6, 28), ORGANIZER_ID
        )
        assert await bot.services.followup.assign(rec_id, delegate.id, ORGANIZER_ID)
        await tick(bot.services)
        assert f"R-{rec_id}" in await said_text(delegate)  # told it is theirs
        await delegate.send("/tasks")
        await delegate.press((await said(delegate)).labels[0])  # open it
        card = await said(delegate)
        await delegate.press(next(label for label in card.labels if label.endswith("done")))
        await said(delegate)  # a comment or evidence?
        await delegate.send("Signed with 3 associations")
        await said(delegate)  # received
        await _killed_as_its_effects_commit(bot, delegate.press("✅ Save"))
        # The answer the save had decided, never "already taken into account"; then the next
        # answer is to the next message: that one came once.
        answer = await said_text(delegate)
        assert f"Recorded for R-{rec_id}" in answer and "Signed with 3 associations" in answer
        await delegate.send("/tasks")
        assert "Recorded for" not in await said_text(delegate)
        status = [
            u for u in await bot.services.followup.repo.timeline(rec_id) if u.kind == "status"
        ]
        assert [(u.to_status, u.progress, u.comment) for u in status] == [
            ("done", 100, "Signed with 3 associations")
        ]
    finally:
        await bot.stop()


async def test_failing_get_updates_backs_off_and_loses_nothing(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Omar", language_code="en")
    emulator.faults.random_errors(rate=1.0, codes=(502,), methods=["getUpdates"])
    before = emulator.request_counts["getUpdates"]
    await user.send("/start")
    await asyncio.sleep(3)  # the window measured: how often the bot asks while it fails
    failing = emulator.request_counts["getUpdates"] - before
    assert 2 <= failing <= 8  # pauses of 0.5, 1, 2 s...; not a spin (2,024 in 6 s before)
    emulator.faults.clear()
    assert "language" in (await said_text(user, timeout=40)).lower()  # kept by Telegram


async def test_an_update_whose_handling_kept_killing_the_bot_is_skipped_at_start(
    emulator: BotApiEmulator, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    user = emulator.user(first_name="Yassine", language_code="en")
    poison = await user.send("/start")
    await said(user)
    db_path = bot.services.db.path
    await bot.stop()
    db = await Database(db_path).open()
    try:  # as if the process had died while handling it, three starts in a row
        await db.execute(
            "UPDATE inbox SET state = 'new', applied = 0, attempts = 3 WHERE update_id = ?",
            (poison["update_id"],),
        )
    finally:
        await db.close()
    await bot.start()
    assert (await bot.intake.inbox.counts()).get("skipped") == 1
    # Not handled a fourth time; its sender hears once that it could not be taken.
    assert "could not read" in await said_text(user)
    await bot.settled(user)
    assert sum("handling failed 3 times" in r.getMessage() for r in caplog.records) == 1


# ---------------------------------------------------------------- update ids are per bot

OTHER_TOKEN = "7654321:OTHER-bot-token"  # another bot: Telegram numbers its updates afresh


async def _on(emulator: BotApiEmulator, db_path: Path) -> RunningBot:
    """A bot of that emulator's token, started on the database file."""
    return await RunningBot(settings_for(emulator, db_path, organizer_ids=[ORGANIZER_ID])).start()


async def _put_back_as_unhandled(db_path: Path, update_id: object) -> None:
    """The state a SIGKILL leaves when it comes before the update was handled at all."""
    db = await Database(db_path).open()
    try:
        changed = await db.execute(
            "UPDATE inbox SET state = 'new', applied = 0 WHERE update_id = ?", (update_id,)
        )
        assert changed == 1
    finally:
        await db.close()


async def test_a_database_reused_with_another_bots_token_takes_its_first_messages(
    emulator: BotApiEmulator, bot: RunningBot, db_path: Path
) -> None:
    salma = emulator.user(first_name="Salma", language_code="en")
    await salma.send("/start")  # update 1 of this bot
    await shown(salma)
    await salma.press("English")
    assert "Before we start" in await shown_text(salma)
    await salma.press("✅ I agree")
    assert "full name" in await shown_text(salma)  # the draft moved with update 3
    await bot.stop()
    async with BotApiEmulator(token=OTHER_TOKEN) as other:
        again = other.user(first_name="Salma", language_code="en", user_id=salma.id)
        other_bot = await _on(other, db_path)
        try:
            answer = await again.send("Salma Bennani")  # update 1 of the other bot
            assert answer["update_id"] == 1
            # Taken as her name (not dropped as already seen, not a replay of update 3).
            assert "What is your function?" in await shown_text(again)
        finally:
            await other_bot.stop()


async def test_what_another_bot_left_unhandled_waits_for_it_and_a_renewed_token_replays_it(
    emulator: BotApiEmulator, bot: RunningBot, db_path: Path
) -> None:
    omar = emulator.user(first_name="Omar", language_code="en")
    left = await omar.send("/help")  # answered, and nothing saved: a read-only command
    help_text = await said_text(omar)
    await bot.stop()
    await _put_back_as_unhandled(db_path, left["update_id"])  # killed before it was handled
    async with BotApiEmulator(token=OTHER_TOKEN, first_update_id=100) as other:
        on_other = other.user(first_name="Omar", language_code="en", user_id=omar.id)
        other_bot = await _on(other, db_path)
        try:
            await on_other.send("/help")
            assert await said_text(on_other) == help_text
            # Only the answer to what he sent this bot: the other bot's update is not replayed
            # here (it would have come first: a replay is fed before polling starts).
            assert len(on_other.inbox) == 1
            waiting = InboxRepository(other_bot.services.db, bot_id=emulator.bot_user["id"])
            assert [row.update_id for row in await waiting.unhandled()] == [left["update_id"]]
        finally:
            await other_bot.stop()
    # The first bot, its token revoked and renewed in BotFather (same bot id): replayed.
    renewed = emulator.token.split(":")[0] + ":RENEWED-secret"
    async with BotApiEmulator(token=renewed) as same_bot:
        back = same_bot.user(first_name="Omar", language_code="en", user_id=omar.id)
        back.open_chat()  # he had started this bot
        first_bot = await _on(same_bot, db_path)
        try:
            assert await said_text(back) == help_text
        finally:
            await first_bot.stop()  # writes the last handled marks
    db = await Database(db_path).open()
    try:
        assert await InboxRepository(db, bot_id=emulator.bot_user["id"]).unhandled() == []
    finally:
        await db.close()


# ---------------------------------------------------------------- an update nobody can read


def _broken_message(user: SimUser, language_code: str) -> dict[str, object]:
    """A message whose date the library cannot read, from this person."""
    return {
        "message_id": 7,
        "date": "not a date",
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
        "from": {
            "id": user.id,
            "is_bot": False,
            "first_name": user.first_name,
            "language_code": language_code,
        },
        "text": "hello",
    }


async def test_the_sender_of_an_update_nobody_can_read_is_told_once_in_their_language(
    emulator: BotApiEmulator, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    claire = emulator.user(first_name="Claire", language_code="fr")  # not registered
    hamid = emulator.user(first_name="Hamid", language_code="fr")
    await enrol(bot, hamid, "ar", "central")  # registered in Arabic: his choice wins
    claire.open_chat()
    for person in (claire, hamid):
        assert emulator.updates.push("message", _broken_message(person, "fr")) is not None
    assert bot.intake is not None
    skipped = {await asyncio.wait_for(bot.intake.skipped.get(), 15) for _ in range(2)}
    assert len(skipped) == 2  # both given up on after their tries
    assert (await said_text(claire)).startswith("Désolé, je n'ai pas pu lire votre dernier")
    assert (await said_text(hamid)).startswith("عذرا، لم نتمكن من قراءة رسالتكم الأخيرة")
    # Once each, not once per try: the skip was recorded after the answer went out.
    assert [len(claire.inbox), len(hamid.inbox)] == [1, 1]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged.count("its sender was told") == 2
    assert "Claire" not in logged and "Hamid" not in logged and "hello" not in logged


def test_the_sender_is_found_in_the_raw_json_of_any_kind_of_update() -> None:
    person = {"id": 42, "is_bot": False, "first_name": "A", "language_code": "ar"}
    message = {"message_id": 1, "date": "x", "chat": {"id": -1001, "type": "supergroup"}}
    assert sender_of({"update_id": 1, "message": {**message, "from": person}}) == Sender(
        -1001, 42, "ar"
    )
    press = {"id": "q", "from": person, "message": message, "data": "ws:join:1"}
    assert sender_of({"update_id": 2, "callback_query": press}) == Sender(-1001, 42, "ar")
    inline = {"id": "q", "from": {"id": 42, "first_name": "A"}, "query": ""}
    assert sender_of({"update_id": 3, "inline_query": inline}) == Sender(42, 42, None)
    assert sender_of({"update_id": 4, "poll_answer": {"user": person}}) == Sender(42, 42, "ar")
    # Nobody to answer: a poll's new state, or ids that are not numbers.
    assert sender_of({"update_id": 5, "poll": {"id": "p", "question": "?"}}) is None
    assert sender_of({"update_id": 6, "message": {"chat": {"id": "42"}, "from": True}}) is None
    assert sender_of({"update_id": 7, "message": "garbage"}) is None
