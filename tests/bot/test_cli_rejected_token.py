"""Every `multaqa` command that talks to Telegram meets a token Telegram rejects (revoked,
mistyped) the way `multaqa run` does: one line in the operator's language, exit status 2, no
traceback, and never the token (PTB's InvalidToken message quotes it)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from sandbox import BotApiEmulator
from tests.handlers.test_inbox import bot_env

REJECTED = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-revoked"

EXPECTED = {
    "en": "Telegram refused BOT_TOKEN",
    "fr": "Telegram a refusé BOT_TOKEN",
    "ar": "رفض تلغرام BOT_TOKEN",
}


async def _multaqa(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("command", "lang"),
    [("qr", "en"), ("qr", "ar"), ("broadcast", "fr"), ("broadcast", "en")],
)
async def test_a_rejected_token_is_one_line_without_the_token_and_exit_2(
    emulator: BotApiEmulator, tmp_path: Path, command: str, lang: str
) -> None:
    env = bot_env(emulator, tmp_path / "multaqa.db", BOT_TOKEN=REJECTED, LOG_LEVEL="DEBUG")
    args = [command, "--lang", lang]
    if command == "broadcast":
        message = tmp_path / "message.txt"
        message.write_text("Navette depuis Agadir à 7h05", encoding="utf-8")
        args += ["--text", str(message), "--yes"]
    code, out, err = await _multaqa(env, tmp_path, *args)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert EXPECTED[lang] in lines[0] and f"multaqa {command}" in lines[0]
    assert REJECTED not in out + err and REJECTED.split(":")[1] not in out + err
    assert "Traceback" not in err
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".png")]  # no poster
    assert emulator.request_counts["sendMessage"] == 0
