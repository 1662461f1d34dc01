"""Flood control and random faults of the emulator, driven over real HTTP by PTB and httpx."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox import SENDING_METHODS, BotApiEmulator, SimUser

# RetryAfter.retry_after as an int is deprecated in PTB 22.2+; the value is what we check.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def clock(emu: BotApiEmulator) -> FakeClock:
    fake = FakeClock()
    emu.flood.clock = fake
    return fake


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


@pytest.fixture
async def http(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{emu.url}/bot{emu.token}") as client:
        yield client


def impatient_bot(emu: BotApiEmulator, read_timeout: float = 0.2) -> telegram.Bot:
    """A PTB Bot that gives up on a response after read_timeout seconds."""
    return telegram.Bot(
        emu.token,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
    )


async def started(emu: BotApiEmulator, name: str = "User") -> SimUser:
    """A user who has opened the bot, so the bot may write to them."""
    user = emu.user(name)
    await user.send("/start")
    return user


def seconds(value: int | dtm.timedelta) -> float:
    """RetryAfter.retry_after in seconds, whichever type this PTB version hands out."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def until_no_hanging(emu: BotApiEmulator, timeout: float = 1.0) -> None:  # noqa: ASYNC109
    """Wait until the emulator holds no request open (the client's disconnect reached it)."""
    deadline = time.monotonic() + timeout
    while emu.hanging_requests:
        assert time.monotonic() < deadline, f"{emu.hanging_requests} requests still hanging"
        await asyncio.sleep(0.01)


# --- flood control -------------------------------------------------------------------------


async def test_flood_control_is_off_by_default(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started(emu, "Alice")
    assert not emu.flood.enabled
    for n in range(100):
        await bot.send_message(alice.id, f"burst {n}")
    assert emu.sent_count(alice.id) == 100 == len(alice.inbox)
    assert emu.flood.rejected == 0
    assert len(emu.flood.sent_times) == 100  # recorded even when off, for rate measurements


async def test_a_persons_pace_refills_only_their_chat_one_message_per_action(
    emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock
) -> None:
    alice, bob = await started(emu, "Alice"), await started(emu, "Bob")
    emu.flood.enable(private_burst=2)
    emu.person_pace = 1.0  # a second per thing a person sends or presses
    for chat in (alice.id, bob.id):
        await bot.send_message(chat, "one")
        await bot.send_message(chat, "two")
    await alice.send("and?")  # took Alice a second: one more message for her, not two
    await bot.send_message(alice.id, "three")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "four")
    with pytest.raises(RetryAfter):  # Bob did nothing: his chat is as full as before
        await bot.send_message(bob.id, "three")
    for _ in range(5):  # five actions refill no more than the burst
        await alice.send("hello?")
    await bot.send_message(alice.id, "four")
    await bot.send_message(alice.id, "five")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "six")
    assert clock.now == 1000.0  # only the pace refilled it: no time passed


async def test_private_chat_allows_a_short_burst_then_one_per_second(
    emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock, http: httpx.AsyncClient
) -> None:
    alice, bob = await started(emu, "Alice"), await started(emu, "Bob")
    emu.flood.enable(private_burst=3)  # a burst of 3, then 1 per second, edits included
    first = await bot.send_message(alice.id, "one")
    await bot.send_message(alice.id, "two")
    await bot.edit_message_text("one (edited)", chat_id=alice.id, message_id=first.message_id)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "three")
    assert seconds(caught.value.retry_after) == 1
    clock.advance(0.999)
    response = await http.post("/sendMessage", json={"chat_id": alice.id, "text": "still three"})
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    with pytest.raises(RetryAfter):  # an edit waits like a send
        await bot.edit_message_text("one (again)", chat_id=alice.id, message_id=first.message_id)
    # Other chats and chat actions are not held back by Alice's bucket.
    await bot.send_message(bob.id, "hi Bob")
    await bot.send_chat_action(alice.id, "typing")
    clock.advance(0.001)  # one token back after exactly 1 s
    await bot.send_message(alice.id, "three")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "four")
    assert [m.text for m in alice.inbox] == ["one", "two", "one (edited)", "three"]
    assert emu.sent_count(alice.id) == 3 and emu.sent_count(bob.id) == 1
    assert emu.delivered_counts() == {alice.id: 3, bob.id: 1}
    assert emu.flood.rejected == 4 and emu.flood.rejected_by_chat == {alice.id: 4}
    assert emu.flood.edits == 1


async def test_a_quiet_private_chat_gets_its_burst_back(
    emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock
) -> None:
    alice = await started(emu, "Alice")
    emu.flood.enable(private_burst=2)
    for text in ("a", "b"):
        await bot.send_message(alice.id, text)
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "c")
    clock.advance(10)  # the bucket refills, but holds no more than the burst
    for text in ("c", "d"):
        await bot.send_message(alice.id, text)
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "e")
    assert emu.sent_count(alice.id) == 4


async def test_per_bot_limit(emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock) -> None:
    users = [await started(emu, f"U{n}") for n in range(31)]
    emu.flood.enable(per_bot_per_second=30)
    failed: list[int] = []
    for user in users:  # all within one frozen second
        try:
            await bot.send_message(user.id, "announcement")
        except RetryAfter as err:
            assert seconds(err.retry_after) == 1
            failed.append(user.id)
    assert failed == [users[-1].id]
    assert emu.flood.rejected == 1 and emu.sent_count(users[-1].id) == 0
    clock.advance(1.0)
    await bot.send_message(users[-1].id, "announcement")
    assert sum(emu.delivered_counts().values()) == 31
    assert emu.flood.busiest(1.0) == 30  # the sustained-rate view a benchmark would check


async def test_group_limit_per_minute(
    emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock
) -> None:
    staff = emu.group("Staff")
    assert staff.id < 0 and staff.title == "Staff"
    emu.flood.enable()
    for n in range(20):
        await bot.send_message(staff.id, f"note {n}")  # groups: no per-second limit
        clock.advance(0.5)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(staff.id, "one too many")
    assert seconds(caught.value.retry_after) == 50  # the first note leaves the window at +60 s
    clock.advance(49.5)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(staff.id, "one too many")
    assert seconds(caught.value.retry_after) == 1
    clock.advance(0.5)
    message = await bot.send_message(staff.id, "now it fits")
    assert message.chat.id == staff.id and message.chat.type == "supergroup"
    assert emu.sent_count(staff.id) == 21 == len(staff.inbox)


async def test_disable_lifts_the_limits(
    emu: BotApiEmulator, bot: telegram.Bot, clock: FakeClock
) -> None:
    alice = await started(emu, "Alice")
    emu.flood.enable(private_burst=1)
    await bot.send_message(alice.id, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "two")
    emu.flood.disable()
    await bot.send_message(alice.id, "two")
    assert emu.sent_count(alice.id) == 2


def test_flood_rejects_bad_limits() -> None:
    emu = BotApiEmulator()
    with pytest.raises(ValueError, match="positive"):
        emu.flood.enable(per_chat_per_second=0)


# --- per-chat errors -------------------------------------------------------------------------


async def test_deleted_account_is_forbidden(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started(emu, "Alice")
    emu.faults.fail(alice.id, 403, description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(alice.id, "hello?")
    assert emu.sent_count(alice.id) == 0


# --- random faults -------------------------------------------------------------------------


async def test_random_server_errors_are_not_delivered(
    emu: BotApiEmulator, bot: telegram.Bot, http: httpx.AsyncClient
) -> None:
    alice = await started(emu, "Alice")
    emu.faults.random_errors(rate=0.3, codes=(500, 502), seed=7)
    delivered = failed = 0
    descriptions: set[str] = set()
    for n in range(60):
        try:
            await bot.send_message(alice.id, f"try {n}")
            delivered += 1
        except NetworkError as err:  # PTB maps every 5xx to the NetworkError base class
            assert type(err) is NetworkError
            descriptions.add(err.message)
            failed += 1
    assert failed == emu.faults.injected["error"] and 0 < failed < 60
    assert descriptions == {"Internal Server Error", "Bad Gateway"}
    assert emu.sent_count(alice.id) == delivered == len(alice.inbox)
    await bot.get_me()  # non-sending methods are never hit by default
    await bot.send_chat_action(alice.id, "typing")
    assert emu.faults.injected["error"] == failed

    emu.faults.random_errors(rate=1.0, codes=(502,))
    response = await http.post("/sendMessage", json={"chat_id": alice.id, "text": "x"})
    assert (response.status_code, response.json()) == (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    emu.faults.clear()
    await bot.send_message(alice.id, "clear removes random faults too")


async def test_random_errors_repeat_with_the_same_seed(emu: BotApiEmulator) -> None:
    patterns = []
    for _ in range(2):
        emu.faults.random_errors(rate=0.5, seed=3)
        patterns.append([emu.faults.draw("sendMessage") is not None for _ in range(40)])
    assert patterns[0] == patterns[1] and any(patterns[0]) and not all(patterns[0])
    assert all(emu.faults.draw(name) is None for name in ("getUpdates", "editMessageText"))
    assert "sendMessage" in SENDING_METHODS and "editMessageText" not in SENDING_METHODS
    with pytest.raises(ValueError, match="5xx"):
        emu.faults.random_errors(codes=(429,))
    with pytest.raises(ValueError, match="rate"):
        emu.faults.random_timeouts(rate=1.5)


async def test_timeout_before_delivery(emu: BotApiEmulator) -> None:
    alice = await started(emu, "Alice")
    emu.faults.random_timeouts(rate=1.0, seconds=30)
    async with impatient_bot(emu) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(alice.id, "lost")
    assert emu.sent_count(alice.id) == 0 and not alice.inbox
    assert emu.faults.injected["timeout"] == 1
    await until_no_hanging(emu)  # the client's disconnect cancelled the hanging handler


async def test_timeout_after_delivery(emu: BotApiEmulator) -> None:
    alice = await started(emu, "Alice")
    emu.faults.timeout_after_delivery(rate=1.0, seconds=30)
    async with impatient_bot(emu) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(alice.id, "delivered, but who knows")
    assert emu.sent_count(alice.id) == 1
    assert (await alice.next_message(timeout=0.5)).text == "delivered, but who knows"
    await until_no_hanging(emu)


async def test_hang_ends_in_bad_gateway_for_a_patient_client(emu: BotApiEmulator) -> None:
    alice = await started(emu, "Alice")
    emu.faults.random_timeouts(rate=1.0, seconds=0.05)
    async with impatient_bot(emu, read_timeout=2.0) as patient:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await patient.send_message(alice.id, "slow")
    assert emu.sent_count(alice.id) == 0


async def test_stop_with_a_request_hanging(caplog: pytest.LogCaptureFixture) -> None:
    emu = await BotApiEmulator().start()
    alice = await started(emu, "Alice")
    emu.faults.random_timeouts(rate=1.0, seconds=30)
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=f"{emu.url}/bot{emu.token}") as http:
        pending = asyncio.create_task(
            http.post("/sendMessage", json={"chat_id": alice.id, "text": "hang"})
        )
        deadline = time.monotonic() + 1.0
        while not emu.hanging_requests:
            assert time.monotonic() < deadline, "the request never reached the emulator"
            await asyncio.sleep(0.005)
        started_at = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started_at < 0.5
        assert emu.hanging_requests == 0
        with pytest.raises(httpx.HTTPError):  # the connection closes without an answer
            await pending
    assert emu.sent_count(alice.id) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
