"""BotApiEmulator: an in-memory Telegram Bot API server on aiohttp, plus its test-side API."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .botmessage import BotMessage
from .commands import CommandStore, normalise_scope
from .errors import ApiError
from .faults import Faults, Mishap
from .files import FileStore
from .flood import FloodControl
from .group import SimGroup
from .methods import METHODS, Method
from .params import Params, read_params
from .state import ChatState, PendingCallback
from .updates import UpdateQueue
from .user import SimUser

_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
# What a request held open by a timeout fault finally gets if the client is still waiting.
_BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
_GROUP_ID_BASE = -1_000_000_000_000  # supergroup-looking ids: -100xxxxxxxxxx
_MAX_UPLOAD = 60 * 1024 * 1024  # above Telegram's 50 MB so the limit is ours to enforce


def json_response(status: int, payload: Any) -> web.Response:
    """A compact JSON response (no aiohttp helper overhead on the hot path)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(status=status, body=body, content_type="application/json")


class BotApiEmulator:
    """Serves the Bot API subset the bot uses and lets tests act as Telegram users."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "multaqa_test_bot",
        bot_first_name: str = "Multaqa",
        first_update_id: int = 1,
    ) -> None:
        """`first_update_id`: where this run numbers updates from. Telegram's ids only grow,
        but each emulator starts afresh: one reusing a database passes the highest id it holds
        plus one, or the bot's inbox takes the new updates for ones it has already handled."""
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.clock: Callable[[], float] = time.time
        # Real seconds for what Telegram times in real time (a callback query's 15 s).
        self.monotonic: Callable[[], float] = time.monotonic
        self.callback_timeout = 15.0
        # The people a web chat offers, in order: {"id", "name", "role", "language_code"}.
        self.personas: list[dict[str, Any]] = []
        # `multaqa sandbox` plugs the bot's clock in here (see sandbox.control.ClockControl).
        self.clock_control: Any = None
        self.updates = UpdateQueue(first_update_id)
        self.files = FileStore()
        self.faults = Faults()
        self.flood = FloodControl()
        # Seconds a person takes before each thing they send or press (None: no time). Tests
        # drive a dialog at machine speed, many presses a second, which no person does; with a
        # pace, flood control refills that person's chat as if the time had passed (a reply
        # per action never waits out a 429; a bot sending more than that still meets them).
        self.person_pace: float | None = None
        self.command_store = CommandStore()
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, SimUser] = {}
        self.callbacks: dict[str, PendingCallback] = {}
        self.request_counts: Counter[str] = Counter()
        self.delivered: Counter[int] = Counter()  # new bot messages per chat (not edits)
        self._hanging: set[asyncio.Task[object]] = set()
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._next_user_id = 100001
        self._callback_seq = 0
        self._group_seq = 0

    # --- lifecycle ----------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        from .control import add_control_routes  # late import: control builds on this class

        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiEmulator:
        """Listen on host:port (0 picks a free port)."""
        # No access log: at benchmark rates per-request logging dominates the cost.
        # handler_cancellation: a client that gives up cancels its hanging request or long poll.
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Wake long polls, drop requests held open by timeout faults, and shut down."""
        self.updates.close()
        await self._drop_hanging()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the running server."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """PTB's base_url: it appends <token>/<method>."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's base_file_url: it appends <token>/<file_path>."""
        return f"{self.url}/file/bot"

    # --- HTTP ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        info = request.match_info
        if info["token"] != self.token:
            return json_response(401, _UNAUTHORIZED)
        method = METHODS.get(info["method"].lower())
        if method is None:
            return json_response(404, _NOT_FOUND)
        self.request_counts[method.name] += 1
        mishap = self.faults.draw(method.name)
        if mishap is None:
            return await self._call(method, request)
        return await self._suffer(mishap, method, request)

    async def _suffer(self, mishap: Mishap, method: Method, request: web.Request) -> web.Response:
        """Answer a request hit by a random fault: an error, or a hang before/after delivery."""
        if mishap.error is not None:
            return json_response(mishap.error.code, mishap.error.payload())
        if mishap.after_delivery:
            await self._call(method, request)  # delivered; the answer is lost
        return await self._hang(mishap.seconds)

    async def _hang(self, seconds: float) -> web.Response:
        """Hold the request open; cancelled when the client disconnects or the emulator stops."""
        task = asyncio.current_task()
        assert task is not None
        self._hanging.add(task)
        try:
            await asyncio.sleep(seconds)
        finally:
            self._hanging.discard(task)
        return json_response(502, _BAD_GATEWAY)

    async def _drop_hanging(self) -> None:
        """Cancel every request a timeout fault holds open and wait until they are gone."""
        tasks = list(self._hanging)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _call(self, method: Method, request: web.Request) -> web.Response:
        """Run one Bot API method and wrap its result or error in Telegram's JSON."""
        try:
            params = Params(await read_params(request))
            result = method.func(self, params)
            if method.is_async:
                result = await result
        except ApiError as err:
            return json_response(err.code, err.payload())
        return json_response(200, {"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return json_response(401, _UNAUTHORIZED)
        record = self.files.by_path(request.match_info["path"])
        if record is None:
            return json_response(404, _NOT_FOUND)
        ctype = record.mime_type or "application/octet-stream"
        return web.Response(body=record.data, content_type=ctype)

    # --- test-side API ------------------------------------------------------------------

    def now(self) -> int:
        """Current Unix time for message dates (follows the overridable clock)."""
        return int(self.clock())

    @property
    def updates_delivered(self) -> int:
        """How many distinct updates getUpdates has handed to the bot."""
        return self.updates.delivered

    def user(
        self,
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        user_id: int | None = None,
        phone: str | None = None,
    ) -> SimUser:
        """Create a simulated user with a private chat (chat id == user id)."""
        if user_id is None:
            while self._next_user_id in self.chats:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        elif user_id in self.chats:
            raise ValueError(f"user {user_id} already exists")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = chat[key] = value
        if language_code:
            user["language_code"] = language_code
        chat["type"] = "private"
        state = ChatState(user, chat, phone or f"+2126{user_id % 10**8:08d}")
        self.chats[user_id] = state
        sim = self.users[user_id] = SimUser(self, state)
        return sim

    def group(self, title: str = "Group") -> SimGroup:
        """Create a group chat the bot is a member of (negative id; the bot may post at once)."""
        self._group_seq += 1
        chat_id = _GROUP_ID_BASE - self._group_seq
        chat = {"id": chat_id, "title": title, "type": "supergroup"}
        state = ChatState({}, chat, "", started=True)
        self.chats[chat_id] = state
        return SimGroup(state)

    def sent_count(self, chat_id: int) -> int:
        """New messages delivered to one chat (edits excluded): for exactly-once checks."""
        return self.delivered[chat_id]

    def delivered_counts(self) -> dict[int, int]:
        """New messages delivered so far, per chat id."""
        return dict(self.delivered)

    @property
    def hanging_requests(self) -> int:
        """Requests a timeout fault is holding open right now."""
        return len(self._hanging)

    def get_user(self, user_id: int) -> SimUser | None:
        """An existing simulated user."""
        return self.users.get(user_id)

    def new_callback_id(self) -> str:
        """A fresh callback query id (numeric string like Telegram's)."""
        self._callback_seq += 1
        return str(4_700_000_000_000_000_000 + self._callback_seq)

    def unanswered_callbacks(self) -> list[str]:
        """Ids of callback queries the bot has not answered."""
        return [qid for qid, pending in self.callbacks.items() if pending.answer is None]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict]:
        """The command list set for exactly this scope and language."""
        return self.command_store.get(normalise_scope(scope), language_code)

    def visible_commands(self, user: SimUser | int, language_code: str | None = None) -> list[dict]:
        """The menu a user would see in their private chat (Telegram's scope fallback)."""
        sim = self.users[user] if isinstance(user, int) else user
        lang = language_code if language_code is not None else (sim.language_code or "")
        return self.command_store.visible_in_private(sim.id, lang)

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        """Current state of a stored message (None if unknown or deleted)."""
        chat = self.chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat else None
        return BotMessage.from_stored(chat_id, stored) if stored else None
