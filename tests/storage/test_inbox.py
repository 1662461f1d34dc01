"""The inbox table: duplicates recognised (per bot), effects of an update applied once, bounded
size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storage.clock import FakeClock
from storage.database import (
    AlreadyApplied,
    Database,
    UpdateScope,
    bundled_migrations,
    update_scope,
)
from storage.drafts import Draft, DraftRepository
from storage.inbox import BotChange, InboxRepository, highest_update_id

BOT = 123456  # the bot whose updates these are (Telegram numbers updates per bot)
OTHER = 7654321  # another bot, on the same database


def _raw(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": "hi"}}


async def test_an_update_sent_again_after_a_crash_is_stored_once(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        inbox = InboxRepository(db, bot_id=BOT)
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
        inbox = InboxRepository(db, bot_id=BOT)
        await inbox.claim()  # this bot's rows: the marks find them
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
        inbox = InboxRepository(db, bot_id=BOT)
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


async def test_the_same_update_id_from_another_bot_is_a_new_update(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        first, other = InboxRepository(db, bot_id=BOT), InboxRepository(db, bot_id=OTHER)
        assert [u["update_id"] for u in await first.accept([_raw(1), _raw(2)])] == [1, 2]
        await first.mark([1, 2])
        # Telegram numbers each bot's updates on their own: 1 and 2 of the other bot are new.
        assert [u["update_id"] for u in await other.accept([_raw(1), _raw(2)])] == [1, 2]
        assert [u["update_id"] for u in await other.accept([_raw(2)])] == []  # its own again
        await other.mark([1])
        assert [row.update_id for row in await other.unhandled()] == [2]
        assert await first.unhandled() == []  # neither bot sees the other's rows
        assert await first.counts() == {"handled": 3, "new": 1}
    finally:
        await db.close()


async def test_a_bot_starting_on_another_bots_database_forgets_that_bots_update_ids(
    tmp_path: Path,
) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        first = InboxRepository(db, bot_id=BOT)
        assert await first.claim() is None  # the first bot on this database
        await first.accept([_raw(5), _raw(6)])
        await first.mark([5])
        drafts = DraftRepository(db, FakeClock())
        await drafts.save(Draft(1001, "registration", "name", update_id=6))
        assert await first.claim() is None  # the same bot again (its token may be new)
        assert (await drafts.get(1001, "registration")).update_id == 6  # type: ignore[union-attr]

        change = await InboxRepository(db, bot_id=OTHER).claim()
        assert change == BotChange(previous_bot_id=BOT, left_unhandled=1)
        # Its update 1 must not look like a replay of the other bot's update 6.
        draft = await drafts.get(1001, "registration")
        assert draft is not None and draft.update_id is None and draft.step == "name"
        assert [row.update_id for row in await first.unhandled()] == [6]  # kept for that bot
    finally:
        await db.close()


async def test_rows_stored_before_the_upgrade_belong_to_the_first_bot_that_starts(
    tmp_path: Path,
) -> None:
    shipped = bundled_migrations()
    upgrade = next(m for m in shipped if m.name == "inbox_per_bot")
    path = tmp_path / "m.db"
    old = await Database(path, migrations=shipped[: upgrade.version - 1]).open()
    try:  # a bot of the previous version stored two updates and handled one
        await old.execute(
            "INSERT INTO inbox (update_id, payload, received_at, state) VALUES "
            "(41, '{\"update_id\": 41}', 1, 'handled'), (42, '{\"update_id\": 42}', 1, 'new')"
        )
    finally:
        await old.close()
    db = await Database(path).open()
    try:
        inbox = InboxRepository(db, bot_id=BOT)
        assert await inbox.claim() is None
        assert [row.update_id for row in await inbox.unhandled()] == [42]  # replayed by it
        assert await inbox.accept([_raw(41)]) == []  # and 41 still recognised
    finally:
        await db.close()


async def test_the_highest_update_id_is_every_bots_and_the_drafts(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        assert await highest_update_id(db) == 0
        await InboxRepository(db, bot_id=BOT).accept([_raw(3), _raw(9)])
        await InboxRepository(db, bot_id=OTHER).accept([_raw(12)])
        assert await highest_update_id(db) == 12
        # Handled rows are pruned after two days; a draft keeps the id that last moved it.
        await DraftRepository(db, FakeClock()).save(Draft(1001, "proposal", "text", update_id=30))
        assert await highest_update_id(db) == 30
    finally:
        await db.close()
