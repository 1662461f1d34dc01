"""A broadcast always has exactly one sender: a failed progress message does not leave it
stuck, Stop racing the last batch ends it done, the bot and the command line never both
send it, and a second bot on the same database refuses to start."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox import BotApiEmulator, SimUser
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_inbox import bot_env, spawn_bot
from tests.harness import RunningBot, said, shown


async def _compose(emulator: BotApiEmulator, text: str, audience: str) -> SimUser:
    """The organizer's broadcast up to the "Send now" button."""
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("📣 Broadcast a message")
    await shown(organizer)
    await organizer.send(text)
    await said(organizer)
    await organizer.press("➡️ Continue")
    await shown(organizer)
    await organizer.press(audience)
    await shown(organizer)  # preview heading
    await said(organizer)  # preview
    await said(organizer)  # confirmation
    return organizer


async def _people(bot: RunningBot, emulator: BotApiEmulator, n: int) -> list[SimUser]:
    people = [emulator.user(first_name=f"P{i}", language_code="en") for i in range(n)]
    for person in people:
        await enrol(bot, person, "en", "oriental")
    return people


async def test_a_502_on_the_progress_message_does_not_stop_the_broadcast(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    people = await _people(bot, emulator, 20)
    organizer = await _compose(emulator, "Room change: Salle D.", "Everyone (20)")
    emulator.faults.fail(ORGANIZER_ID, 502, times=1, methods=["sendMessage"])
    await organizer.press("✅ Send now")
    for person in people:
        assert "Room change" in (await said(person, timeout=10)).text
    await bot.services.runner.wait(1)
    campaign = await bot.services.campaigns.get(1)
    assert campaign is not None and campaign.state == "done"
    # The organizer still gets the report, on a progress message posted again.
    assert campaign.progress_message_id is not None
    report = emulator.message(ORGANIZER_ID, campaign.progress_message_id)
    assert report is not None and "Delivered: 20 of 20" in report.text
    assert all(len(p.inbox) == 1 for p in people)


async def test_stop_racing_the_last_batch_ends_the_campaign_done(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(broadcast_rate=4).start()  # the batch waits its turn, already claimed
    try:
        people = await _people(bot, emulator, 6)
        organizer = await _compose(emulator, "Last call.", "Everyone (6)")
        await organizer.press("✅ Send now")
        await shown(organizer)  # the progress message
        await said(people[0], timeout=10)
        await organizer.press("⏸ Stop")  # the whole batch is already past the point of no return
        await bot.services.runner.wait(1)
        for person in people:
            assert person.inbox and "Last call." in person.inbox[0].text
        progress = await bot.services.campaigns.progress(1)
        assert progress.remaining == 0
        campaign = await bot.services.campaigns.get(1)
        assert campaign is not None and campaign.state == "done"
        assert campaign.progress_message_id is not None
        report = emulator.message(ORGANIZER_ID, campaign.progress_message_id)
        assert report is not None and "Delivered: 6 of 6" in report.text
    finally:
        await bot.stop()


async def test_bot_restarting_while_the_command_line_sends_sends_nothing_twice(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot().start()
    people = await _people(bot, emulator, 120)
    text = db_path.parent / "message.txt"
    text.write_text("From the command line.", encoding="utf-8")
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "broadcast",
        "--lang",
        "en",
        "--text",
        str(text),
        "--yes",
        env=bot_env(emulator, db_path, BROADCAST_RATE="40", LANG="en_US.UTF-8"),
        cwd=db_path.parent,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await said(people[0], timeout=30)  # the command line is sending
        await bot.restart()  # used to release and resume every 'sending' campaign
        await said(people[5], timeout=30)
        await bot.restart()
        out, err = await asyncio.wait_for(cli.communicate(), 60)
    finally:
        if cli.returncode is None:
            cli.kill()
            await cli.wait()
        await bot.stop()
    assert cli.returncode == 0, err.decode()
    assert "delivered 120 of 120" in out.decode()
    copies = [len(p.inbox) for p in people]
    assert copies == [1] * 120  # nobody got two copies


async def test_a_second_bot_on_the_same_database_refuses_to_start(
    emulator: BotApiEmulator, db_path: Path
) -> None:
    user = emulator.user(first_name="Sara", language_code="en")
    first = await spawn_bot(emulator, db_path)
    try:
        await user.send("/start")
        await said(user, timeout=30)  # the first one runs
        second = await spawn_bot(emulator, db_path)
        _, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 2
        message = err.decode()
        assert "already running on this database" in message and "Traceback" not in message
        first.kill()  # SIGKILL: the lock must not outlive the process
        await first.wait()
        first = await spawn_bot(emulator, db_path)
        await user.send("/help")
        await said(user, timeout=30)  # restarted at once
    finally:
        if first.returncode is None:
            first.terminate()
            await first.wait()


@pytest.mark.slow
async def test_the_bot_finishes_a_broadcast_whose_command_line_was_killed(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot().start()
    try:
        people = await _people(bot, emulator, 60)
        text = db_path.parent / "message.txt"
        text.write_text("Sent from a laptop that crashed.", encoding="utf-8")
        cli = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "broadcast",
            "--text",
            str(text),
            "--yes",
            env=bot_env(emulator, db_path, BROADCAST_RATE="5"),
            cwd=db_path.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await said(people[0], timeout=30)
        cli.kill()  # the laptop dies: its lease runs out, the bot's watcher takes over
        await cli.wait()
        for person in people:
            await said(person, timeout=60)
        await bot.services.runner.wait(1)
        campaign = await bot.services.campaigns.get(1)
        assert campaign is not None and campaign.state == "done"
        progress = await bot.services.campaigns.progress(1)
        assert (progress.sent, progress.remaining) == (60, 0)
        # At most the messages in flight at the kill arrive twice (DESIGN principle 3).
        twice = sum(len(p.inbox) for p in people) - 60
        print(f"\nbroadcast killed mid-way: {twice} of 60 people got it twice")
        assert twice <= 16
    finally:
        await bot.stop()
