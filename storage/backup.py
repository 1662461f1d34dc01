"""Consistent copies of the database while the bot runs (SQLite's online backup API), and the
rotation of the daily copies.

The copy is taken page by page from a read snapshot: writers are never blocked for long, and
the copy is a complete database as of one moment (WAL content included). Restoring is copying
the file back while the bot is stopped (see the README)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path

BACKUP_GLOB = "multaqa-*.db"
PARTIAL = ".partial"
STALE_PARTIAL_SECONDS = 24 * 3600  # a partial copy this old was left by a process that died


def create_private(path: Path) -> Path:
    """An empty file readable by this user only (mode 0600, like the database itself): copies
    and exports hold people's names and phones. A file already there is emptied and made so."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def backup_file(source: Path, target: Path) -> Path:
    """Copy `source` into `target` (written next to it first, then renamed: never half a file).

    The partial file's name is this copy's own: the daily copy, `multaqa backup` and /admin
    may copy at the same second without writing into each other's file."""
    # Made for this user only, whatever the umask: every copy in it holds names and phones.
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=PARTIAL)
    os.close(fd)  # mode 0600; an empty file is an empty database to SQLite
    partial = Path(name)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: one read snapshot, never restarted by writers
                # A single file: no -wal beside the copy, whatever the source's journal mode.
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise RuntimeError(f"the copy failed its integrity check: {check}")
            finally:
                dst.close()
        finally:
            src.close()
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup_name(now: datetime) -> str:
    """A sortable file name for a copy taken at `now` (UTC)."""
    return f"multaqa-{now.strftime('%Y%m%dT%H%M%SZ')}.db"


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` copies in `folder`; returns what was deleted."""
    copies = sorted(folder.glob(BACKUP_GLOB))
    doomed = copies[: max(0, len(copies) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    for stale in folder.glob(f"{BACKUP_GLOB}.*{PARTIAL}"):  # left by a process that died
        try:
            age = time.time() - stale.stat().st_mtime
        except FileNotFoundError:  # another copy being made just finished (or gave up)
            continue
        if age > STALE_PARTIAL_SECONDS:
            stale.unlink(missing_ok=True)
    return doomed


async def backup_async(source: Path, target: Path) -> Path:
    """`backup_file` in a worker thread (the event loop keeps serving)."""
    return await asyncio.to_thread(backup_file, source, target)
