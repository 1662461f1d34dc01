"""Injected failures: make sends to given chats answer 403/429/500 like Telegram would."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import ApiError

_DEFAULT_TEXT = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

FaultHook = Callable[[str, int], ApiError | None]


@dataclass
class Fault:
    """A standing failure for one chat."""

    code: int
    description: str
    retry_after: int | None
    remaining: int | None  # None: until cleared
    methods: frozenset[str] | None  # canonical method names; None: every chat method


class Faults:
    """Per-chat injected errors plus an optional hook (e.g. for flood control later)."""

    def __init__(self) -> None:
        self._by_chat: dict[int, Fault] = {}
        # hook(method, chat_id) -> ApiError | None, consulted before the per-chat faults.
        self.hook: FaultHook | None = None

    def fail(
        self,
        chat_id: int,
        code: int,
        *,
        retry_after: int = 5,
        times: int | None = None,
        description: str | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Make chat methods for chat_id fail with this code (times=None: until cleared)."""
        if description is None:
            if code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_TEXT.get(code, f"Error {code}")
        self._by_chat[chat_id] = Fault(
            code,
            description,
            retry_after if code == 429 else None,
            times,
            frozenset(methods) if methods is not None else None,
        )

    def clear(self, chat_id: int | None = None) -> None:
        """Remove the fault of one chat, or all of them."""
        if chat_id is None:
            self._by_chat.clear()
        else:
            self._by_chat.pop(chat_id, None)

    def check(self, method: str, chat_id: int) -> ApiError | None:
        """The error this request must get, if any (consumes one use of a counted fault)."""
        if self.hook is not None:
            error = self.hook(method, chat_id)
            if error is not None:
                return error
        fault = self._by_chat.get(chat_id)
        if fault is None or (fault.methods is not None and method not in fault.methods):
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._by_chat[chat_id]
        return ApiError(fault.code, fault.description, fault.retry_after)
