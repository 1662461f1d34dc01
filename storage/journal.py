"""What an update's handler read and wrote, kept with its effects, so that a replay after a
crash takes the same path and gives the same answer.

Why: a handler commits its effect (a seat, a saved profile), then decides its reply from the
result and sends it. A crash between the two used to leave the person without an answer: the
replay could not run the handler again (it would take a second seat), so it said nothing.

Now every database call made while an update is handled is noted in its `UpdateScope`, in
order: the reads (as values) and each write's result. Each write commits, in its own
transaction, the notes made since the previous one together with its own result. When the
update is replayed, the handler runs again and each of its calls is answered from these notes,
in the same order, until they run out (from there on it is live again: what follows the last
committed write never happened). So the replayed handler reaches the same decision and buffers
the same reply, which `storage.outbox` then commits and sends: never nothing, never the
"you already did that" variant.

A call that does not match the note of the same position (the code took another path, say
after an upgrade) or a note that could not be kept (an opaque result) ends the replay with
`AlreadyApplied`: the old, safe behaviour (the person is told it was taken into account).
"""

from __future__ import annotations

import pickle
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from typing import Any

READ = "r"
WRITE = "w"
OPAQUE = "x"  # a write whose result could not be kept (see `Database.transaction`)


class JournalRow(tuple[Any, ...]):
    """A row read while an update was handled, as kept in its journal: by position or by
    column name, like `sqlite3.Row` (which cannot be pickled)."""

    _names: dict[str, int]

    def __new__(cls, values: tuple[Any, ...], names: tuple[str, ...]) -> JournalRow:
        row = super().__new__(cls, values)
        row._names = {name: i for i, name in enumerate(names)}
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        """Column names, in order (so `dict(row)` works as with sqlite3.Row)."""
        return list(self._names)

    def __reduce__(self) -> tuple[Any, ...]:
        return (JournalRow, (tuple(self), tuple(self._names)))


def keepable(value: Any) -> Any:
    """`value` with sqlite3.Row objects turned into JournalRow (anywhere in lists/tuples)."""
    if isinstance(value, sqlite3.Row):
        return JournalRow(tuple(value), tuple(value.keys()))
    if isinstance(value, list):
        return [keepable(v) for v in value]
    if isinstance(value, tuple) and not isinstance(value, JournalRow):
        return tuple(keepable(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class Note:
    """One call of a handler to the database: its kind, what identifies it, its result."""

    kind: str
    what: str
    payload: bytes


def note(kind: str, what: str, value: Any) -> Note:
    """A note of a call's result (a copy: later changes to the value do not reach it)."""
    try:
        return Note(kind, what, pickle.dumps(keepable(value), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # an object that cannot be kept: the replay stops at it
        return Note(OPAQUE, what, b"")


class Diverged(Exception):
    """The replayed handler made another call than the one noted at that position."""


@dataclass(slots=True)
class Journal:
    """The notes of one update: those to keep with its next write, and when it is replayed,
    those to answer its calls with."""

    pending: list[Note] = field(default_factory=list)  # made since the last committed write
    kept: int = 0  # how many notes are already committed (the next one's position)
    replay: deque[Note] | None = None  # notes of the run that died, to answer calls with

    @property
    def replaying(self) -> bool:
        """Calls are answered from the notes of the run that died."""
        return bool(self.replay)

    def answer(self, kind: str, what: str) -> Any:
        """The noted result of the next call, which must be this one (else Diverged)."""
        assert self.replay
        noted = self.replay.popleft()
        self.kept += 1
        if noted.kind != kind or noted.what != what:
            self.replay.clear()
            raise Diverged(f"noted {noted.kind} {noted.what!r}, now {kind} {what!r}")
        return pickle.loads(noted.payload)

    def take_pending(self) -> tuple[int, list[Note]]:
        """The notes to commit with a write, and the position of the first of them."""
        first, notes = self.kept, self.pending
        self.pending = []
        return first, notes

    def committed(self, count: int) -> None:
        """`count` notes were committed with a write."""
        self.kept += count

    def restore(self, notes: list[Note]) -> None:
        """Put back notes whose write did not commit (they go with the next one)."""
        self.pending[:0] = notes


def load(rows: list[tuple[str, str, bytes]]) -> deque[Note]:
    """Notes read back from the journal table, in order."""
    return deque(Note(kind, what, bytes(payload)) for kind, what, payload in rows)
