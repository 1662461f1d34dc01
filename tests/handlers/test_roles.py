"""Roles: ORGANIZER_IDS is the truth at every start, and `multaqa roles` grants and revokes on
the terminal (taking effect at the next press, kept across starts, audited)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sandbox import BotApiEmulator
from tests.harness import RunningBot, said_text

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
