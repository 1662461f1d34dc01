"""The durable inbox: a bot killed with SIGKILL in the middle of a burst loses no press and
counts no seat twice; an update nobody can read does not stop the bot; one bot per database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.event.file import parse_event_text
from sandbox import BotApiEmulator, SimUser
from storage.clock import SystemClock
from storage.database import Database
from storage.inbox import InboxRepository
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text, shown, shown_text

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
    told = {"seat": 0, "waiting": 0, "already": 0, "repeated": 0}
    for person, toast in zip(people, toasts, strict=True):
        texts = [m.text for m in person.inbox[1:] if m.kind != "edit"]  # after the list
        seat = sum("have a seat" in t for t in texts)  # "You (already) have a seat"
        waiting = sum("waiting list, position" in t for t in texts)
        assert not (seat and waiting), texts  # never told two different outcomes
        if seat + waiting == 0:
            # Replayed after its seat was saved: the press's answer says so.
            assert "already taken into account" in toast.text, (person, texts)
            told["already"] += 1
        told["seat"] += bool(seat)
        told["waiting"] += bool(waiting)
        # Answered, then killed before the handled mark: told again ("You already have...").
        told["repeated"] += seat + waiting > 1
    db = await Database(db_path).open()
    try:
        rows = await db.fetchall(
            "SELECT state, COUNT(*) AS n, COUNT(DISTINCT user_id) AS people FROM signups "
            "WHERE workshop_id = 'management' GROUP BY state"
        )
        inbox = await InboxRepository(db).counts()
    finally:
        await db.close()
    counts = {r["state"]: (r["n"], r["people"]) for r in rows}
    assert counts == {"confirmed": (30, 30), "waiting": (120, 120)}  # nobody lost, none twice
    assert inbox.get("new", 0) == 0
    print(
        f"\nkill_after={kill_after} answered_before_kill={before_kill} "
        f"told_seat={told['seat']} told_waiting={told['waiting']} "
        f"told_already_by_toast={told['already']} told_twice={told['repeated']} inbox={inbox}"
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
    assert (await InboxRepository(bot.services.db).counts()).get("skipped") == 1
    assert bot.intake.polls < 10  # long polls, not a spin (the old loop made 2,024 in 6 s)
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1 and str(broken["update_id"]) in skipped[0].getMessage()


async def _as_if_killed_before_marked(bot: RunningBot, update: dict[str, object]) -> None:
    """Stop the bot, then put the update back as unhandled: the state a SIGKILL leaves when
    it comes after the handler's writes committed but before the update was marked handled."""
    db = bot.services.db
    await bot.stop()
    db = await Database(db.path).open()
    try:
        changed = await db.execute(
            "UPDATE inbox SET state = 'new' WHERE update_id = ? AND applied = 1",
            (update["update_id"],),
        )
        assert changed == 1
    finally:
        await db.close()
    await bot.start()


async def test_a_replayed_proposal_part_is_not_appended_twice(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name="Hind", language_code="en")
    await enrol(bot, user, "en", "central")
    await user.send("/propose")
    await said(user)
    await user.press("💡 General (not tied to a workshop)")
    await shown(user)
    part = await user.send("Train the centres' staff in digital tools.")
    assert "42 of 3,000 characters" in await said_text(user)
    await _as_if_killed_before_marked(bot, part)
    await user.send("Every year.")
    assert "55 of 3,000 characters" in await said_text(user)  # 42 + separator + 11, not 97
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
        press = await person.press(JOIN)
        assert "You have a seat" in await said_text(person)
        await _as_if_killed_before_marked(bot, press)
        assert "You already have a seat" in await said_text(person)  # told again, not seated
        assert await bot.services.signups.counts() == {"management": (1, 0)}
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
    assert (await InboxRepository(bot.services.db).counts()).get("skipped") == 1
    await user.expect_silence(0.5)  # not handled a fourth time
    assert sum("handling failed 3 times" in r.getMessage() for r in caplog.records) == 1
