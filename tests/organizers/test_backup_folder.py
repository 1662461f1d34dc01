"""The backups folder holds copies of everyone's names and phones: whoever started the bot,
with whatever umask (a service manager's `UMask=0000`), it is created for its owner only."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

from sandbox import BotApiEmulator
from storage.database import Database
from tests.handlers.test_inbox import bot_env


async def test_the_backups_folder_is_private_even_under_umask_0(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    db_path = tmp_path / "multaqa.db"
    db = await Database(db_path).open()
    await db.close()
    process = await asyncio.create_subprocess_exec(
        "sh",
        "-c",
        'umask 0000 && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "bot.cli",
        "backup",
        env=bot_env(emulator, db_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    copy = Path(out.decode().strip().splitlines()[-1])
    assert copy.parent == tmp_path / "backups"  # the default folder, beside the database
    assert stat.S_IMODE(os.stat(copy.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
