"""The SQLite database: one writer connection, one reader connection, migrations.

Also the "effects of update N" guard of the durable inbox (see storage/inbox.py): while a
handler runs for an update, `update_scope` names it; the first write transaction of that
handling marks the update applied in the same transaction, and when a replayed update was
already applied by a run that died, its writes are refused with `AlreadyApplied` instead of
being made twice. Every flow gets this without doing anything.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite

from storage.journal import OPAQUE, READ, WRITE, Diverged, Journal, Note, note

log = logging.getLogger(__name__)
# The start-up check's time limit: it reads every page (a 335 MB file took 0.34 s, cached).
QUICK_CHECK_SECONDS = 10.0

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


Params = Iterable[Any] | Mapping[str, Any]
# What every write path adds to a transaction (`transaction()` and the group commit of `write`)
# Update ids are numbered per bot (storage/inbox.py): the rows of an update are the running
# bot's, the one bot_identity names (0: an inbox from before bots were recorded).
THIS_BOT = "COALESCE((SELECT bot_id FROM bot_identity WHERE id = 1), 0)"
_MARK_APPLIED = f"UPDATE inbox SET applied = 1 WHERE update_id = ? AND bot_id = {THIS_BOT}"
_MARK_HANDLED = "UPDATE inbox SET state = 'handled', handled_at = ? WHERE update_id = ? AND " + (
    f"bot_id = {THIS_BOT}"
)
# A reply's text (names, answers) is not kept once it went out or was given up on.
_MARK_REPLY = "UPDATE outbox SET state = ?, op = '{}' WHERE id = ?"
_KEEP_NOTES = (
    "INSERT OR REPLACE INTO update_journal (update_id, seq, kind, what, payload, bot_id) "
    f"VALUES (?, ?, ?, ?, ?, {THIS_BOT})"
)
# How long a COMMIT or ROLLBACK already under way is waited for, even by a cancelled task,
# before the writer is declared stuck: the lock is never released on an unknown state.
SETTLE_SECONDS = 30.0
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]  # statements run together in the database's thread


@dataclass(frozen=True, slots=True)
class Query(Generic[T]):
    """One read statement and how its rows become a value: several of them are read together,
    in one trip to the reader's thread and from one snapshot (`Database.read_together`)."""

    sql: str
    params: Params
    shape: Callable[[list[sqlite3.Row]], T]


def _bind(params: Params) -> tuple[Any, ...] | Mapping[str, Any]:
    return params if isinstance(params, Mapping) else tuple(params)


async def _in_thread(conn: aiosqlite.Connection, work: Work[T]) -> T:
    """Run `work` with the sqlite3 connection in the aiosqlite connection's own thread, queued
    behind its other calls. aiosqlite has no public call for this: `_execute` and `_conn` are
    what its own methods use (stable from 0.17 to 0.22); this is the one place we rely on them,
    and every write and read of the test suite goes through here."""
    return await conn._execute(lambda: work(conn._conn))


async def in_writer_thread(conn: aiosqlite.Connection, work: Work[T]) -> T:
    """Run `work` on the writer inside a transaction opened with `Database.transaction()`
    (the seat rules are plain functions: one copy serves both write paths)."""
    return await _in_thread(conn, work)


@dataclass(slots=True, eq=False)
class _Write:
    """A write waiting for its group commit (`Database.write`)."""

    work: Work[Any]
    applied: int | None  # the update this write marks applied, if it is its first
    outcome: asyncio.Future[Any]
    journal: _Notes | None = None  # the update's notes to keep with this write


@dataclass(frozen=True, slots=True)
class _Notes:
    """The notes an update's write commits (storage.journal): those made since its previous
    write, then the write's own result (noted in the writer's thread)."""

    update_id: int
    first: int  # the position of the first of them
    notes: list[Note]
    what: str  # what identifies the write (its function)

    def rows(self, result: Any) -> list[tuple[int, int, str, str, bytes]]:
        mine = note(WRITE, self.what, result)
        return [
            (self.update_id, self.first + i, n.kind, n.what, n.payload)
            for i, n in enumerate([*self.notes, mine])
        ]


def _settle(outcome: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if outcome.done():
        return
    if ok:
        outcome.set_result(value)
    else:
        outcome.set_exception(value)


class DatabaseClosedError(RuntimeError):
    """The database was used after `close()`."""


class DatabaseTooNewError(RuntimeError):
    """The file was migrated by a newer Multaqa than this one."""


class DatabaseUnavailableError(RuntimeError):
    """The file cannot be opened, read or written: the message says why, in one line."""


class _MigrationFailed(Exception):
    """A bundled migration's SQL failed (a bug of ours): re-raised as is by open()."""


class DatabaseFullError(RuntimeError):
    """A write failed because the disk (or the size cap) is full: nothing of it was saved."""


class AlreadyApplied(RuntimeError):
    """A replayed update tried to write, but a previous run already committed its effects."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"effects of update {update_id} were already applied")
        self.update_id = update_id


@dataclass(slots=True)
class UpdateScope:
    """The update whose handler is running (set by the update processor): whether its
    effects were committed, what it read and wrote (storage.journal: a replay takes the same
    path), and the replies it decided, sent once they are committed with its effects
    (storage.outbox)."""

    update_id: int
    applied_before: bool = False  # a previous run committed a write of this update
    wrote: bool = False  # this run committed (or replayed) a write of this update
    journal: Journal = field(default_factory=Journal)
    replies: list[dict[str, Any]] = field(default_factory=list)  # decided, not yet committed
    replied: int = 0  # replies committed to the outbox so far (the next one's position)
    locale: str | None = None  # the person's language (to tell them a reply failed)

    def check_writable(self) -> None:
        """Refuse a write the run that died already made, when it cannot be replayed."""
        if self.applied_before and not self.wrote and not self.journal.replaying:
            raise AlreadyApplied(self.update_id)


update_scope: ContextVar[UpdateScope | None] = ContextVar("multaqa_update", default=None)


def _is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


def _why(path: Path, exc: BaseException) -> str:
    """One line saying why the file cannot be used (no traceback for the operator)."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return f"{path} is not a Multaqa database (damaged, truncated or another kind of file)"
    if _is_full(exc):
        return f"{path}: the disk is full"
    if "readonly" in text or "read-only" in text:
        return f"{path} cannot be written (read-only file, folder or file system)"
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder, not a database file"
    if isinstance(exc, PermissionError) or (
        isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    ):
        return (
            f"{path} cannot be written (read-only or immutable file, folder or file system, "
            f"or no permission: {exc.strerror or text})"
        )
    return f"{path} cannot be used: {text}"


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


def _begin(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:  # never expected: undo it rather than fail every write from now on
        log.error("the writer was left inside a transaction: rolled back")
        raw.execute("ROLLBACK")
    raw.execute("BEGIN IMMEDIATE")


def _rollback(raw: sqlite3.Connection) -> None:
    """Undo what is open, if anything is (decided in the writer's thread, from its state)."""
    if raw.in_transaction:
        raw.execute("ROLLBACK")


def _committed(queued: _Write) -> bool:
    outcome = queued.outcome
    return outcome.done() and not outcome.cancelled() and outcome.exception() is None


def _answered(scope: UpdateScope, kind: str, what: str) -> Any:
    """A call of a replayed handler answered from its journal (AlreadyApplied if it took
    another path than the run that died)."""
    try:
        return scope.journal.answer(kind, what)
    except Diverged as exc:
        log.warning("update %s: replay diverged (%s)", scope.update_id, exc)
        raise AlreadyApplied(scope.update_id) from None


async def _settled(work: Awaitable[T]) -> T:
    """Await work that must finish once begun (BEGIN, COMMIT, ROLLBACK in the writer's
    thread), even when the caller is cancelled meanwhile: the cancel is re-raised once the
    connection's state is known, so no transaction is left open behind a released lock."""
    task = asyncio.ensure_future(work)
    cancelled = False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while not task.done():
        try:
            await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
        except asyncio.CancelledError:
            cancelled = True
            continue
        if not task.done():
            log.critical("the database writer did not answer in %.0f s", SETTLE_SECONDS)
            raise DatabaseUnavailableError("the database writer is stuck")
    if cancelled:
        # The work's own outcome is not lost: an error of it is logged, the cancel wins.
        if not task.cancelled() and task.exception() is not None:
            log.error("cancelled during a write that failed: %r", task.exception())
        raise asyncio.CancelledError
    return task.result()


class Database:
    """Owns the connections. Every write takes one write lock and `BEGIN IMMEDIATE`: as a
    function (`write`, group-committed, one trip to the writer's thread: the path of whatever
    runs per update) or statement by statement (`transaction()`, for work that must await
    between statements). Reads use a separate connection that only sees committed data
    (`read_together` for several in one trip)."""

    def __init__(self, path: Path | str, migrations: Iterable[Migration] | None = None) -> None:
        self.path = Path(path)
        self._migrations = list(migrations) if migrations is not None else bundled_migrations()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._closed = False
        self._handled: list[int] = []  # inbox rows to mark handled with the next commit
        self._replies: list[tuple[str, int]] = []  # outbox rows sent (or given up on), ditto
        self._writes: list[_Write] = []  # queued for the next group commit (`write`)

    async def open(self) -> Database:
        """Open both connections, bring the schema up to date and prove the file writable.

        A file that cannot be used raises DatabaseUnavailableError with a one-line reason."""
        if self._closed:
            raise DatabaseClosedError("database was closed")
        if not self.path.parent.is_dir():
            raise DatabaseUnavailableError(
                f"the folder {self.path.parent} of DATABASE_PATH does not exist"
            )
        try:
            self._create_private()
            self._writer = await self._connect()
            await self._check_pages()
            await self._migrate()
            await self._prove_writable()
            self._reader = await self._connect()
            await self._reader.execute_fetchall("SELECT COUNT(*) FROM schema_migrations")
        except _MigrationFailed as failed:
            await self.close()
            raise failed.__cause__ from None  # our bug, not the operator's file: as it is
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise DatabaseUnavailableError(_why(self.path, exc)) from exc
        except BaseException:
            await self.close()
            raise
        return self

    @property
    def is_open(self) -> bool:
        """Whether `open()` succeeded and `close()` was not called."""
        return self._writer is not None

    def _create_private(self) -> None:
        """The file, its -wal and -shm readable by this user only (SQLite gives the side files
        the mode of the database file): people's names and phones are inside."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        for suffix in ("", "-wal", "-shm"):
            side = Path(f"{self.path}{suffix}")
            if side.exists() and side.stat().st_mode & 0o077:
                try:
                    side.chmod(0o600)
                except OSError:
                    log.warning("could not make %s private (mode 0600)", side.name)

    async def _check_pages(self) -> None:
        """SQLite's `quick_check` at every start: pages damaged inside the file (a bad disk, a
        copy cut short) are found here, in one line, not as a traceback from whichever query
        reads them first. Bounded: a file too big to check in time is let through, with a
        warning."""
        seconds = QUICK_CHECK_SECONDS

        def check(raw: sqlite3.Connection) -> str | None:
            deadline = time.monotonic() + seconds
            raw.set_progress_handler(lambda: time.monotonic() > deadline, 100)
            try:
                rows = raw.execute("PRAGMA quick_check(1)").fetchall()
            except sqlite3.OperationalError as exc:
                if "interrupted" not in str(exc):
                    raise
                return None
            finally:
                raw.set_progress_handler(None, 0)
            return str(rows[0][0]) if rows else "ok"

        found = await _in_thread(self._require(self._writer), check)
        if found is None:
            log.warning("the start-up check of the database was cut short after %ss", seconds)
        elif found != "ok":
            # "*** in database main ***\nPage 8: btreeInitPage() returns error code 11"
            detail = [line for line in found.splitlines() if not line.startswith("***")]
            raise DatabaseUnavailableError(
                f"{self.path} is damaged ({(detail or [found])[0]}): restore a backup"
            )

    async def _prove_writable(self) -> None:
        """A real write at every start: a read-only or full file fails here, not mid-answer."""
        conn = self._require(self._writer)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(f"PRAGMA user_version = {self.latest_version}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await _configure(conn)
        except BaseException:
            # Its thread would otherwise keep the process alive (the "hang" at start).
            await conn.close()
            raise
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
            try:
                await conn.executescript(
                    "BEGIN IMMEDIATE;\n"
                    + migration.sql
                    + "\nINSERT INTO schema_migrations (version, name, applied_at) VALUES "
                    + f"({migration.version}, '{migration.name}', '{stamp}');\nCOMMIT;"
                )
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                if _is_full(exc) or any(
                    sign in str(exc)
                    for sign in ("readonly", "malformed", "not a database", "I/O", "unable to open")
                ):
                    raise  # the file's fault: reported as such by open()
                raise _MigrationFailed from exc

    @staticmethod
    def _require(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise DatabaseClosedError("database is not open (or was closed)")
        return conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction whose statements are awaited one by one (for work outside an
        update's handling that must await between statements; per update, use `write`).

        Safe against cancellation: BEGIN, COMMIT and ROLLBACK are decided in the writer's
        thread from the connection's real state, and a COMMIT or ROLLBACK under way is waited
        for even by a cancelled task, so the lock is never released with a transaction open;
        the original exception (the cancel included) is always the one re-raised.

        Within an update's handling its result cannot be noted for a replay (storage.journal):
        such a write is kept as opaque, and a replay that reaches it stops (AlreadyApplied)."""
        scope = update_scope.get()
        if scope is not None:
            scope.check_writable()
            if scope.journal.replaying:  # its result was not noted: the replay ends here
                scope.journal.replay = None
                raise AlreadyApplied(scope.update_id)
        async with self._write_lock:
            conn = self._require(self._writer)
            try:
                await _settled(_in_thread(conn, _begin))
            except sqlite3.OperationalError as exc:
                if _is_full(exc):
                    raise DatabaseFullError(str(exc)) from exc
                raise
            except asyncio.CancelledError:  # cancelled once BEGIN had run: undo it first
                await _settled(_in_thread(conn, _rollback))
                raise
            marks: list[int] = []
            replies: list[tuple[str, int]] = []
            notes: _Notes | None = None
            try:
                yield conn
                marks, self._handled = self._handled, []
                replies, self._replies = self._replies, []
                if scope is not None:
                    first, pending = scope.journal.take_pending()
                    notes = _Notes(scope.update_id, first, pending, OPAQUE)
                applied = scope.update_id if scope is not None and not scope.wrote else None
                stamp = int(self._stamp())

                def commit(raw: sqlite3.Connection) -> None:
                    if applied is not None:
                        raw.execute(_MARK_APPLIED, (applied,))
                    if notes is not None:
                        rows = notes.rows(None)
                        rows[-1] = (*rows[-1][:2], OPAQUE, "transaction", b"")
                        raw.executemany(_KEEP_NOTES, rows)
                    if marks:
                        raw.executemany(_MARK_HANDLED, [(stamp, u) for u in marks])
                    if replies:
                        raw.executemany(_MARK_REPLY, replies)
                    raw.execute("COMMIT")

                await _settled(_in_thread(conn, commit))
            except BaseException as exc:
                self._handled[:0] = marks  # not written: they go with the next commit
                self._replies[:0] = replies
                if notes is not None and scope is not None:
                    scope.journal.restore(notes.notes)
                await _settled(_in_thread(conn, _rollback))
                if _is_full(exc):
                    raise DatabaseFullError(str(exc)) from exc
                raise
            if scope is not None:
                scope.wrote = True
                if notes is not None:
                    scope.journal.committed(len(notes.notes) + 1)

    def _stamp(self) -> float:
        """Unix seconds for the handled marks (pruning only)."""
        return datetime.now(UTC).timestamp()

    def mark_handled(self, update_id: int) -> None:
        """The inbox row of this update is handled: written with the next commit, whoever
        makes it (group commit: under a burst the marks ride on the handlers' own writes
        instead of queueing behind them)."""
        self._handled.append(update_id)

    def mark_reply(self, reply_id: int, state: str) -> None:
        """An outbox row was sent (or given up on): written with the next commit, as above."""
        self._replies.append((state, reply_id))

    async def write(self, work: Work[T], what: str | None = None) -> T:
        """The write path of everything done per update: `work` (statements only, run in the
        writer's thread) in one `BEGIN IMMEDIATE` transaction with the update's applied mark,
        its journal notes (storage.journal; `what` names the write there, by default its
        function) and the waiting handled marks; a full disk raises DatabaseFullError.

        Replayed after a crash, a write the run that died had committed is not made again:
        its noted result is returned instead.

        Group commit: writes that queue up while another commits go together, in one
        transaction and one trip to the writer's thread, each in its own savepoint, so one
        that fails is undone alone. Returns when the write is committed. A cancelled caller
        is cancelled (the write may still commit if it had begun, as with any database)."""
        scope = update_scope.get()
        name = what or getattr(work, "__qualname__", type(work).__name__)
        if scope is not None:
            if scope.journal.replaying:
                try:
                    result: T = scope.journal.answer(WRITE, name)
                except Diverged as exc:
                    log.warning("update %s: replay diverged (%s)", scope.update_id, exc)
                    raise AlreadyApplied(scope.update_id) from None
                scope.wrote = True
                return result
            scope.check_writable()
        return await self._write(work, scope, name)

    async def write_unnoted(self, work: Work[T]) -> T:
        """A write that belongs to no update's effects (the inbox's own bookkeeping, the
        replies committed when a handler ends): no applied mark, no journal, no replay."""
        token = update_scope.set(None)
        try:
            return await self._write(work, None, "")
        finally:
            update_scope.reset(token)

    async def _write(self, work: Work[T], scope: UpdateScope | None, name: str) -> T:
        applied = scope.update_id if scope is not None and not scope.wrote else None
        notes = None
        if scope is not None:
            first, pending = scope.journal.take_pending()
            notes = _Notes(scope.update_id, first, pending, name)
        loop = asyncio.get_running_loop()
        queued = _Write(work, applied, loop.create_future(), notes)
        self._writes.append(queued)
        try:
            async with self._write_lock:
                if not queued.outcome.done():  # nobody took it with theirs: lead a group
                    batch, self._writes = self._writes, []
                    # Shielded: the others of the group wait for it even if its leader is
                    # cancelled (a cancelled write may still be committed, as ever).
                    await asyncio.shield(self._commit_group(batch))
            result: T = queued.outcome.result()
        except BaseException:
            if queued in self._writes:  # not begun: it must not be committed later
                self._writes.remove(queued)
            if notes is not None and scope is not None and not _committed(queued):
                scope.journal.restore(notes.notes)
            raise
        if scope is not None:
            scope.wrote = True
            if notes is not None:
                scope.journal.committed(len(notes.notes) + 1)
        return result

    async def _commit_group(self, batch: list[_Write]) -> None:
        """Commit queued writes together; each one's result or error goes to its future."""
        marks, self._handled = self._handled, []
        replies, self._replies = self._replies, []
        stamp = int(self._stamp())

        def run(raw: sqlite3.Connection) -> list[tuple[bool, Any]]:
            outcomes: list[tuple[bool, Any]] = []
            raw.execute("BEGIN IMMEDIATE")
            try:
                for item in batch:
                    raw.execute("SAVEPOINT one_write")
                    try:
                        result = item.work(raw)
                        if item.applied is not None:
                            raw.execute(_MARK_APPLIED, (item.applied,))
                        if item.journal is not None:
                            raw.executemany(_KEEP_NOTES, item.journal.rows(result))
                    except Exception as exc:
                        raw.execute("ROLLBACK TO one_write")
                        outcomes.append((False, exc))
                    else:
                        outcomes.append((True, result))
                    raw.execute("RELEASE one_write")
                if marks:
                    raw.executemany(
                        _MARK_HANDLED,
                        [(stamp, update_id) for update_id in marks],
                    )
                if replies:
                    raw.executemany(_MARK_REPLY, replies)
                raw.execute("COMMIT")
            except BaseException:
                _rollback(raw)
                raise
            return outcomes

        try:
            outcomes = await _in_thread(self._require(self._writer), run)
        except BaseException as exc:
            self._handled[:0] = marks  # not written: they go with the next commit
            self._replies[:0] = replies
            failure: Exception = (
                DatabaseFullError(str(exc))
                if _is_full(exc)
                else exc
                if isinstance(exc, Exception)
                else DatabaseClosedError("the write was interrupted")
            )
            for item in batch:
                _settle(item.outcome, False, failure)
            if not isinstance(exc, Exception):
                raise
            return
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            if not ok and _is_full(value):
                value = DatabaseFullError(str(value))
            _settle(item.outcome, ok, value)

    @property
    def unwritten_marks(self) -> int:
        """Handled and sent marks waiting for a commit."""
        return len(self._handled) + len(self._replies)

    async def write_marks(self) -> None:
        """Commit the waiting handled marks now (if no other write did)."""
        if self._handled or self._replies:
            await self.write_unnoted(lambda raw: None)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns rows affected."""
        return await self.write(lambda raw: raw.execute(sql, _bind(params)).rowcount, sql)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read committed rows (noted for a replay when an update is being handled)."""
        scope = update_scope.get()
        if scope is not None and scope.journal.replaying:
            return _answered(scope, READ, sql)  # type: ignore[no-any-return]
        conn = self._require(self._reader or self._writer)
        # One call: the statement runs to completion before any other coroutine's statement
        # on this connection, so no open cursor holds an old read snapshot (WAL).
        rows = list(await conn.execute_fetchall(sql, _bind(params)))
        if scope is not None:
            scope.journal.pending.append(note(READ, sql, rows))
        return rows

    async def read_together(self, *queries: Query[Any]) -> list[Any]:
        """Several reads in one trip to the reader's thread, from one snapshot; returns each
        query's shaped value, in order (the reads made for every update come this way)."""
        scope = update_scope.get()
        what = "\n;\n".join(q.sql for q in queries)
        if scope is not None and scope.journal.replaying:
            return _answered(scope, READ, what)  # type: ignore[no-any-return]
        conn = self._require(self._reader or self._writer)

        def run(raw: sqlite3.Connection) -> list[Any]:
            raw.execute("BEGIN")
            try:
                return [q.shape(raw.execute(q.sql, _bind(q.params)).fetchall()) for q in queries]
            finally:
                raw.execute("COMMIT")

        values = await _in_thread(conn, run)
        if scope is not None:
            scope.journal.pending.append(note(READ, what, values))
        return values

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read one committed row, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version` on the reader: it changes when another connection
        (another process: the CLI) committed, without reading a table or taking a lock."""
        row = await self.fetchone("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def table_names(self) -> list[str]:
        """User tables, for tests and diagnostics."""
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return [row["name"] for row in rows]
