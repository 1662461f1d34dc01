"""Cancels arriving anywhere in a write: the writer is never left inside a transaction, and a
cancelled task is never carried on as if nothing happened."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from storage.database import Database

INSERT = "INSERT INTO audit_log (at, actor_id, action, subject, details) VALUES (?, 1, ?, '', '{}')"


async def _statement_by_statement(db: Database, n: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(INSERT, ("2026-01-01", f"a{n}"))
        await conn.execute(INSERT, ("2026-01-01", f"b{n}"))


async def _as_one_function(db: Database, n: int) -> None:
    def work(raw):  # type: ignore[no-untyped-def]
        raw.execute(INSERT, ("2026-01-01", f"a{n}"))
        raw.execute(INSERT, ("2026-01-01", f"b{n}"))

    await db.write(work)


async def test_a_thousand_random_cancels_leave_no_transaction_open_and_swallow_none(
    tmp_path: Path,
) -> None:
    db = await Database(tmp_path / "cancel.db").open()
    rng = random.Random(20261208)
    swallowed = failed = cancelled = 0
    try:
        for n in range(1000):
            kind = _statement_by_statement if n % 2 else _as_one_function
            task = asyncio.create_task(kind(db, n))
            for _ in range(rng.randrange(0, 12)):  # the cancel lands at a random point
                await asyncio.sleep(0)
            requested = task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                cancelled += 1
            except Exception:
                failed += 1
            else:
                swallowed += requested  # asked to stop while running, and it carried on
            # The writer is never left inside a transaction: the next write goes through (a
            # group commit a cancelled leader began finishes first), and none is open after.
            await db.write(lambda raw: None)
            assert db._writer is not None and not db._writer.in_transaction, n
        # Each write is whole or absent: never half of one.
        rows = await db.fetchall("SELECT action FROM audit_log")
        actions = {r["action"] for r in rows}
        assert all((f"b{a[1:]}" in actions) == (f"a{a[1:]}" in actions) for a in actions)
        await _statement_by_statement(db, 10_000)  # and the writer still works
        assert await db.fetchone("SELECT 1 FROM audit_log WHERE action = 'a10000'") is not None
    finally:
        await db.close()
    print(f"cancelled={cancelled} swallowed={swallowed} failed={failed}")
    assert (swallowed, failed) == (0, 0)
    assert cancelled > 500  # the cancels did land inside the writes
