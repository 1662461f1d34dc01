"""A database that cannot be used stops `multaqa run` at once with one clear line and exit 2;
the files it creates are readable by their owner only."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import BotApiEmulator
from storage.database import Database
from tests.handlers.test_inbox import bot_env


async def _run(
    emulator: BotApiEmulator, db_path: Path, wrapper: tuple[str, ...] = ()
) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *wrapper,
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=bot_env(emulator, db_path),
        cwd=Path(__file__).parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), 30)  # no hang
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, err.decode()


async def _real_database(path: Path) -> None:
    db = await Database(path).open()
    await db.close()


def _make_immutable(path: Path) -> None:
    """Read-only for everyone, root included (root ignores file modes)."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        path.parent.chmod(0o500)
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr is needed to make a file read-only for root")
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"chattr +i not allowed here: {result.stderr.decode().strip()}")


def _undo_immutable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    else:
        path.parent.chmod(0o700)
        path.chmod(0o600)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("garbage", "is not a Multaqa database"),
        ("truncated", "damaged, truncated"),
        ("missing_folder", "does not exist"),
        ("directory", "is a folder, not a database file"),
        ("read_only", "cannot be written"),
    ],
)
async def test_an_unusable_database_gives_one_clear_line_and_exit_2(
    emulator: BotApiEmulator, tmp_path: Path, case: str, expected: str
) -> None:
    db_path = tmp_path / "multaqa.db"
    if case == "garbage":
        db_path.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    elif case == "truncated":
        await _real_database(db_path)
        data = db_path.read_bytes()
        db_path.write_bytes(data[: len(data) // 3 or 100])
    elif case == "missing_folder":
        db_path = tmp_path / "no-such-folder" / "multaqa.db"
    elif case == "directory":
        db_path.mkdir()
    elif case == "read_only":
        await _real_database(db_path)
        for side in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            side.unlink(missing_ok=True)
        _make_immutable(db_path)
    try:
        code, err = await _run(emulator, db_path)
    finally:
        if case == "read_only":
            _undo_immutable(db_path)
    assert code == 2, err
    assert "Traceback" not in err, err
    assert expected in err, err
    lines = [line for line in err.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 2, err  # a title and the reason, not a log dump
    print(f"\n{case}: {lines[1].strip()}")


async def test_database_and_its_side_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "multaqa.db"
    db = await Database(path).open()
    try:
        await db.execute("INSERT INTO audit_log (at, action) VALUES ('x', 'y')")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o600] * 3
    finally:
        await db.close()


async def test_the_command_line_says_the_same_about_an_unusable_database(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    db_path = tmp_path / "multaqa.db"
    db_path.write_bytes(b"not sqlite" * 300)
    text = tmp_path / "message.txt"
    text.write_text("Hello", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "broadcast",
        "--text",
        str(text),
        "--yes",
        env=bot_env(emulator, db_path),
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "is not a Multaqa database" in err.decode() and "Traceback" not in err.decode()


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
async def test_a_database_with_damaged_pages_gives_one_clear_line_and_exit_2(
    emulator: BotApiEmulator, tmp_path: Path, where: float
) -> None:
    """16 KiB of garbage written inside the file (a failing disk, a bad copy): the start-up
    check reads every page, so the bot says so before any query meets the damage."""
    db_path = tmp_path / "multaqa.db"
    await _real_database(db_path)
    size = db_path.stat().st_size
    with db_path.open("r+b") as file:
        file.seek(int(size * where) // 4096 * 4096 + 512)  # inside a page, past its header
        file.write(random.Random(18).randbytes(16 * 1024))
    code, err = await _run(emulator, db_path)
    assert code == 2, err
    assert "Traceback" not in err, err
    assert "damaged" in err, err
    lines = [line for line in err.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 2, err  # a title and the reason
    print(f"\ndamaged at {where:.0%}: {lines[1].strip()}")


def _read_only_mount(folder: Path) -> tuple[str, ...]:
    """A command prefix that runs the rest with `folder` mounted read-only (a private mount
    namespace: nothing outside the process sees it), or skips where that is not allowed."""
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, str(folder), "true"],
        capture_output=True,
        check=False,
    )
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip(f"no private read-only mount here: {probe.stderr.decode().strip()}")
    return ("unshare", "--mount", "sh", "-c", script, str(folder))


@pytest.mark.parametrize("case", ["read_only_mount", "system_folder"])
async def test_a_database_folder_that_cannot_be_written_gives_one_clear_line_and_exit_2(
    emulator: BotApiEmulator, tmp_path: Path, case: str
) -> None:
    """The folder of DATABASE_PATH mounted read-only (EROFS) or one the kernel lets nobody
    write into, root included (/sys, EACCES): the lock file cannot be made there."""
    if case == "read_only_mount":
        folder = tmp_path / "data"
        folder.mkdir()
        db_path = folder / "multaqa.db"
        await _real_database(db_path)
        wrapper = _read_only_mount(folder)
    else:
        db_path, wrapper = Path("/sys/multaqa.db"), ()
    code, err = await _run(emulator, db_path, wrapper)
    assert code == 2, err
    assert "Traceback" not in err, err
    assert "cannot be written" in err and "multaqa.db.lock" in err, err
    lines = [line for line in err.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 2, err  # a title and the reason
    print(f"\n{case}: {lines[1].strip()}")


async def test_a_database_too_big_to_check_in_time_opens_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The start-up check has a time limit: a file it cannot read in time is not refused."""
    import storage.database

    path = tmp_path / "multaqa.db"
    await _real_database(path)
    monkeypatch.setattr(storage.database, "QUICK_CHECK_SECONDS", 0.0)
    db = await Database(path).open()
    try:
        assert await db.schema_version() == db.latest_version
    finally:
        await db.close()
    assert "start-up check of the database was cut short" in caplog.text
