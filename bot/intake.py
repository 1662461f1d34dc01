"""Updates in: our own getUpdates loop over the durable inbox (storage/inbox.py).

Why not PTB's Updater: it tells Telegram an update was received (the next getUpdates offset)
before the update is handled, so a crash loses what was in flight, and an update it cannot
parse makes it spin. Here the order is:

1. getUpdates returns raw JSON (`Bot.do_api_request(..., return_type=None)`);
2. the whole batch is committed to the inbox in one transaction;
3. only then is the offset advanced (so Telegram forgets them only once they are on disk);
4. each update is parsed (`Update.de_json`) and put on `application.update_queue`, where the
   PerChatUpdateProcessor keeps each chat's order; when its handler has finished (also when
   it ended in an error the error handler dealt with) the processor reports it here and the
   row is marked handled (marks are written in groups by one background task).

At start, before polling, the rows left unhandled by a stop or a crash are fed first, oldest
first, so each chat's order holds. A row that fails to parse, or whose handling died, is
retried a few times and then skipped and logged once.

A webhook mode uses the same object: its HTTP handler calls `accept(updates)` and answers 200
once that returns (the rows are committed); polling is simply not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from storage.database import (
    AlreadyApplied,
    DatabaseFullError,
    DatabaseUnavailableError,
    UpdateScope,
)
from storage.inbox import MAX_ATTEMPTS, InboxRepository

log = logging.getLogger(__name__)

INTAKE_KEY = "multaqa.intake"
REPLAY_SAFE_KEY = "multaqa.replay_safe"
PRUNE_EVERY = 3600.0
_MAX_BACKOFF = 30.0

# We call getUpdates through do_api_request on purpose: we need the raw JSON to store it.
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)


class AlreadyRunningError(RuntimeError):
    """Another `multaqa run` holds this database."""


class InstanceLock:
    """One bot process per database: an exclusive lock on `<database>.lock`.

    The kernel releases the lock when the process ends in any way (even SIGKILL), so a crash
    never blocks the next start, while a second live process is refused at once."""

    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunningError (DatabaseUnavailableError when the
        database's folder cannot be written: read-only file system, no permission)."""
        if not self.path.parent.is_dir():
            return  # the database check gives the clear message for a missing folder
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise DatabaseUnavailableError(
                f"the folder {self.path.parent} of DATABASE_PATH cannot be written, so the "
                f"lock file {self.path.name} cannot be made ({exc.strerror or exc}): a read-only "
                "file system or folder, or no permission"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunningError(
                f"another Multaqa bot (process {holder}) is already running on this database"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Let another process start (safe to call twice)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Intake:
    """Stores updates before acknowledging them, feeds them to the Application, and records
    which are handled. Also the processor's `tracker` (begin/finished)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbox: InboxRepository,
        *,
        poll_timeout: int = 10,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.poll_timeout = poll_timeout
        self.allowed_updates = list(allowed_updates)
        self._scopes: dict[int, UpdateScope] = {}
        self._wake = asyncio.Event()
        self._offset = 0  # 0: Telegram's earliest unconfirmed update
        self._poller: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._parse_failures: dict[int, int] = {}
        self.polls = 0  # getUpdates calls made (diagnostics)
        self._full_logged = False
        self._closing = False
        self.skipped: asyncio.Queue[int] = asyncio.Queue()  # ids given up on (diagnostics)
        # Button prefixes whose handlers are idempotent by themselves (joining twice answers
        # "you already have a seat"): replayed, they run again and give their own answer.
        self.replay_safe_prefixes: tuple[str, ...] = ()

    # --- the processor's side -------------------------------------------------------------

    def begin(self, update: object) -> UpdateScope | None:
        """The idempotency scope of an update about to be handled (None: not from the inbox)."""
        if not isinstance(update, Update):
            return None
        return self._scopes.get(update.update_id)

    def finished(self, update_id: int) -> None:
        """Its handler has finished: mark it handled (in the next group write)."""
        if self._scopes.pop(update_id, None) is not None:
            self.inbox.db.mark_handled(update_id)
            self._wake.set()

    async def settle_applied(self, update: object, scope: UpdateScope) -> None:
        """A replayed update whose writes had committed: the error handler answers it."""
        await self.application.process_error(update, AlreadyApplied(scope.update_id))

    # --- in -------------------------------------------------------------------------------

    async def accept(self, updates: Sequence[dict[str, Any]]) -> None:
        """Commit raw updates, then hand the new ones to the Application. When this returns
        the updates are durable: a poller may advance its offset, a webhook may answer 200."""
        for raw in await self.inbox.accept(updates):
            await self._feed(raw, applied_before=False, attempts=0)

    async def replay(self) -> int:
        """Feed the updates left unhandled by the previous run, oldest first."""
        rows = await self.inbox.unhandled()
        if not rows:
            return 0
        skip = [row.update_id for row in rows if row.attempts >= MAX_ATTEMPTS]
        if skip:
            await self.inbox.mark(skip, "skipped")
            log.error(
                "skipped %d update(s) whose handling failed %d times: %s",
                len(skip),
                MAX_ATTEMPTS,
                ", ".join(map(str, skip)),
            )
        rows = [row for row in rows if row.attempts < MAX_ATTEMPTS]
        # Counted before handling, so a handling that kills the process counts as well.
        await self.inbox.count_attempt(row.update_id for row in rows)
        for row in rows:
            await self._feed(row.payload, applied_before=row.applied, attempts=row.attempts + 1)
        log.info("replaying %d update(s) received before the last stop", len(rows))
        return len(rows)

    async def _feed(self, raw: dict[str, Any], *, applied_before: bool, attempts: int) -> None:
        update_id = int(raw["update_id"])
        try:
            update = Update.de_json(raw, self.application.bot)
        except Exception as exc:
            await self._unreadable(raw, exc, attempts)
            return
        if applied_before and self._replay_safe(update):
            applied_before = False
        self._scopes[update_id] = UpdateScope(update_id, applied_before=applied_before)
        await self.application.update_queue.put(update)

    def _replay_safe(self, update: Update) -> bool:
        query = update.callback_query
        data = query.data if query is not None else None
        return bool(data) and any(data.startswith(p) for p in self.replay_safe_prefixes)

    async def _without_inbox(self, updates: Sequence[dict[str, Any]]) -> None:
        """The disk is full: nothing can be stored, neither these updates nor what their
        handlers would save. They are handled anyway, so that each person hears that their
        input was NOT saved (the handlers' writes fail the same way) instead of silence."""
        if not self._full_logged:
            self._full_logged = True
            log.critical("the inbox cannot store updates: the disk is full")
        for raw in updates:
            try:
                await self.application.update_queue.put(Update.de_json(raw, self.application.bot))
            except Exception:
                log.error("update %s could not be read", raw.get("update_id"))

    async def _unreadable(self, raw: dict[str, Any], exc: Exception, attempts: int) -> None:
        """Parse failed: retry later with a growing pause, skip after MAX_ATTEMPTS (log once)."""
        update_id = int(raw["update_id"])
        tries = max(attempts, self._parse_failures.get(update_id, 0)) + 1
        self._parse_failures[update_id] = tries
        if tries >= MAX_ATTEMPTS:
            await self.inbox.mark([update_id], "skipped")
            self._parse_failures.pop(update_id, None)
            self.skipped.put_nowait(update_id)
            log.error(
                "update %s skipped: it could not be read after %d tries (%s)",
                update_id,
                tries,
                type(exc).__name__,
            )
            return

        async def again() -> None:
            await asyncio.sleep(0.5 * 2**tries)
            await self._feed(raw, applied_before=False, attempts=tries)

        self.application.create_task(again(), name=f"reparse {update_id}")

    # --- polling --------------------------------------------------------------------------

    async def _poll(self) -> None:
        """getUpdates until cancelled; backs off on errors instead of spinning."""
        backoff = 0.0
        bot = self.application.bot
        while True:
            if backoff:
                await asyncio.sleep(backoff)
            try:
                self.polls += 1
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": self._offset,
                        "timeout": self.poll_timeout,
                        "allowed_updates": self.allowed_updates,
                    },
                    read_timeout=self.poll_timeout + 10,
                    return_type=None,
                )
                updates = list(raw) if isinstance(raw, list) else []
                if updates:
                    try:
                        await self.accept(updates)  # committed before the offset moves on
                    except DatabaseFullError:
                        await self._without_inbox(updates)
                    self._offset = max(int(u["update_id"]) for u in updates) + 1
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                backoff = min(max(backoff * 2, 0.5), _MAX_BACKOFF)
                log.warning("getUpdates failed (%s); next try in %.1f s", exc, backoff)
            except Exception as exc:
                backoff = min(max(backoff * 2, 0.5), _MAX_BACKOFF)
                log.error(
                    "updates could not be stored (%s); they stay with Telegram, next try in %.1f s",
                    type(exc).__name__,
                    backoff,
                )

    async def _flush_marks(self) -> None:
        """Write the handled marks in groups; prune old rows now and then."""
        loop = asyncio.get_running_loop()
        last_prune = loop.time()
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            await self._write_marks()
            if loop.time() - last_prune > PRUNE_EVERY:
                last_prune = loop.time()
                try:
                    await self.inbox.prune()
                except Exception as exc:
                    log.error("could not prune the inbox (%s)", type(exc).__name__)

    async def _write_marks(self) -> None:
        try:
            await self.inbox.db.write_marks()
        except Exception as exc:  # at worst they are replayed, without effect
            log.error(
                "could not mark %d update(s) handled (%s)",
                self.inbox.db.unwritten_marks,
                type(exc).__name__,
            )

    async def start(self, poll: bool = True) -> None:
        """Replay what is left, then (unless a webhook feeds `accept`) poll."""
        await self.inbox.prune()
        self._flusher = asyncio.create_task(self._flush_marks(), name="inbox marks")
        await self.replay()
        if poll:
            self._poller = asyncio.create_task(self._poll(), name="getUpdates")

    async def stop_polling(self) -> None:
        """Stop asking for updates (what was stored is handled or replayed next start)."""
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            if self._offset:
                # Confirm the offset, as PTB's Updater does on a clean stop.
                with contextlib.suppress(TelegramError):
                    await self.application.bot.do_api_request(
                        "getUpdates",
                        api_kwargs={"offset": self._offset, "timeout": 0, "limit": 1},
                        return_type=None,
                    )

    async def close(self) -> None:
        """After the Application stopped: write the last marks."""
        flusher, self._flusher = self._flusher, None
        self._closing = True
        self._wake.set()
        if flusher is not None:
            await flusher  # not cancelled: a write cut in the middle would lose its marks
        await self._write_marks()


async def start_bot(
    application: Application,  # type: ignore[type-arg]
    replay_safe_prefixes: tuple[str, ...] = (),
) -> Intake:
    """What `multaqa run` and the tests do to start: initialize, post_init (opens the
    database), start the Application, replay the inbox, poll."""
    from bot.context import services_of

    lock = InstanceLock(services_of(application).settings.database_path)
    lock.acquire()
    application.bot_data["multaqa.lock"] = lock
    try:
        # The database first: an unusable file is reported before anything talks to Telegram.
        await services_of(application).db.open()
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        intake = Intake(application, InboxRepository(services_of(application).db))
        intake.replay_safe_prefixes = replay_safe_prefixes or application.bot_data.get(
            REPLAY_SAFE_KEY, ()
        )
        application.bot_data[INTAKE_KEY] = intake
        processor = application.update_processor
        if hasattr(processor, "tracker"):
            processor.tracker = intake
        await application.start()
        await intake.start()
    except BaseException:
        await stop_bot(application)
        raise
    return intake


async def stop_bot(application: Application) -> None:  # type: ignore[type-arg]
    """The reverse of start_bot; safe after a partial start."""
    intake: Intake | None = application.bot_data.pop(INTAKE_KEY, None)
    try:
        if intake is not None:
            await intake.stop_polling()
        if application.running:
            await application.stop()
        if intake is not None:
            await intake.close()
        if application._initialized:
            await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    finally:
        lock: InstanceLock | None = application.bot_data.pop("multaqa.lock", None)
        if lock is not None:
            lock.release()
