"""How the bot talks HTTP to the Bot API: PTB's request interface on one aiohttp session.

Why not PTB's default (httpx): under load the bot spent most of a core inside httpx/httpcore;
the same echo bot answered ~8x more updates per second on aiohttp (issue 14,
`benchmarks/echo_transport.py`). aiohttp is already what the emulator runs on.

The contract is PTB's `BaseRequest`: `do_request` returns (status, body) and raises only
`TimedOut` or `NetworkError` for transport failures; `BaseRequest.post` turns Telegram's
error answers into `BadRequest`, `Forbidden`, `RetryAfter`, `Conflict`, ... exactly as it does
for `HTTPXRequest` (`tests/bot/test_transport.py` checks both against the same faults).
`TRANSPORT=httpx` falls back to PTB's `HTTPXRequest`.
"""

from __future__ import annotations

import re
from typing import Literal

import aiohttp
import yarl
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

Transport = Literal["aiohttp", "httpx"]


# A Bot API token as @BotFather gives it: the bot's id, a colon, 35 URL-safe characters.
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


def _without_url(exc: aiohttp.ClientError, url: str) -> str:
    """aiohttp's error text without the request URL, which holds the bot's token
    (`…/bot<token>/sendMessage`): the URL is shown as its origin and last part only
    (`http://host/…/sendMessage`), and anything left that looks like a token is replaced."""
    parsed = yarl.URL(url)
    shown = f"{parsed.origin()}/…/{parsed.name}" if parsed.absolute else "…"
    text = str(exc)
    for form in {url, str(parsed), parsed.human_repr()}:
        text = text.replace(form, shown)
    return _TOKEN.sub("<token>", text)


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """PTB's request interface on one `aiohttp.ClientSession` (opened in `initialize`).

    Timeouts map to aiohttp's as closely as it allows: `connect` to the socket connect,
    `pool` plus `connect` to getting a connection (aiohttp counts the wait for a free pooled
    connection and a new connection together), `read` to the wait between bytes of the answer.
    aiohttp has no write timeout of its own: the sum of all four bounds the whole request, so
    an upload that stalls still ends in `TimedOut`.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it must be made inside the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size,
                limit_per_host=0,  # one host (Telegram): `limit` is the limit
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Telegram's answers are JSON we parse ourselves; no cookies to keep.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections; safe to call twice."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP request; (status, body) or TimedOut/NetworkError, as HTTPXRequest does."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _pick(read_timeout, self._read_timeout)
        connect = _pick(connect_timeout, self._connect_timeout)
        pool = _pick(pool_timeout, self._pool_timeout)
        write = _pick(write_timeout, self._media_write_timeout if files else self._write_timeout)
        phases = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None and request_data.parameters:
            body = request_data.url_encoded_parameters().encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError:  # aiohttp's timeouts are TimeoutError subclasses
            failure: TimedOut | NetworkError = TimedOut()
        except aiohttp.ClientError as exc:
            failure = NetworkError(f"aiohttp.{exc.__class__.__name__}: {_without_url(exc, url)}")
        # Raised outside the `except`, so not chained: aiohttp's own exception (which the
        # traceback would print, URL and token included) is not attached to what PTB logs.
        raise failure


def make_request(
    transport: Transport,
    connection_pool_size: int,
    *,
    read_timeout: float | None = 5.0,
    pool_timeout: float | None = 1.0,
) -> BaseRequest:
    """A request object for PTB on the chosen transport, with the same limits either way."""
    if transport == "httpx":
        return HTTPXRequest(
            connection_pool_size=connection_pool_size,
            read_timeout=read_timeout,
            pool_timeout=pool_timeout,
        )
    return AiohttpRequest(
        connection_pool_size=connection_pool_size,
        read_timeout=read_timeout,
        pool_timeout=pool_timeout,
    )
