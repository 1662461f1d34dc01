"""`multaqa qr` on a machine that cannot reach Telegram."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_qr_without_network_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    port = _closed_port()
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-token",
        "DATABASE_PATH": str(tmp_path / "m.db"),
        "DEFAULT_LOCALE": "en",
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "BOT_API_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "qr",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1, lines
    assert "Telegram could not be reached" in lines[0] and "--bot-username" in lines[0]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".png")]  # no poster
    assert out == b""
