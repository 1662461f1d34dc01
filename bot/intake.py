"""Updates in: our own getUpdates loop over the durable inbox (storage/inbox.py).

Why not PTB's Updater: it tells Telegram an update was received (the next getUpdates offset)
before the update is handled, so a crash loses what was in flight, and an update it cannot
parse makes it spin. Here the order is:

1. getUpdates returns raw JSON (`Bot.do_api_request(..., return_type=None)`);
2. the whole batch is committed to the inbox in one transaction;
3. only then is the offset advanced (so Telegram forgets them only once they are on disk);
4. each update is parsed (`Update.de_json`) and put on `application.update_queue`, where the
   PerChatUpdateProcessor keeps each chat's order; when its handler has finished (also when
   it ended in an error the error handler dealt with) the processor asks this object to
   settle it (`finish`): the replies it decided are committed to the outbox with its handled
   mark when it saved something, and sent (bot.replies); otherwise sent, and the row marked
   handled (such marks are written in groups by one background task).

At start, before polling, the replies committed and not yet sent go first, then the rows left
unhandled by a stop or a crash are fed, oldest first, so each chat's order holds; one whose
effects had committed is replayed from its journal (storage.journal) and gives the answer the
run that died had decided. A row that fails to parse, or whose handling died, is retried a
few times and then skipped and logged once; the sender of one that fails to parse is told
once that it could not be read (found in the raw JSON: `sender_of`).

Rows are this bot's (its id, from getMe): another bot's token on the same database starts
its own numbering of updates (storage/inbox.py).

A webhook mode uses the same object: its HTTP handler calls `accept(updates)` and answers 200
once that returns (the rows are committed); polling is simply not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot import replies
from storage import journal
from storage.database import (
    AlreadyApplied,
    DatabaseFullError,
    DatabaseUnavailableError,
    UpdateScope,
    update_scope,
)
from storage.inbox import MAX_ATTEMPTS, InboxRepository
from storage.outbox import OutboxRepository, Reply

log = logging.getLogger(__name__)

INTAKE_KEY = "multaqa.intake"
PRUNE_EVERY = 3600.0
_MAX_BACKOFF = 30.0
# How long the replies of one update may take to be committed and sent before the chat's
# next update goes on (what is committed and unsent then goes at the next start).
SETTLE_SECONDS = 60.0
# Chats whose pending replies are sent at once at start (each chat's own in order).
_RESUME_CHATS_AT_ONCE = 32
SENT, BLOCKED, FAILED = "sent", "blocked", "failed"  # what became of one reply
_TELL_WITHIN = 10.0  # seconds to tell the sender of an unreadable update (then given up)

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


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a raw update, as far as its JSON says (read without the library)."""

    chat_id: int
    user_id: int | None
    language_code: str | None


def _an_id(part: object) -> int | None:
    value = part.get("id") if isinstance(part, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sender_of(raw: dict[str, Any]) -> Sender | None:
    """The chat to answer and the person behind a raw update that the library cannot read:
    `message.chat.id`, `callback_query.message.chat.id`, else the sender's own id (a private
    chat has the person's id); None when there is nobody (a `poll` state, a shape unknown)."""
    for key, body in raw.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        person = body.get("from") or body.get("user")
        inner = body.get("message")
        chat_id = _an_id(body.get("chat"))
        if chat_id is None and isinstance(inner, dict):
            chat_id = _an_id(inner.get("chat"))
        user_id = _an_id(person)
        chat_id = chat_id if chat_id is not None else user_id
        if chat_id is None:
            continue
        language = person.get("language_code") if isinstance(person, dict) else None
        return Sender(chat_id, user_id, language if isinstance(language, str) else None)
    return None


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
        self.outbox = OutboxRepository(inbox.db)
        # What to do when a person has blocked the bot (mark them unreachable), and when a
        # reply could not be sent at all (tell them, saying whether their input was kept).
        self.on_blocked: Callable[[int], Awaitable[None]] | None = None
        # Tests: the next update to finish stops as a process killed right after its effects
        # committed would (its replies neither committed nor sent); the future gets its id.
        self.die_before_replies: asyncio.Future[int] | None = None
        self.on_reply_failed: Callable[[int | None, bool, str | None], Awaitable[None]] | None = (
            None
        )
        application.bot_data[replies.FLUSH_KEY] = self.flush

    # --- the processor's side -------------------------------------------------------------

    def begin(self, update: object) -> UpdateScope | None:
        """The idempotency scope of an update about to be handled (None: not from the inbox)."""
        if not isinstance(update, Update):
            return None
        return self._scopes.get(update.update_id)

    async def finish(self, scope: UpdateScope) -> None:
        """Its handler has finished: its replies are committed (if it saved something) and
        sent; it is marked handled. Bounded in time: a chat's next update never waits for
        ever behind a reply Telegram does not take."""
        if self._scopes.pop(scope.update_id, None) is None:
            return
        if self.die_before_replies is not None:  # tests: the moment a kill -9 is the worst
            self.die_before_replies.set_result(scope.update_id)
            self.die_before_replies = None
            return
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                await self._settle(scope, last=True)
        except TimeoutError:
            log.error(
                "update %s: its replies took too long; the rest go at the next start",
                scope.update_id,
            )
        except Exception as exc:
            log.error("update %s: its replies failed (%s)", scope.update_id, type(exc).__name__)
        self._wake.set()

    async def flush(self, scope: UpdateScope) -> None:
        """Mid-handling (before a file is sent directly): settle what was decided so far."""
        await self._settle(scope, last=False)

    async def _settle(self, scope: UpdateScope, *, last: bool) -> None:
        ops, scope.replies = scope.replies, []
        first, scope.replied = scope.replied, scope.replied + len(ops)
        token = update_scope.set(None)  # sending is no part of the update's journal
        try:
            saved = scope.wrote or scope.applied_before
            if not saved:
                # Nothing saved: replayed, the update would simply answer again.
                failed = [op for op in ops if await self._perform(op) == FAILED]
                if last:
                    self.inbox.db.mark_handled(scope.update_id)
            else:
                try:
                    pending = await self.outbox.commit(scope.update_id, first, ops, last=last)
                except Exception as exc:  # the disk is full, say: the person still hears it
                    log.error(
                        "update %s: replies not kept (%s)", scope.update_id, type(exc).__name__
                    )
                    pending = []
                    failed = [op for op in ops if await self._perform(op) == FAILED]
                else:
                    failed = [r.op for r in pending if await self._deliver(r) == FAILED]
            if failed and self.on_reply_failed is not None:
                # Telegram refused it even after the retries: say so (once), and whether what
                # the person sent was kept, as an error in a handler does.
                await self.on_reply_failed(failed[0].get("chat_id"), saved, scope.locale)
        finally:
            update_scope.reset(token)

    async def _perform(self, op: dict[str, Any]) -> str:
        """Make one reply's call: SENT, BLOCKED (the person's state noted) or FAILED (logged:
        Telegram refused it, even after the send budget's retries)."""
        try:
            await replies.perform(self.application.bot, op)
        except Forbidden:
            chat_id = op.get("chat_id")
            log.info("chat %s blocked the bot", chat_id)
            if self.on_blocked is not None and chat_id is not None:
                with contextlib.suppress(Exception):
                    await self.on_blocked(int(chat_id))
            return BLOCKED
        except TelegramError as exc:  # its cause and traceback, never the token (bot/logs.py)
            log.warning("a reply could not be sent (%s)", type(exc).__name__, exc_info=exc)
            return FAILED
        return SENT

    async def _deliver(self, reply: Reply) -> str:
        outcome = await self._perform(reply.op)
        self.outbox.settled(reply.id, "sent" if outcome == SENT else "failed")
        self._wake.set()
        return outcome

    async def resume_replies(self) -> int:
        """At start: send the replies committed and not yet sent, each chat's in order."""
        pending = await self.outbox.pending()
        if not pending:
            return 0
        by_chat: dict[int | None, list[Reply]] = {}
        for reply in pending:
            by_chat.setdefault(reply.chat_id, []).append(reply)
        slots = asyncio.Semaphore(_RESUME_CHATS_AT_ONCE)

        async def one_chat(chat: list[Reply]) -> None:
            async with slots:
                for reply in chat:
                    await self._deliver(reply)

        await asyncio.gather(*(one_chat(chat) for chat in by_chat.values()))
        log.info("sent %d reply(ies) decided before the last stop", len(pending))
        return len(pending)

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
        poison = [row for row in rows if row.attempts >= MAX_ATTEMPTS]
        skip = [row.update_id for row in poison]
        if skip:
            for row in poison:  # their senders hear it once (told before the skip is kept)
                await self.tell_unreadable(row.payload)
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
        scope = UpdateScope(update_id, applied_before=applied_before)
        if applied_before:
            # Its effects committed before the stop: its handler is answered from what it
            # read and wrote then, so it decides the same replies (storage.journal).
            scope.journal.replay = journal.load(await self.outbox.journal_of(update_id))
        self._scopes[update_id] = scope
        await self.application.update_queue.put(update)

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
        """Parse failed: retry later with a growing pause; after MAX_ATTEMPTS tell the sender
        once that it could not be read, skip it and log once."""
        update_id = int(raw["update_id"])
        tries = max(attempts, self._parse_failures.get(update_id, 0)) + 1
        self._parse_failures[update_id] = tries
        if tries >= MAX_ATTEMPTS:
            # Told before the skip is recorded: a crash in between tells them twice rather
            # than never.
            told = await self.tell_unreadable(raw)
            await self.inbox.mark([update_id], "skipped")
            self._parse_failures.pop(update_id, None)
            self.skipped.put_nowait(update_id)
            log.error(
                "update %s skipped: it could not be read after %d tries (%s)%s",
                update_id,
                tries,
                type(exc).__name__,
                "; its sender was told" if told else "",
            )
            return

        async def again() -> None:
            await asyncio.sleep(0.5 * 2**tries)
            await self._feed(raw, applied_before=False, attempts=tries)

        self.application.create_task(again(), name=f"reparse {update_id}")

    async def tell_unreadable(self, raw: dict[str, Any]) -> bool:
        """Say "Sorry, I could not read that" to whoever sent this raw update, in their
        language (stored, else Telegram's, else the default); False if nobody could be found
        in it or the message could not be sent. Never raises."""
        sender = sender_of(raw)
        if sender is None:
            return False
        try:
            async with asyncio.timeout(_TELL_WITHIN):  # the skip must not wait on a stuck send
                await self._tell(sender)
        except Exception as exc:  # blocked, gone, network: the skip is logged all the same
            log.info(
                "could not tell the sender of update %s (%s)",
                raw.get("update_id"),
                type(exc).__name__,
            )
            return False
        return True

    async def _tell(self, sender: Sender) -> None:
        from bot.context import services_of

        services = services_of(self.application)
        user_id = sender.user_id
        participant = await services.participants.get(user_id) if user_id is not None else None
        chosen = participant.locale if participant is not None else None
        t = services.texts[services.texts.pick(chosen, sender.language_code)]
        await self.application.bot.send_message(
            sender.chat_id, str(t("common.unreadable")), parse_mode=ParseMode.HTML
        )

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
                    await self.outbox.prune()
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
        await self.outbox.prune()
        self._flusher = asyncio.create_task(self._flush_marks(), name="inbox marks")
        await self.resume_replies()
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


async def start_bot(application: Application) -> Intake:  # type: ignore[type-arg]
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
        services = services_of(application)
        # Update ids are numbered per bot (getMe's id, the number before ':' in the token).
        inbox = InboxRepository(services.db, bot_id=application.bot.id)
        change = await inbox.claim()
        if change is not None:
            log.warning(
                "this database was used by bot %s, now by bot %s: update ids start again "
                "for this bot; %d update(s) the other bot did not handle are kept for it",
                change.previous_bot_id,
                inbox.bot_id,
                change.left_unhandled,
            )
        intake = Intake(application, inbox)

        async def blocked(user_id: int) -> None:
            await services.participants.set_reachable(user_id, False)

        intake.on_blocked = blocked
        intake.on_reply_failed = functools.partial(tell_reply_failed, services)
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


async def tell_reply_failed(
    services: Any, chat_id: int | None, saved: bool, locale: str | None
) -> None:
    """A reply Telegram would not take: one line to the person, in their language, saying
    whether what they sent was kept (best effort: Telegram may still be failing)."""
    if chat_id is None:
        return
    t = services.texts[locale or services.texts.default_locale]
    key = "common.error" if saved else "common.error_not_taken"
    try:
        await replies.perform(services.bot, replies.send_message(chat_id, str(t(key))))
    except TelegramError:
        log.info("could not tell chat %s that a reply failed", chat_id)


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
