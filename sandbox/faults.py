"""Injected failures: per-chat 403/429/5xx answers and seeded random 5xx errors or hangs."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus

from .errors import ApiError
from .flood import SENDING_METHODS

_DEFAULT_TEXT = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

FaultHook = Callable[[str, int], ApiError | None]

# Random fault kinds, in the order they win when several hit the same request.
ERROR = "error"
TIMEOUT = "timeout"
TIMEOUT_AFTER_DELIVERY = "timeout_after_delivery"
_KINDS = (ERROR, TIMEOUT, TIMEOUT_AFTER_DELIVERY)


@dataclass
class Fault:
    """A standing failure for one chat."""

    code: int
    description: str
    retry_after: int | None
    remaining: int | None  # None: until cleared
    methods: frozenset[str] | None  # canonical method names; None: every chat method


@dataclass
class RandomFault:
    """A seeded fraction of requests that fail one way (an error code, or a hang)."""

    rate: float
    rng: random.Random
    methods: frozenset[str]
    codes: tuple[int, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class Mishap:
    """What one request suffers: an error answer, or a hang before or after delivery."""

    kind: str
    error: ApiError | None = None
    seconds: float = 0.0

    @property
    def after_delivery(self) -> bool:
        """True when the request is carried out before the response is withheld."""
        return self.kind == TIMEOUT_AFTER_DELIVERY


def server_error(code: int) -> ApiError:
    """A 5xx answer in Telegram's shape (no "parameters")."""
    return ApiError(code, _DEFAULT_TEXT.get(code) or HTTPStatus(code).phrase)


def _method_set(methods: Iterable[str] | None) -> frozenset[str]:
    """Canonical method names a random fault applies to (default: the sending methods)."""
    return SENDING_METHODS if methods is None else frozenset(methods)


def _check_rate(rate: float) -> float:
    """Validate a probability."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be within [0, 1], got {rate}")
    return rate


class Faults:
    """Per-chat injected errors, seeded random faults, and an optional hook."""

    def __init__(self) -> None:
        self._by_chat: dict[int, Fault] = {}
        self._random: dict[str, RandomFault] = {}
        self.injected: Counter[str] = Counter()  # random faults that hit, by kind
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
        """Remove the fault of one chat, or every fault (per-chat and random)."""
        if chat_id is None:
            self._by_chat.clear()
            self._random.clear()
        else:
            self._by_chat.pop(chat_id, None)

    def random_errors(
        self,
        rate: float = 0.05,
        codes: Iterable[int] = (500, 502),
        seed: int = 1,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer this fraction of requests with one of `codes` (5xx), without carrying them out."""
        chosen = tuple(codes)
        if not chosen or not all(500 <= code <= 599 for code in chosen):
            raise ValueError(f"codes must be 5xx status codes, got {chosen}")
        self._random[ERROR] = RandomFault(
            _check_rate(rate), random.Random(seed), _method_set(methods), codes=chosen
        )

    def random_timeouts(
        self,
        rate: float = 0.02,
        seconds: float = 30.0,
        seed: int = 2,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Hold this fraction of requests open without carrying them out (then 502)."""
        self._random[TIMEOUT] = RandomFault(
            _check_rate(rate), random.Random(seed), _method_set(methods), seconds=seconds
        )

    def timeout_after_delivery(
        self,
        rate: float = 0.02,
        seconds: float = 30.0,
        seed: int = 3,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Carry out this fraction of requests but hold the response back (then 502)."""
        self._random[TIMEOUT_AFTER_DELIVERY] = RandomFault(
            _check_rate(rate), random.Random(seed), _method_set(methods), seconds=seconds
        )

    def status(self) -> dict[str, object]:
        """What is switched on, and how many random faults hit so far (for the control API)."""
        return {
            "random": {
                kind: {
                    "rate": fault.rate,
                    **({"codes": list(fault.codes)} if fault.codes else {}),
                    **({"seconds": fault.seconds} if kind != ERROR else {}),
                }
                for kind, fault in self._random.items()
            },
            "chats": {
                str(chat_id): {"code": fault.code, "remaining": fault.remaining}
                for chat_id, fault in self._by_chat.items()
            },
            "injected": dict(self.injected),
        }

    def draw(self, method: str) -> Mishap | None:
        """The random fault this request suffers, if any (each kind draws independently)."""
        if not self._random:
            return None
        chosen: Mishap | None = None
        for kind in _KINDS:
            fault = self._random.get(kind)
            if fault is None or method not in fault.methods:
                continue
            # Every matching kind draws, so one kind's pattern does not depend on the others.
            if fault.rng.random() >= fault.rate or chosen is not None:
                continue
            if kind == ERROR:
                chosen = Mishap(kind, error=server_error(fault.rng.choice(fault.codes)))
            else:
                chosen = Mishap(kind, seconds=fault.seconds)
        if chosen is not None:
            self.injected[chosen.kind] += 1
        return chosen

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
