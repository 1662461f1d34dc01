"""Parsing uploads off the event loop, in another process.

Parsing an organizer's file (YAML with ruamel, XLSX with openpyxl, CSV) is pure Python: in a
thread it would still hold the GIL and slow every participant's reply. It runs instead in one
long-lived child process (`python -m bot.documents.isolated`), started on first use, that
answers one job at a time over a pipe. A job that runs past its time limit, or a child that
dies (its memory is capped), is killed and restarted for the next job; the caller gets
`IsolatedFailure`. Limits on the input are checked before a job is sent (`limits.py`).

The client side is loop-agnostic (the blocking pipe work runs in a thread), so the bot, the
command-line tools and tests all use the same child."""

from __future__ import annotations

import asyncio
import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from bot.i18n import Message, Plural

if TYPE_CHECKING:
    from bot.event.file import EventDefinition

TIMEOUT_S = 60.0
MEMORY_LIMIT = 2 * 1024**3  # address space of the child, bytes
_HEADER = struct.Struct("!I")


class IsolatedFailure(Exception):
    """The child could not finish the job (too long, out of memory, crashed)."""


# ---------------------------------------------------------------- the jobs (in the child)


def _parse_event(text: str, source: str) -> tuple[str, Any]:
    from bot.event.file import EventFileError, parse_event_text

    try:
        return "ok", parse_event_text(text, source).to_json()
    except EventFileError as exc:
        return "problems", exc.problems


def _read_table(data: bytes, file_name: str) -> tuple[str, Any]:
    """The table's rows, keeping only the cells of the columns an import reads (less to send
    back and unpickle in the bot)."""
    from bot.documents.rec_import import FileProblem, columns_of, read_table

    try:
        rows = read_table(data, file_name)
        wanted = set(columns_of(*rows[0]).values())
    except FileProblem as exc:
        return "problem", exc.args[0]  # a Message: it crosses back whole (see bot.i18n)
    width = max(wanted) + 1
    kept = [(rows[0][0], rows[0][1])]
    kept += [
        (number, [cell if i in wanted else None for i, cell in enumerate(cells[:width])])
        for number, cells in rows[1:]
    ]
    return "ok", kept


JOBS = {"event": _parse_event, "table": _read_table}


def _serve() -> None:
    """The child's loop: read a job, run it, write its result; exit when the pipe closes."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    os.nice(10)  # on a busy machine, participants' replies in the bot go first
    sys.setrecursionlimit(2000)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not write into the pipe
    source = sys.stdin.buffer
    while True:
        header = source.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        kind, args = pickle.loads(source.read(_HEADER.unpack(header)[0]))
        try:
            result: tuple[str, Any] = JOBS[kind](*args)
        except (MemoryError, RecursionError):
            result = ("failed", "too large")
        body = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(body)) + body)
        out.flush()


# ---------------------------------------------------------------- the client (in the bot)


class _Child:
    """The one child process, used by one job at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the child (at exit, or after a job that failed)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bot.documents.isolated"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def _read(self, proc: subprocess.Popen[bytes], size: int, deadline: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks, left = [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise IsolatedFailure("the job took too long")
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise IsolatedFailure("the parser stopped (out of memory?)")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def run(self, kind: str, args: tuple[Any, ...], timeout: float) -> tuple[str, Any]:
        """Run a job in the child (blocking; called from a thread)."""
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None
            deadline = time.monotonic() + timeout
            body = pickle.dumps((kind, args), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                proc.stdin.write(_HEADER.pack(len(body)) + body)
                proc.stdin.flush()
                size = _HEADER.unpack(self._read(proc, _HEADER.size, deadline))[0]
                result = pickle.loads(self._read(proc, size, deadline))
            except (IsolatedFailure, OSError) as exc:
                self.close()  # killed mid-job: the next job gets a fresh child
                raise IsolatedFailure(str(exc)) from None
            if result[0] == "failed":
                self.close()
                raise IsolatedFailure(str(result[1]))
            return result


_CHILD = _Child()


async def parse_event_upload(text: str, source: str) -> EventDefinition:
    """An uploaded event file, parsed in the child after the limits (depth, aliases);
    raises EventFileError listing the problems, as `parse_event_text` does."""
    from bot.documents.limits import yaml_problem
    from bot.event.file import MAX_TEXT_CHARS, EventDefinition, EventFileError

    def at(problem: Message) -> EventFileError:
        return EventFileError([Message("evf.at", where=source, problem=problem)])

    if len(text) > MAX_TEXT_CHARS:
        raise at(Message("evf.y.too_large", limit=Plural("count.characters", MAX_TEXT_CHARS)))
    problem = yaml_problem(text)
    if problem is not None:
        raise at(problem)
    try:
        status, value = await run_isolated("event", text, source)
    except IsolatedFailure:
        raise at(Message("evf.too_slow")) from None
    if status != "ok":
        raise EventFileError(value)
    return EventDefinition.from_json(value)


async def run_isolated(kind: str, *args: Any, limit_s: float = TIMEOUT_S) -> tuple[str, Any]:
    """Run a parsing job in the child process without blocking the event loop."""
    return await asyncio.to_thread(_CHILD.run, kind, args, limit_s)


if __name__ == "__main__":
    _serve()
