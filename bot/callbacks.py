"""Callback data: short prefixed strings like `reg:fn:3`, parsed strictly (they can be forged)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit for callback_data
_PART = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True, slots=True)
class Callback:
    """A parsed button press: which flow, which action, which arguments."""

    prefix: str
    action: str
    args: tuple[str, ...]

    def arg(self, index: int = 0) -> str | None:
        """One argument, or None."""
        return self.args[index] if index < len(self.args) else None


def encode(prefix: str, action: str, *args: object) -> str:
    """Build callback data; raises ValueError rather than send something Telegram rejects."""
    parts = [prefix, action, *(str(a) for a in args)]
    if not all(_PART.match(p) for p in parts):
        raise ValueError(f"callback part not allowed: {parts!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None, prefix: str) -> Callback | None:
    """Parse data of the given flow; None for anything malformed or foreign."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != prefix or not all(_PART.match(p) for p in parts):
        return None
    return Callback(parts[0], parts[1], tuple(parts[2:]))
