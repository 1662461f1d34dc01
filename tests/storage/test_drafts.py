"""The drafts table: one active draft per person, expiry, and the upgrade of older files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from storage.clock import FakeClock
from storage.database import Database, bundled_migrations
from storage.drafts import Draft, DraftRepository


async def test_saving_a_draft_puts_the_active_one_aside(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        drafts = DraftRepository(db, FakeClock())
        assert await drafts.save(Draft(7, "registration", "consent", {"locale": "en"})) == []
        assert await drafts.save(Draft(7, "broadcast", "text", {"texts": {}})) == ["registration"]
        assert await drafts.save(Draft(8, "proposal", "theme")) == []  # someone else: untouched
        mine = await drafts.of_user(7)
        assert [(d.flow, d.active) for d in mine] == [("broadcast", True), ("registration", False)]
        assert await drafts.save(mine[1]) == ["broadcast"]  # taken back
    finally:
        await db.close()


async def test_expired_drafts_are_never_read_and_are_swept(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        clock = FakeClock()
        drafts = DraftRepository(db, clock)
        await drafts.save(Draft(7, "review", "tag", {"pid": 1}), timedelta(minutes=10))
        await drafts.save(Draft(8, "proposal", "collect", {"text": "x"}))
        clock.advance(timedelta(minutes=10))
        assert await drafts.get(7, "review") is None
        assert await drafts.get(8, "proposal") is not None
        clock.advance(timedelta(hours=24))
        assert await drafts.sweep() == 2
        assert await db.fetchall("SELECT * FROM drafts") == []
    finally:
        await db.close()


async def test_upgrade_keeps_one_active_draft_per_person_for_a_day(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    shipped = bundled_migrations()
    ours = next(m.version for m in shipped if m.name == "conversations")
    old = await Database(path, migrations=shipped[: ours - 1]).open()  # before the manager
    for flow, at in (("registration", "08:00"), ("broadcast", "09:00"), ("proposal", "07:00")):
        await old.execute(
            "INSERT INTO drafts (user_id, flow, step, data, updated_at) "
            "VALUES (7, ?, 's', '{}', ?)",
            (flow, f"2026-01-01T{at}:00.250000+00:00"),
        )
    await old.close()
    db = await Database(path).open()
    try:
        clock = FakeClock()  # 2026-01-01 08:00 UTC
        drafts = DraftRepository(db, clock)
        assert [(d.flow, d.active) for d in await drafts.of_user(7)] == [
            ("broadcast", True),
            ("registration", False),
            ("proposal", False),
        ]
        clock.advance(timedelta(hours=23, minutes=30))  # the proposal's day is over
        assert [d.flow for d in await drafts.of_user(7)] == ["broadcast", "registration"]
    finally:
        await db.close()
