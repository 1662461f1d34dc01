"""Logs at DEBUG hold neither the token nor anyone's name, phone or proposal text."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.settings import load_settings
from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_campaign_owners import _compose
from tests.harness import RunningBot, said, said_text, shown, shown_text

NAME = "Zineb Ouazzani-Tlemcani"
PROPOSAL = "Ouvrir une permanence juridique gratuite à Tiznit"
BROADCAST = "Navette spéciale depuis Agadir à 7h05"


async def test_debug_logs_of_registration_proposal_and_broadcast_hold_nothing_personal(
    emulator: BotApiEmulator,
    make_bot: Callable[..., RunningBot],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await make_bot().start()
    try:
        user = emulator.user(first_name="Zineb", language_code="fr", phone="+212661234567")
        await user.send("/start")
        await said(user)
        await user.press("Français")
        await shown(user)
        await user.press("✅ J'accepte")
        await shown(user)
        await user.send(NAME)
        await said(user)
        await user.press("Inspecteur·rice")
        await shown(user)
        await user.press("Souss-Massa")
        await shown(user)
        await user.send("Centre de Tiznit")
        await said(user)
        await user.send_contact(own=True)
        await said(user)
        assert NAME in await said_text(user)  # the summary
        await user.press("✅ Confirmer")
        assert "inscrit" in await shown_text(user)
        await user.send("/propose")
        await said(user)
        await user.press("💡 Général (hors atelier)")
        await shown(user)
        await user.send(PROPOSAL)
        await said(user)
        await user.press("✅ Terminé")
        assert "P-0001" in await shown_text(user)
        organizer = await _compose(emulator, BROADCAST, "Everyone (1)")
        await organizer.press("✅ Send now")
        while not any(BROADCAST in m.text for m in user.inbox):
            await user.next_message(10)
        await bot.services.runner.wait(1)
    finally:
        await bot.stop()
    assert ORGANIZER_ID  # the organizer took part
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records  # the run was logged
    for secret in (emulator.token, NAME, "661234567", PROPOSAL, BROADCAST, "Tiznit"):
        assert secret not in logged, secret


class _Awaited(logging.Handler):
    """Sets `seen` when a record whose message contains `text` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self._loop.call_soon_threadsafe(self.seen.set)


class _MalformedRelay:
    """A loopback relay in front of the emulator that answers one Bot API method with a
    malformed `Content-Length` (what a broken proxy or a hostile network can send back) and
    passes every other request through, one request per connection."""

    def __init__(self, emulator: BotApiEmulator, broken_method: str) -> None:
        self.emulator = emulator
        self.broken_method = broken_method
        self.broken_answers = 0
        self._server: asyncio.Server | None = None
        self._session: aiohttp.ClientSession | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> _MalformedRelay:
        self._session = aiohttp.ClientSession()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._session is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._session.close()
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/bot"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, path, _ = head[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
            body = await reader.readexactly(length)
            if path.rsplit("/", 1)[-1] == self.broken_method:
                self.broken_answers += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 11x\r\nConnection: close\r\n\r\n"
                    b'{"ok":true}'
                )
            else:
                assert self._session is not None
                kept = {k: v for k, v in headers.items() if k.lower() == "content-type"}
                async with self._session.request(
                    method, self.emulator.url + path, data=body, headers=kept
                ) as answer:
                    status, payload = answer.status, await answer.read()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                    + payload
                )
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, aiohttp.ClientError):
            pass  # the bot or the emulator went away (the end of the test)
        finally:
            self._writers.discard(writer)
            writer.close()


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
async def test_a_malformed_bot_api_answer_logs_the_failure_without_the_token(
    emulator: BotApiEmulator,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    level: int,
) -> None:
    caplog.set_level(level)
    failure = _Awaited("a reply could not be sent")
    logging.getLogger().addHandler(failure)
    try:
        async with _MalformedRelay(emulator, "sendMessage") as relay:
            settings = load_settings(
                _env_file=None,
                bot_token=emulator.token,
                database_path=db_path,
                bot_api_base_url=relay.base_url,
                bot_api_file_url=emulator.base_file_url,
            )
            bot = await RunningBot(settings).start()
            try:
                user = emulator.user(first_name="Zineb", language_code="fr")
                await user.send("/start")
                # The answer cannot be read, whatever the retries: the failure is logged.
                await asyncio.wait_for(failure.seen.wait(), 30)
            finally:
                await bot.stop()
    finally:
        logging.getLogger().removeHandler(failure)
    assert relay.broken_answers >= 1
    assert "Content-Length" in caplog.text  # the cause is in the log...
    assert "NetworkError" in caplog.text  # ...with its traceback
    assert emulator.token not in caplog.text  # ...but not the token
    assert emulator.token not in "\n".join(r.exc_text or "" for r in caplog.records)


def test_an_exception_quoting_the_token_is_logged_without_it() -> None:
    """PTB's InvalidToken quotes the token it was given; so may any library's error. Whatever
    handler formats the record (here the command line's format) prints `<token>` instead,
    in the message, the traceback and the stack."""
    from telegram.error import InvalidToken

    from bot.logs import REDACTED, protect

    token = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    factory = logging.getLogRecordFactory()
    protect([token])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("multaqa.test_logs")
    logger.addHandler(handler)
    try:
        try:
            raise InvalidToken(f"The token `{token}` was rejected by the server.")
        except InvalidToken as exc:
            logger.error("could not start: %s", exc, exc_info=True, stack_info=True)
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(factory)
    printed = stream.getvalue()
    assert "InvalidToken" in printed and "Traceback" in printed and "Stack (most" in printed
    assert token not in printed
    assert printed.count(REDACTED) == 2  # the message and the traceback's last line
