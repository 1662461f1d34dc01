"""Shared pieces of the benchmarks: bot subprocesses, timestamped chat events, statistics."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psutil

from sandbox import BotApiEmulator, BotMessage, SimUser


class BenchError(Exception):
    """Something went wrong or hung; the message says what."""


# --- statistics ---------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ms(latencies: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of latencies given in seconds, in milliseconds."""
    return tuple(percentile(latencies, q) * 1000 for q in (50, 95, 99))  # type: ignore[return-value]


# --- chat events with arrival times ---------------------------------------------------------


class StampedQueue(asyncio.Queue[BotMessage]):
    """A chat's event queue that remembers when the emulator emitted each event."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: deque[float] = deque()
        self.texts: dict[int, str] = {}  # each message's last text: an edit that changes it

    def put_nowait(self, item: BotMessage) -> None:
        """Queue the event and its emission time (perf_counter)."""
        self.stamps.append(time.perf_counter())
        super().put_nowait(item)


def stamped_user(emu: BotApiEmulator, first_name: str, language_code: str) -> SimUser:
    """A new simulated user whose chat events carry emission timestamps."""
    user = emu.user(first_name=first_name, language_code=language_code)
    emu.chats[user.id].events = StampedQueue()
    return user


def events_of(emu: BotApiEmulator, user: SimUser) -> StampedQueue:
    """The stamped event queue of a user made by stamped_user()."""
    queue = emu.chats[user.id].events
    if not isinstance(queue, StampedQueue):
        raise TypeError(f"{user!r} was not created with stamped_user()")
    return queue


async def next_new_message(queue: StampedQueue, timeout: float) -> tuple[BotMessage, float]:  # noqa: ASYNC109
    """The next message the person reads and when it was emitted: a new message, or an
    older one edited into new text (a press shows the next question in the pressed
    message); edits that only change buttons are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        message = await asyncio.wait_for(queue.get(), remaining)
        stamp = queue.stamps.popleft()
        before = queue.texts.get(message.message_id)
        queue.texts[message.message_id] = message.text
        if message.kind != "edit" or message.text != before:
            return message, stamp


# --- bot subprocesses -----------------------------------------------------------------------


def ptb_env(emu: BotApiEmulator, **extra: str) -> dict[str, str]:
    """Environment pointing a bot process at the emulator."""
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=emu.token,
        BOT_API_BASE_URL=emu.base_url,
        BOT_API_FILE_URL=emu.base_file_url,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@dataclass
class BotProcess:
    """A bot running as a subprocess, with its log file and an RSS sampler thread."""

    name: str
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    ps: psutil.Process | None = None
    peak_rss: int = 0
    _log: IO[bytes] | None = None
    _stop_sampling: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None

    @property
    def log_path(self) -> Path:
        """Where the bot's stdout and stderr go."""
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        """Launch the process and start sampling its RSS every 100 ms."""
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=self.workdir, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.ps = psutil.Process(self.proc.pid)
        self._sampler = threading.Thread(target=self._sample, name=f"rss-{self.name}", daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        """Sampler thread body: keep the peak RSS until stopped or the process is gone."""
        assert self.ps is not None
        while not self._stop_sampling.wait(0.1):
            try:
                self.peak_rss = max(self.peak_rss, self.ps.memory_info().rss)
            except psutil.Error:
                return

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (threads included)."""
        assert self.ps is not None
        times = self.ps.cpu_times()
        return times.user + times.system

    def check_alive(self) -> None:
        """Raise if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(f"{self.name} exited with code {self.proc.returncode}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the process log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def first_error_since(self, offset: int) -> tuple[str | None, int]:
        """The first ERROR line logged after byte `offset`, and the offset read up to."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                chunk = log.read()
        except OSError:
            return None, offset
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        for line in complete.decode(errors="replace").splitlines():
            if " ERROR " in line:
                return line, offset + len(complete)
        return None, offset + len(complete)

    def error_digest(self, lines: int = 25) -> tuple[int, str]:
        """How many ERROR lines the log holds, and the first one with what follows it."""
        try:
            log = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return 0, ""
        errors = [i for i, line in enumerate(log) if " ERROR " in line]
        if not errors:
            return 0, ""
        return len(errors), "\n".join(log[errors[0] : errors[0] + lines])

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait up to `timeout` seconds, then SIGKILL; returns the exit code."""
        self._stop_sampling.set()
        code: int | None = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"{self.name}: no exit {timeout:.0f} s after SIGTERM, killing it")
                self.proc.kill()
                code = self.proc.wait(5)
        if self._sampler is not None:
            self._sampler.join(1)
        if self._log is not None:
            self._log.close()
        return code


async def stop_async(bot: BotProcess) -> int | None:
    """Stop a bot without blocking the event loop (the emulator must answer its last calls)."""
    return await asyncio.to_thread(bot.stop)


async def wait_polling(emu: BotApiEmulator, bot: BotProcess, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until the bot has called getUpdates at least once."""
    deadline = time.monotonic() + timeout
    while emu.request_counts["getUpdates"] < 1:
        bot.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"{bot.name} did not start polling within {timeout:.0f} s")
        await asyncio.sleep(0.05)


# --- CPU accounting -------------------------------------------------------------------------


@dataclass
class CpuWindow:
    """CPU use of the bot and of this (emulator + users) process over a wall-clock window."""

    bot: BotProcess
    started: float = 0.0
    bot_cpu0: float = 0.0
    own_cpu0: float = 0.0

    def begin(self) -> None:
        """Start the window."""
        own = psutil.Process().cpu_times()
        self.started = time.perf_counter()
        self.bot_cpu0 = self.bot.cpu_seconds()
        self.own_cpu0 = own.user + own.system

    def end(self) -> tuple[float, float, float]:
        """(wall seconds, bot CPU %, emulator+users CPU %) since begin()."""
        wall = time.perf_counter() - self.started
        own = psutil.Process().cpu_times()
        bot_pct = 100 * (self.bot.cpu_seconds() - self.bot_cpu0) / wall
        own_pct = 100 * (own.user + own.system - self.own_cpu0) / wall
        return wall, bot_pct, own_pct
