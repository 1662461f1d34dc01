"""A full disk: the person is told their answer was NOT saved, organizers are alerted once."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_registration import walk_to_summary
from tests.harness import RunningBot, said_text


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB file system of its own (tmpfs), so that filling it harms nobody."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.fixture
def db_path(tiny_disk: Path) -> Path:
    """The bot's database lives on the tiny disk."""
    return tiny_disk / "multaqa.db"


def fill(disk: Path) -> None:
    """Write a ballast file until the file system says it is full."""
    chunk = b"\0" * 65536
    fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)


async def test_a_full_disk_is_never_reported_as_saved(
    emulator: BotApiEmulator, bot: RunningBot, tiny_disk: Path
) -> None:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    organizer.open_chat()
    first = emulator.user(first_name="Amal", language_code="en")
    second = emulator.user(first_name="Badr", language_code="en")
    await walk_to_summary(first, "en", name="Amal Bennani")
    await walk_to_summary(second, "en", name="Badr Alaoui")
    fill(tiny_disk)
    await first.press("✅ Confirm")
    answer = await said_text(first)
    assert "NOT saved" in answer and "try again later" in answer
    assert "You are registered" not in answer
    await second.press("✅ Confirm")
    assert "NOT saved" in await said_text(second)
    assert await bot.services.participants.get(first.id) is None
    assert (await said_text(organizer)).startswith("🚨")  # in the default language (ar)
    await organizer.expect_silence(0.5)  # once, not once per failure
    (tiny_disk / "ballast").unlink()  # room again: the same press now works
    await first.press("✅ Confirm")
    assert "You are registered" in await said_text(first)
