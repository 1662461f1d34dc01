"""The database: migrations on a blank file and over existing rows, and refusing newer files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.clock import FakeClock
from storage.database import (
    Database,
    DatabaseClosedError,
    DatabaseTooNewError,
    Migration,
    bundled_migrations,
)
from storage.drafts import DraftRepository
from storage.participants import ParticipantRepository, ProfileFields
from storage.roles import AuditLog, RoleRepository


async def test_blank_database_gets_every_table_in_wal_mode(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    try:
        assert await db.table_names() == [
            "audit_log",
            "bot_identity",
            "campaigns",
            "checkins",
            "daily_runs",
            "deliveries",
            "drafts",
            "event_file_seen",
            "event_versions",
            "follow_state",
            "follow_up_prefs",
            "inbox",
            "invites",
            "organizer_notices",
            "organizer_prefs",
            "outbox",
            "participants",
            "prompts",
            "proposal_attachments",
            "proposals",
            "recommendations",
            "roles",
            "schema_migrations",
            "signups",
            "status_updates",
            "update_journal",
            "web_links",
            "web_sessions",
        ]
        assert await db.schema_version() == db.latest_version
        indexes = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL ORDER BY name"
        )
        assert [r["name"] for r in indexes] == [
            "audit_log_at",
            "campaigns_state",
            "deliveries_state",
            "drafts_expiry",
            "drafts_one_active",
            "inbox_pending",
            "organizer_notices_due",
            "outbox_pending",
            "participants_function",
            "participants_region",
            "participants_username",
            "prompts_due",
            "prompts_user",
            "proposal_attachments_proposal",
            "proposals_author",
            "proposals_theme",
            "recommendations_owner",
            "signups_user",
            "signups_workshop",
            "status_updates_at",
            "status_updates_rec",
            "web_sessions_user",
        ]
        keys = await db.fetchall("SELECT name FROM pragma_table_info('drafts') WHERE pk > 0")
        assert {r["name"] for r in keys} == {"user_id", "flow"}
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    await (await Database(path).open()).close()
    db = await Database(path).open()
    rows = await db.fetchall("SELECT version FROM schema_migrations")
    await db.close()
    assert [r["version"] for r in rows] == list(range(1, len(rows) + 1))


async def test_upgrade_keeps_existing_rows(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    shipped = bundled_migrations()
    clock = FakeClock()
    old = await Database(path, migrations=shipped[:1]).open()  # an older Multaqa made this file
    await old.execute(  # as that Multaqa wrote its drafts
        "INSERT INTO drafts (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)",
        (7, "registration", "name", '{"locale": "fr"}', clock.now().isoformat()),
    )
    await old.close()
    extra = Migration(len(shipped) + 1, "add_note", "ALTER TABLE drafts ADD COLUMN note TEXT;")
    db = await Database(path, migrations=[*shipped, extra]).open()
    draft = await DraftRepository(db, clock).get(7, "registration")
    assert draft is not None and draft.step == "name" and draft.data == {"locale": "fr"}
    assert await db.schema_version() == extra.version
    await db.close()


async def test_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    await (await Database(path).open()).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01')")
    with pytest.raises(DatabaseTooNewError, match="schema version 99"):
        await Database(path).open()


async def test_failed_migration_leaves_nothing_half_applied(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    bad = Migration(1, "broken", "CREATE TABLE a (x INTEGER);\nCREATE TABLE a (y INTEGER);")
    with pytest.raises(sqlite3.OperationalError):
        await Database(path, migrations=[bad]).open()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "a" not in tables


async def test_use_after_close_raises_and_close_twice_is_safe(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    await db.close()
    await db.close()
    with pytest.raises(DatabaseClosedError):
        await db.fetchall("SELECT 1")


async def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").open()
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO roles (user_id, role, granted_at) VALUES (1, 'organizer', 'now')"
            )
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM roles") == []
    await db.close()


async def test_participant_profile_round_trip_and_reachability(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    repo = ParticipantRepository(db, clock)
    fields = ProfileFields(
        "ar",
        clock.now(),
        "Fatima Zahra El Idrissi",
        "inspector",
        None,
        "souss_massa",
        "Délégation d'Agadir",
        "+212612345678",
    )
    saved = await repo.save_profile(42, 42, fields)
    assert (saved.full_name, saved.region_code, saved.phone, saved.reachable) == (
        "Fatima Zahra El Idrissi",
        "souss_massa",
        "+212612345678",
        True,
    )
    assert await repo.set_reachable(42, False) is True
    assert await repo.set_reachable(42, False) is False  # already so
    figures = await repo.figures()
    assert (figures.registered, figures.unreachable, figures.by_region) == (
        1,
        1,
        {"souss_massa": 1},
    )
    await db.close()


async def test_organizers_from_settings_are_granted_once_and_audited(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    roles = RoleRepository(db, clock)
    assert await roles.sync_organizers([5, 6]) == ([5, 6], [])
    assert await roles.sync_organizers([5, 6]) == ([], [])
    assert await roles.roles_of(5) == frozenset({"organizer"})
    entries = await AuditLog(db, clock).entries()
    assert [(e["action"], e["subject"]) for e in entries] == [
        ("role.grant", "user:6"),
        ("role.grant", "user:5"),
    ]
    await db.close()


async def test_organizer_ids_are_the_truth_except_for_terminal_grants(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database(tmp_path / "m.db").open()
    roles = RoleRepository(db, clock)
    await roles.sync_organizers([5, 6, 7])
    assert await roles.grant(7, "organizer", None, "terminal")  # now kept on purpose
    assert await roles.sync_organizers([5]) == ([], [6])
    assert await roles.holders("organizer") == [5, 7]
    assert [(g.user_id, g.source) for g in await roles.grants()] == [
        (5, "settings"),
        (7, "terminal"),
    ]
    assert await roles.revoke(7, "organizer", None, "terminal")
    assert not await roles.revoke(7, "organizer", None, "terminal")
    entries = [
        (e["action"], e["subject"], e["details"]) for e in await AuditLog(db, clock).entries()
    ]
    assert entries[:3] == [
        ("role.revoke", "user:7", {"role": "organizer", "by": "terminal"}),
        (
            "role.revoke",
            "user:6",
            {"role": "organizer", "source": "settings", "reason": "not in ORGANIZER_IDS"},
        ),
        ("role.grant", "user:7", {"role": "organizer", "source": "terminal", "was": "settings"}),
    ]
    await db.close()
