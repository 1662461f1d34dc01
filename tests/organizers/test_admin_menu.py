"""The rest of the /admin menu: the last organizer actions, the dashboard link when the
dashboard is off, the daily backup on the clock, and `multaqa purge` on the terminal."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.outbound.daily import daily_tick
from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, said_text
from tests.organizers.seed import SATURDAY, seed


async def test_last_actions_and_dashboard_off(emulator: BotApiEmulator, bot: RunningBot) -> None:
    await bot.services.audit.record(ORGANIZER_ID, "recommendation.create", "recommendation:7")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("🧾 Last actions")
    actions = await said_text(organizer)
    assert actions.startswith("Last organizer actions")
    assert f"{ORGANIZER_ID} · recommendation created recommendation:7" in actions
    await organizer.press("🖥 Dashboard")
    assert "The web dashboard is off. Set WEB_PORT" in await said_text(organizer)


async def test_last_actions_say_each_action_in_words_not_its_key(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    await bot.services.audit.record(ORGANIZER_ID, "proposal.accepted", "P-0001")
    await bot.services.audit.record(ORGANIZER_ID, "recommendation.extend", "rec:1")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="fr")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("🧾 Dernières actions")
    actions = await said_text(organizer)
    assert "échéance prolongée rec:1" in actions and "proposition retenue P-0001" in actions
    assert "recommendation.extend" not in actions and "proposal.accepted" not in actions


async def test_daily_backup_once_a_day_at_its_time(
    make_bot: Callable[..., RunningBot], tmp_path: Path
) -> None:
    folder = tmp_path / "copies"
    # 02:59 in Casablanca (UTC+1 in January 2019): not yet.
    clock = FakeClock(datetime(2019, 1, 20, 1, 59, tzinfo=UTC))
    bot = await make_bot(clock=clock, backup_dir=folder, backup_keep=2).start()
    try:
        await daily_tick(bot.services)
        assert not folder.exists() or not list(folder.iterdir())
        clock.advance(timedelta(minutes=1))
        await daily_tick(bot.services)
        await daily_tick(bot.services)
        assert len(list(folder.glob("multaqa-*.db"))) == 1  # once a day
        for _ in range(3):
            clock.advance(timedelta(days=1))
            await daily_tick(bot.services)
        assert len(list(folder.glob("multaqa-*.db"))) == 2  # the newest BACKUP_KEEP
    finally:
        await bot.stop()


async def test_purge_on_the_terminal_only_after_the_retention_period(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock).start()
    await seed(bot.services, clock)
    await bot.stop()
    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "DATABASE_PATH": str(db_path),
        "RETENTION_DAYS": "0",
        "DEFAULT_LOCALE": "en",
    }

    async def purge(*extra: str, days: str = "0") -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "purge",
            *extra,
            env={**env, "RETENTION_DAYS": days},
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode()

    # The study day was in January 2019: ten years of retention are not over before 2029.
    if datetime.now(UTC) < datetime(2029, 1, 30, tzinfo=UTC):
        status, out = await purge("--yes", days="3650")
        assert status == 0 and "Retention period not over" in out
    # With RETENTION_DAYS=0 its period is long over today.
    status, out = await purge("--yes")
    assert status == 0 and "Participants anonymised: 6" in out
    restarted = await make_bot(clock=clock).start()
    try:
        assert await restarted.services.participants.get(101) is None
        notices = await restarted.services.db.fetchall(
            "SELECT user_id FROM organizer_notices WHERE key LIKE 'purge:cli:%'"
        )
        assert [n["user_id"] for n in notices] == [ORGANIZER_ID]  # told by the bot
    finally:
        await restarted.stop()


async def test_the_bot_starts_when_the_dashboard_port_is_taken(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot = await make_bot(web_port=taken.getsockname()[1]).start()
        try:
            organizer = emulator.user(user_id=ORGANIZER_ID, first_name="D", language_code="en")
            await organizer.send("/admin")
            await said(organizer)
            await organizer.press("🖥 Dashboard")
            assert "The web dashboard is off" in await said_text(organizer)
        finally:
            await bot.stop()
