"""The aiohttp transport keeps PTB's contract: the same Bot API answers (errors, hangs, a
dropped connection, an upload) reach the bot as exactly what PTB's own httpx transport gives."""

from __future__ import annotations

import asyncio
import socket
import struct
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from telegram import Bot
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outbound.limiter import retry_after_seconds
from bot.transport import AiohttpRequest, make_request
from sandbox import ApiError, BotApiEmulator, SimUser

TRANSPORTS = ("aiohttp", "httpx")

Case = Callable[[Bot, BotApiEmulator, SimUser], Awaitable[Any]]


async def _bot(emulator: BotApiEmulator, transport: str, base_url: str | None = None) -> Bot:
    request = make_request(transport, 8, read_timeout=0.5)  # type: ignore[arg-type]
    bot = Bot(
        emulator.token,
        base_url=base_url or emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=request,
    )
    await bot.initialize()
    return bot


def _seen(outcome: object) -> tuple[str, str, float | None]:
    """What the bot sees: the exception's type, message and retry_after (or the result)."""
    if isinstance(outcome, RetryAfter):
        return type(outcome).__name__, outcome.message, retry_after_seconds(outcome)
    if isinstance(outcome, TelegramError):
        return type(outcome).__name__, outcome.message, None
    return "ok", str(outcome), None


async def _both(emulator: BotApiEmulator, user: SimUser, case: Case) -> list[tuple[Any, ...]]:
    seen = []
    for transport in TRANSPORTS:
        bot = await _bot(emulator, transport)
        try:
            seen.append(_seen(await case(bot, emulator, user)))
        except TelegramError as exc:
            seen.append(_seen(exc))
        finally:
            await bot.shutdown()
    return seen


@pytest.fixture
def user(emulator: BotApiEmulator) -> SimUser:
    person = emulator.user(first_name="Ines", language_code="fr")
    person.open_chat()
    return person


async def _send(bot: Bot, emulator: BotApiEmulator, user: SimUser) -> Any:
    return (await bot.send_message(user.id, "Atelier 2 : salle D")).text


def _failing(code: int, **options: Any) -> Case:
    async def case(bot: Bot, emulator: BotApiEmulator, user: SimUser) -> Any:
        emulator.faults.fail(user.id, code, times=1, **options)
        return await _send(bot, emulator, user)

    return case


async def _bad_html(bot: Bot, emulator: BotApiEmulator, user: SimUser) -> Any:
    return await bot.send_message(user.id, "<b>Atelier <i>2</b>", parse_mode="HTML")


async def _conflict(bot: Bot, emulator: BotApiEmulator, user: SimUser) -> Any:
    def hook(method: str, chat_id: int) -> ApiError | None:
        emulator.faults.hook = None
        return ApiError(409, "Conflict: terminated by other getUpdates request")

    emulator.faults.hook = hook
    return await _send(bot, emulator, user)


async def _hang(bot: Bot, emulator: BotApiEmulator, user: SimUser) -> Any:
    emulator.faults.random_timeouts(rate=1.0, seconds=10.0, methods=["sendMessage"])
    try:
        return await _send(bot, emulator, user)
    finally:
        emulator.faults.clear()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (_send, "ok"),
        (_bad_html, "BadRequest"),
        (_failing(403), "Forbidden"),
        (_failing(429, retry_after=7), "RetryAfter"),
        (_failing(500), "NetworkError"),
        (_failing(502), "NetworkError"),
        (_conflict, "Conflict"),
        (_hang, "TimedOut"),
    ],
    ids=["ok", "400-parse", "403", "429", "500", "502", "409", "timeout"],
)
async def test_both_transports_give_the_bot_the_same_answer(
    emulator: BotApiEmulator, user: SimUser, case: Case, expected: str
) -> None:
    aiohttp_seen, httpx_seen = await _both(emulator, user, case)
    assert aiohttp_seen == httpx_seen
    assert aiohttp_seen[0] == expected
    if expected == "RetryAfter":
        assert aiohttp_seen[2] == 7
    if expected == "BadRequest":
        assert "can't parse entities" in aiohttp_seen[1].lower()


@pytest.fixture
async def resetting_server() -> AsyncIterator[str]:
    """A loopback server that reads a request and resets the connection (RST, no answer)."""

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_reset_connection_is_a_network_error_on_both_transports(
    emulator: BotApiEmulator, user: SimUser, resetting_server: str
) -> None:
    errors = []
    for transport in TRANSPORTS:
        request = make_request(transport, 2)  # type: ignore[arg-type]
        await request.initialize()  # not the Bot's initialize: its getMe would fail first
        bot = Bot(emulator.token, base_url=resetting_server, request=request)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(user.id, "Atelier 2")
        errors.append(caught.value)
        await request.shutdown()
    # Neither a timeout nor a Telegram answer: a plain NetworkError naming the cause.
    assert [type(e) for e in errors] == [NetworkError, NetworkError]
    assert all(not isinstance(e, TimedOut | BadRequest | Forbidden | Conflict) for e in errors)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_file_is_uploaded_as_multipart_and_comes_back_the_same(
    emulator: BotApiEmulator, user: SimUser, transport: str
) -> None:
    content = "Liste des participants — قائمة المشاركين\n".encode() * 2000
    bot = await _bot(emulator, transport)
    try:
        message = await bot.send_document(
            user.id,
            content,
            filename="liste المشاركين.csv",
            caption="<b>Liste</b>",
            parse_mode="HTML",
        )
        assert message.document is not None
        assert message.document.file_name == "liste المشاركين.csv"
        assert message.caption == "Liste"
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == content
    finally:
        await bot.shutdown()
    seen = await user.next_message()  # the person gets it too
    assert (seen.kind, seen.text, seen.document["file_name"]) == (
        "document",
        "Liste",
        "liste المشاركين.csv",
    )


async def test_the_aiohttp_transport_refuses_to_work_before_it_is_initialized() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/", "GET")
    await request.shutdown()  # safe without a session, and twice
    await request.shutdown()


def test_an_unknown_transport_is_refused_at_start_with_the_choices() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, bot_token="123:abc", transport="curl")
    assert refused.value.problems == ["TRANSPORT: must be one of aiohttp, httpx"]


async def test_a_transport_error_names_neither_the_url_nor_the_token(
    emulator: BotApiEmulator, user: SimUser
) -> None:
    """aiohttp's error text holds the request URL, …/bot<token>/sendMessage: what the bot
    raises (and any log or traceback of it) keeps the cause and the method, not the token."""

    async def malformed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11x\r\n\r\n" + b'{"ok":true}')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(malformed, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = make_request("aiohttp", 2)
    await request.initialize()
    try:
        bot = Bot(emulator.token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(user.id, "Atelier 2")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    shown = "".join(traceback.format_exception(caught.value))
    assert "Content-Length" in str(caught.value) and "/sendMessage" in str(caught.value)
    assert emulator.token not in shown
    assert f"127.0.0.1:{port}" in str(caught.value)  # where it failed is still said
