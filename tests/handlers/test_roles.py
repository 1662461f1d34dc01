"""Roles: ORGANIZER_IDS is the truth at every start, and `multaqa roles` grants and revokes on
the terminal (taking effect at the next press, kept across starts, audited)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.event.file import load_event_file
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator, SimUser
from storage.clock import FakeClock
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said, said_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"

FIRST, SECOND, THIRD = 900001, 900002, 900003
UNKNOWN = "I don't know this command"


async def _admin(emulator: BotApiEmulator, user_id: int) -> str:
    person = emulator.get_user(user_id) or emulator.user(
        user_id=user_id, first_name=f"O{user_id}", language_code="en"
    )
    await person.send("/admin")
    return await said_text(person)


def _menu(emulator: BotApiEmulator, user_id: int) -> list[str]:
    return [c["command"] for c in emulator.commands({"type": "chat", "chat_id": user_id})]


async def _roles_cli(emulator: BotApiEmulator, db_path: Path, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "DATABASE_PATH": str(db_path),
        "ORGANIZER_IDS": str(FIRST),
        "LANG": "en_US.UTF-8",  # the terminal speaks its user's language: English here
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "roles",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_an_id_removed_from_organizer_ids_loses_the_role_at_the_next_start(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    emulator.user(user_id=SECOND, first_name="Second").open_chat()  # has a chat: has a menu
    bot = await make_bot(organizer_ids=[FIRST, SECOND]).start()
    try:
        assert "Registrations so far" in await _admin(emulator, SECOND)
        assert _menu(emulator, SECOND)[-1] == "admin"
    finally:
        await bot.stop()
    bot = await make_bot(organizer_ids=[FIRST]).start()
    try:
        assert UNKNOWN in await _admin(emulator, SECOND)
        assert "Registrations so far" in await _admin(emulator, FIRST)
        assert "admin" not in _menu(emulator, SECOND)  # the menu follows the role
        revoked = [e for e in await bot.services.audit.entries() if e["action"] == "role.revoke"]
        assert [(e["subject"], e["details"]["reason"]) for e in revoked] == [
            (f"user:{SECOND}", "not in ORGANIZER_IDS")
        ]
    finally:
        await bot.stop()


async def test_roles_granted_on_the_terminal_act_at_once_and_outlive_organizer_ids(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot(organizer_ids=[FIRST, SECOND]).start()
    try:
        assert UNKNOWN in await _admin(emulator, THIRD)
        code, out = await _roles_cli(emulator, db_path, "grant", str(THIRD))
        assert code == 0, out
        assert "Registrations so far" in await _admin(emulator, THIRD)  # no restart needed
        code, out = await _roles_cli(emulator, db_path, "grant", str(SECOND))  # on purpose now
        assert code == 0, out
        code, out = await _roles_cli(emulator, db_path, "grant", str(THIRD))
        assert code == 1 and "already holds" in out
    finally:
        await bot.stop()
    bot = await make_bot(organizer_ids=[FIRST]).start()  # both left ORGANIZER_IDS
    try:
        assert "Registrations so far" in await _admin(emulator, SECOND)
        assert "Registrations so far" in await _admin(emulator, THIRD)
        code, out = await _roles_cli(emulator, db_path, "list")
        assert code == 0
        lines = out.splitlines()
        assert any(line.startswith(f"{FIRST}\torganizer\tfrom ORGANIZER_IDS") for line in lines)
        assert any(line.startswith(f"{THIRD}\torganizer\tfrom terminal") for line in lines)
        code, out = await _roles_cli(emulator, db_path, "revoke", str(THIRD))
        assert code == 0, out
        assert UNKNOWN in await _admin(emulator, THIRD)  # at once, bot still running
        code, out = await _roles_cli(emulator, db_path, "revoke", str(FIRST))
        assert code == 0 and "still in ORGANIZER_IDS" in out
        audit = [(e["action"], e["subject"]) for e in await bot.services.audit.entries()]
        assert audit[:2] == [("role.revoke", f"user:{FIRST}"), ("role.revoke", f"user:{THIRD}")]
        assert ("role.grant", f"user:{THIRD}") in audit
    finally:
        await bot.stop()


# --- what a revoked organizer keeps: nothing -----------------------------------------------

MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)  # the study day is Wednesday 30 January
OVERDUE_SENT = datetime(2019, 2, 5, 7, 30, tzinfo=UTC)  # Tuesday 08:30 in Casablanca


async def _escalation_planned_for_both(
    emulator: BotApiEmulator, bot: RunningBot
) -> tuple[SimUser, SimUser]:
    """FIRST and SECOND organizers; a delegate's recommendation due Monday 4 February, so an
    overdue escalation is planned for each organizer on Tuesday morning; and a notice (the
    kind the daily summary is) planned for SECOND at the same moment."""
    await bot.services.event.load(load_event_file(EXAMPLE), None)
    first = emulator.user(user_id=FIRST, first_name="First", language_code="en")
    second = emulator.user(user_id=SECOND, first_name="Second", language_code="en")
    first.open_chat()
    second.open_chat()
    delegate = emulator.user(first_name="Omar", language_code="fr")
    await enrol(bot, delegate, "fr", "souss_massa")
    rec_id = await bot.services.recommendations.create(
        "partnerships", "Signer des conventions", "fr", None, date(2019, 2, 4), FIRST
    )
    assert await bot.services.followup.assign(rec_id, delegate.id, FIRST)
    await tick(bot.services)
    await said(delegate)  # told the recommendation is theirs
    await bot.services.db.execute(  # due with the escalation, so the running clock waits
        "INSERT INTO organizer_notices (key, user_id, text, due_at) VALUES (?, ?, ?, ?)",
        ("summary:test:second", SECOND, "Registrations so far: 3", OVERDUE_SENT.isoformat()),
    )
    assert await _planned(bot, SECOND) == ["escalation", "notice"]
    return first, second


async def _planned(bot: RunningBot, user_id: int) -> list[str]:
    """What waits to be sent to this person: prompt kinds, then 'notice' for organizers'."""
    prompts = await bot.services.db.fetchall(
        "SELECT kind FROM prompts WHERE user_id = ? AND state = 'pending' ORDER BY id",
        (user_id,),
    )
    notices = await bot.services.db.fetchall(
        "SELECT 1 FROM organizer_notices WHERE user_id = ? AND state = 'pending'", (user_id,)
    )
    return [row["kind"] for row in prompts] + ["notice"] * len(notices)


async def _dashboard_session(bot: RunningBot, user_id: int) -> str:
    web = bot.services.organizers.web
    session = await web.redeem(await web.new_link(user_id, "en"))
    assert session is not None and await web.session(session) is not None
    return session


async def test_an_organizer_revoked_on_the_terminal_gets_nothing_planned_and_signs_in_afresh(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST]).start()
    try:
        code, out = await _roles_cli(emulator, db_path, "grant", str(SECOND))
        assert code == 0, out
        first, second = await _escalation_planned_for_both(emulator, bot)
        session = await _dashboard_session(bot, SECOND)
        code, out = await _roles_cli(emulator, db_path, "revoke", str(SECOND))
        assert code == 0, out
        assert await _planned(bot, SECOND) == []  # the planned escalation and notice are gone
        bot.clock.advance(OVERDUE_SENT - bot.clock.now())
        await tick(bot.services)
        assert "R-1 · Signer des conventions" in await said_text(first)
        assert second.inbox == []  # no recommendation text, no delegate's name
        # Granted back later: the old browser session does not come back to life.
        code, out = await _roles_cli(emulator, db_path, "grant", str(SECOND))
        assert code == 0, out
        assert await bot.services.organizers.web.session(session) is None
    finally:
        await bot.stop()


async def test_rows_planned_for_an_organizer_are_dropped_at_send_time_once_the_role_is_gone(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST, SECOND]).start()
    try:
        first, second = await _escalation_planned_for_both(emulator, bot)
        # The role goes by a path that knows nothing of the rows (the table edited by hand).
        await bot.services.db.execute(
            "DELETE FROM roles WHERE user_id = ? AND role = 'organizer'", (SECOND,)
        )
        bot.clock.advance(OVERDUE_SENT - bot.clock.now())
        await tick(bot.services)
        assert "R-1 · Signer des conventions" in await said_text(first)
        assert second.inbox == []
        assert await _planned(bot, SECOND) == []
        states = await bot.services.db.fetchall(
            "SELECT state FROM prompts WHERE user_id = ? AND kind = 'escalation'", (SECOND,)
        )
        assert [row["state"] for row in states] == ["dropped"]
    finally:
        await bot.stop()


async def test_an_id_leaving_organizer_ids_loses_its_planned_rows_and_sessions_at_start(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST, SECOND]).start()
    try:
        await _escalation_planned_for_both(emulator, bot)
        session = await _dashboard_session(bot, SECOND)
    finally:
        await bot.stop()
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST]).start()
    try:
        assert await _planned(bot, SECOND) == []
        assert await _planned(bot, FIRST) == ["escalation"]
        code, out = await _roles_cli(emulator, db_path, "grant", str(SECOND))
        assert code == 0, out
        assert await bot.services.organizers.web.session(session) is None
    finally:
        await bot.stop()


# --- where each role came from ---------------------------------------------------------------


async def test_roles_list_tells_assigned_delegates_and_invited_organizers_from_organizer_ids(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot], db_path: Path
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST]).start()
    try:
        await bot.services.event.load(load_event_file(EXAMPLE), None)
        delegate = emulator.user(first_name="Omar", language_code="en")
        await enrol(bot, delegate, "en", "souss_massa")
        rec_id = await bot.services.recommendations.create(
            "partnerships", "Sign agreements", "en", None, None, FIRST
        )
        assert await bot.services.followup.assign(rec_id, delegate.id, FIRST)
        invited = emulator.user(user_id=THIRD, first_name="Invited", language_code="en")
        await enrol(bot, invited, "en", "souss_massa")
        token = await bot.services.followup.repo.create_invite(
            "organizer", "Invited", FIRST, timedelta(days=2)
        )
        await invited.send(f"/start inv-{token}")
        await said(invited)
    finally:
        await bot.stop()
    # The invited organizer is not in ORGANIZER_IDS: a start does not take the role away.
    bot = await make_bot(clock=FakeClock(MONDAY), organizer_ids=[FIRST]).start()
    try:
        assert "Registrations so far" in await _admin(emulator, THIRD)
        code, out = await _roles_cli(emulator, db_path, "list")
        assert code == 0, out
        lines = out.splitlines()
        assert any(line.startswith(f"{FIRST}\torganizer\tfrom ORGANIZER_IDS") for line in lines)
        assert any(line.startswith(f"{THIRD}\torganizer\tfrom invite link") for line in lines)
        assert any(
            line.startswith(f"{delegate.id}\tdelegate\tfrom recommendation assigned")
            for line in lines
        )
    finally:
        await bot.stop()
