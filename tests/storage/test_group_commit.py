"""Writes made at the same moment are committed together (one transaction, one trip to the
writer's thread), yet each stands alone: one that fails leaves the others saved, and a write
returns only once it is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.database import AlreadyApplied, Database, Query, UpdateScope, update_scope


async def _open(path: Path) -> Database:
    db = await Database(path).open()
    await db.execute("CREATE TABLE notes (who INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    return db


def _note(who: int, text: str | None):  # type: ignore[no-untyped-def]
    def work(conn: sqlite3.Connection) -> int:
        return conn.execute("INSERT INTO notes (who, text) VALUES (?, ?)", (who, text)).rowcount

    return work


async def test_two_hundred_writes_at_once_are_all_saved_and_one_bad_one_fails_alone(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path / "g.db")
    try:
        # Person 13's note is refused (NOT NULL); the 199 others are written at the same time.
        writes = [db.write(_note(who, None if who == 13 else f"note {who}")) for who in range(200)]
        results = await asyncio.gather(*writes, return_exceptions=True)

        assert isinstance(results[13], sqlite3.IntegrityError)
        assert [r for i, r in enumerate(results) if i != 13] == [1] * 199
        rows = await db.fetchall("SELECT who FROM notes ORDER BY who")
        assert [row["who"] for row in rows] == [w for w in range(200) if w != 13]
    finally:
        await db.close()


async def test_a_write_is_readable_from_another_connection_when_it_returns(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path / "g.db")
    try:
        await db.write(_note(1, "first"))
        with sqlite3.connect(tmp_path / "g.db") as other:  # another process would see it too
            assert other.execute("SELECT text FROM notes").fetchall() == [("first",)]
    finally:
        await db.close()


async def test_each_update_of_a_group_is_marked_applied_and_a_replay_is_refused(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path / "g.db")
    try:
        await db.execute(
            "INSERT INTO inbox (update_id, payload, received_at) VALUES (1, '{}', 0), (2, '{}', 0)"
        )

        async def handle(update_id: int, who: int) -> None:
            token = update_scope.set(UpdateScope(update_id))
            try:
                await db.write(_note(who, "x"))
            finally:
                update_scope.reset(token)

        await asyncio.gather(handle(1, 10), handle(2, 20))
        applied = await db.fetchall("SELECT update_id FROM inbox WHERE applied = 1 ORDER BY 1")
        assert [row["update_id"] for row in applied] == [1, 2]

        # After a crash, update 1 comes again: its write must not be made a second time.
        token = update_scope.set(UpdateScope(1, applied_before=True))
        try:
            with pytest.raises(AlreadyApplied):
                await db.write(_note(11, "again"))
        finally:
            update_scope.reset(token)
        assert len(await db.fetchall("SELECT who FROM notes")) == 2
    finally:
        await db.close()


async def test_a_write_cancelled_before_its_turn_is_never_committed(tmp_path: Path) -> None:
    db = await _open(tmp_path / "g.db")
    try:
        async with db.transaction() as conn:  # holds the write lock: the next write queues
            queued = asyncio.ensure_future(db.write(_note(5, "late")))
            await asyncio.sleep(0)  # let it queue behind the lock
            queued.cancel()
            await conn.execute("INSERT INTO notes (who, text) VALUES (6, 'now')")
        with pytest.raises(asyncio.CancelledError):
            await queued
        await db.write(_note(7, "next"))  # the next group must not carry the cancelled one
        rows = await db.fetchall("SELECT who FROM notes ORDER BY who")
        assert [row["who"] for row in rows] == [6, 7]
    finally:
        await db.close()


async def test_reads_made_together_give_each_query_its_own_value_in_order(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path / "g.db")
    try:
        await db.write(_note(1, "one"))
        count = Query("SELECT COUNT(*) AS n FROM notes", (), lambda rows: rows[0]["n"])
        texts = Query("SELECT text FROM notes", (), lambda rows: [r["text"] for r in rows])
        assert await db.read_together(count, texts) == [1, ["one"]]
    finally:
        await db.close()
