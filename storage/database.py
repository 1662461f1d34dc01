"""The SQLite database: one writer connection, one reader connection, migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


Params = Iterable[Any] | Mapping[str, Any]


def _bind(params: Params) -> tuple[Any, ...] | Mapping[str, Any]:
    return params if isinstance(params, Mapping) else tuple(params)


class DatabaseClosedError(RuntimeError):
    """The database was used after `close()`."""


class DatabaseTooNewError(RuntimeError):
    """The file was migrated by a newer Multaqa than this one."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file from storage/migrations."""

    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


async def _configure(conn: aiosqlite.Connection) -> None:
    """Per-connection settings: WAL for concurrent readers, FKs enforced, wait on locks."""
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA synchronous=NORMAL")


class Database:
    """Owns the connections. Every write goes through `transaction()` (one at a time,
    `BEGIN IMMEDIATE`); reads use a separate connection that only sees committed data."""

    def __init__(self, path: Path | str, migrations: Iterable[Migration] | None = None) -> None:
        self.path = Path(path)
        self._migrations = list(migrations) if migrations is not None else bundled_migrations()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._closed = False

    async def open(self) -> Database:
        """Open both connections and bring the schema up to date."""
        if self._closed:
            raise DatabaseClosedError("database was closed")
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
            await self._migrate()
            self._reader = await self._connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await _configure(conn)
        return conn

    async def close(self) -> None:
        """Close the connections; safe to call twice."""
        self._closed = True
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def latest_version(self) -> int:
        """The schema version this code knows."""
        return self._migrations[-1].version if self._migrations else 0

    async def schema_version(self) -> int:
        """The highest migration applied to the file."""
        rows = await self.fetchall("SELECT MAX(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)

    async def _migrate(self) -> None:
        conn = self._require(self._writer)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        current = int(row[0]) if row else 0
        if current > self.latest_version:
            raise DatabaseTooNewError(
                f"{self.path} has schema version {current}, but this Multaqa only knows up to "
                f"{self.latest_version}: upgrade Multaqa (or use a backup made for this version)."
            )
        for migration in self._migrations:
            if migration.version <= current:
                continue
            log.info("applying migration %04d_%s", migration.version, migration.name)
            # executescript commits whatever is pending first, so the whole file plus its
            # bookkeeping row is wrapped in one explicit transaction.
            stamp = datetime.now(UTC).isoformat()
            await conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + migration.sql
                + "\nINSERT INTO schema_migrations (version, name, applied_at) VALUES "
                + f"({migration.version}, '{migration.name}', '{stamp}');\nCOMMIT;"
            )

    @staticmethod
    def _require(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise DatabaseClosedError("database is not open (or was closed)")
        return conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The single write path: one `BEGIN IMMEDIATE` transaction at a time."""
        async with self._write_lock:
            conn = self._require(self._writer)
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns rows affected."""
        async with self.transaction() as conn, conn.execute(sql, _bind(params)) as cur:
            return cur.rowcount

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read committed rows."""
        conn = self._require(self._reader or self._writer)
        # One call: the statement runs to completion before any other coroutine's statement
        # on this connection, so no open cursor holds an old read snapshot (WAL).
        return list(await conn.execute_fetchall(sql, _bind(params)))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read one committed row, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def table_names(self) -> list[str]:
        """User tables, for tests and diagnostics."""
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return [row["name"] for row in rows]
