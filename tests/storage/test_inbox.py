"""The inbox table: duplicates recognised, effects of an update applied once, bounded size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storage.database import AlreadyApplied, Database, UpdateScope, update_scope
from storage.inbox import InboxRepository


def _raw(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": "hi"}}


async def test_an_update_sent_again_after_a_crash_is_stored_once(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        inbox = InboxRepository(db)
        assert [u["update_id"] for u in await inbox.accept([_raw(1), _raw(2)])] == [1, 2]
        # Telegram sends 2 again (its offset was not confirmed before the crash) with 3.
        assert [u["update_id"] for u in await inbox.accept([_raw(2), _raw(3)])] == [3]
        await inbox.mark([1])
        assert [row.update_id for row in await inbox.unhandled()] == [2, 3]
    finally:
        await db.close()


async def test_the_writes_of_a_replayed_update_are_refused_once_applied(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        inbox = InboxRepository(db)
        await inbox.accept([_raw(7)])
        token = update_scope.set(UpdateScope(7))
        try:  # the first run: two writes, then the process dies before "handled"
            await db.execute("INSERT INTO audit_log (at, action) VALUES ('t', 'first')")
            await db.execute("INSERT INTO audit_log (at, action) VALUES ('t', 'second')")
        finally:
            update_scope.reset(token)
        [row] = await inbox.unhandled()
        assert row.applied
        token = update_scope.set(UpdateScope(7, applied_before=row.applied))
        try:  # the replay
            with pytest.raises(AlreadyApplied):
                await db.execute("INSERT INTO audit_log (at, action) VALUES ('t', 'first')")
        finally:
            update_scope.reset(token)
        rows = await db.fetchall("SELECT action FROM audit_log ORDER BY id")
        assert [r["action"] for r in rows] == ["first", "second"]
    finally:
        await db.close()


async def test_handled_rows_are_pruned_after_a_while(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        inbox = InboxRepository(db)
        await inbox.accept([_raw(i) for i in range(1, 2001)])
        await inbox.mark(range(1, 1901))
        await db.execute(
            "UPDATE inbox SET handled_at = ? WHERE update_id <= 1500",
            (int(time.time()) - 3 * 86400,),
        )
        assert await inbox.prune() == 1500
        assert await inbox.counts() == {"handled": 400, "new": 100}
    finally:
        await db.close()
