"""The control API: act as users of a running emulator, read their chats, and switch faults,
flood limits and (under `multaqa sandbox`) the bot's clock, over HTTP with readable UTF-8 JSON.
The web chat at / is built on exactly these endpoints; see the README for the list."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from aiohttp import web

from .errors import ApiError
from .render import render_keyboard, render_message

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .user import SimUser

WEB = Path(__file__).parent / "web"
_LONGEST_WAIT = 30.0
_ACTION_SECONDS = 5.0  # Telegram shows a chat action for 5 s or until the next message
_MEDIA = ("photo", "document", "voice")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ClockControl(Protocol):
    """The bot's clock as `multaqa sandbox` exposes it (absent in tests: /sandbox/clock 404)."""

    async def status(self) -> dict[str, Any]: ...

    async def advance(self, seconds: float) -> dict[str, Any]: ...

    async def to_next(self) -> dict[str, Any]: ...


def answer(payload: Any, status: int = 200) -> web.Response:
    """Readable JSON: UTF-8 as is (Arabic stays Arabic), indented, charset declared."""
    body = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    return web.Response(status=status, text=body, content_type="application/json", charset="utf-8")


def _refuse(status: int, description: str) -> web.Response:
    return answer({"ok": False, "description": description}, status)


class _Refused(Exception):
    """A request the control API refuses with a status and a reason."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise _Refused(400, "expected a JSON object body") from None
    if not isinstance(data, dict):
        raise _Refused(400, "expected a JSON object body")
    return data


def _decode(spec: dict[str, Any], kind: str) -> bytes:
    try:
        return base64.b64decode(str(spec.get("content_base64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(400, f'"{kind}.content_base64" is not base64') from None


def _int(data: dict[str, Any], key: str) -> int:
    try:
        return int(data[key])
    except (KeyError, TypeError, ValueError):
        raise _Refused(400, f'"{key}" must be an integer') from None


class ControlApi:
    """Routes of the control API and the web chat, bound to one emulator."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu

    def routes(self) -> list[web.RouteDef]:
        wrap = self._guard
        return [
            web.get("/", self.index),
            web.get("/sandbox/web/{name}", self.static),
            web.get("/sandbox/personas", wrap(self.personas)),
            web.post("/sandbox/users/{user_id}/send", wrap(self.send)),
            web.post("/sandbox/users/{user_id}/press", wrap(self.press)),
            web.get("/sandbox/users/{user_id}/messages", wrap(self.messages)),
            web.get("/sandbox/users/{user_id}/chat", wrap(self.chat)),
            web.get("/sandbox/block", wrap(self.blocked)),
            web.post("/sandbox/block", wrap(self.block)),
            web.get("/sandbox/flood", wrap(self.flood_status)),
            web.post("/sandbox/flood", wrap(self.flood)),
            web.get("/sandbox/faults", wrap(self.faults_status)),
            web.post("/sandbox/faults", wrap(self.faults)),
            web.get("/sandbox/clock", wrap(self.clock_status)),
            web.post("/sandbox/clock", wrap(self.clock)),
            web.get("/sandbox/files/{file_id}", self.file),
            web.get("/sandbox/stats", wrap(self.stats)),
        ]

    @staticmethod
    def _guard(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except _Refused as refused:
                return _refuse(refused.status, refused.description)
            except AssertionError as err:  # SimUser's "no such button", "blocked the bot"
                return _refuse(400, str(err))
            except ApiError as err:
                return _refuse(400, err.description)

        return guarded

    # --- the page ------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = WEB / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    async def file(self, request: web.Request) -> web.StreamResponse:
        record = self.emu.files.get(request.match_info["file_id"])
        if record is None:
            return _refuse(404, "no such file")
        headers = {}
        if record.file_name:
            disposition = (
                "inline" if (record.mime_type or "").startswith("image/") else "attachment"
            )
            headers["Content-Disposition"] = (
                f"{disposition}; filename*=UTF-8''{quote(record.file_name)}"
            )
        return web.Response(
            body=record.data,
            content_type=record.mime_type or "application/octet-stream",
            headers=headers,
        )

    # --- people --------------------------------------------------------------------------

    def _sim(self, request: web.Request, data: dict[str, Any] | None = None) -> SimUser:
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            raise _Refused(400, "user_id must be an integer") from None
        sim = self.emu.get_user(user_id)
        if sim is None:
            if data is None or user_id <= 0:
                raise _Refused(404, f"no user {user_id}")
            # Users appear on first contact, like a stranger opening the bot.
            sim = self.emu.user(
                first_name=str(data.get("first_name") or f"User{user_id}"),
                username=data.get("username"),
                language_code=data.get("language_code") or "en",
                user_id=user_id,
            )
        return sim

    async def personas(self, request: web.Request) -> web.Response:
        people = []
        for persona in self.emu.personas:
            sim = self.emu.get_user(int(persona["id"]))
            people.append(
                {
                    **persona,
                    "phone": sim.phone if sim else None,
                    "blocked": bool(sim and sim.blocked),
                }
            )
        return answer(people)

    async def send(self, request: web.Request) -> web.Response:
        if request.content_type == "multipart/form-data":
            return await self._upload(request)
        data = await _json_body(request)
        sim = self._sim(request, data)
        update = await self._send_json(sim, data)
        return answer({"ok": True, "update_id": update["update_id"]})

    async def _send_json(self, sim: SimUser, data: dict[str, Any]) -> dict[str, Any]:
        caption = data.get("caption")
        if isinstance(data.get("text"), str) and data["text"]:
            return await sim.send(data["text"])
        if "sticker" in data:
            return await sim.send_sticker(str(data["sticker"] or "👍"))
        if "contact" in data:
            contact = data["contact"]
            if contact == "own":
                return await sim.send_contact(own=True)
            if not isinstance(contact, dict) or not contact.get("phone_number"):
                raise _Refused(400, '"contact" must be "own" or {"phone_number", "first_name"}')
            return await sim.send_contact(
                str(contact["phone_number"]), first_name=contact.get("first_name")
            )
        if "location" in data:
            spot = data["location"]
            if not isinstance(spot, dict):
                raise _Refused(400, '"location" must be {"latitude", "longitude"}')
            try:
                return await sim.send_location(float(spot["latitude"]), float(spot["longitude"]))
            except (KeyError, TypeError, ValueError):
                raise _Refused(400, '"location" must be {"latitude", "longitude"}') from None
        for kind in _MEDIA:
            spec = data.get(kind)
            if isinstance(spec, dict):
                content = _decode(spec, kind)
                return await self._send_media(
                    sim,
                    kind,
                    content,
                    spec.get("file_name"),
                    spec.get("mime_type"),
                    spec.get("caption", caption),
                )
        raise _Refused(
            400,
            "send one of: text, sticker, contact, location, photo, document, voice "
            "(see the README)",
        )

    async def _send_media(
        self,
        sim: SimUser,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
    ) -> dict[str, Any]:
        if not content:
            raise _Refused(400, "the file is empty")
        if kind == "photo":
            return await sim.send_photo(content, caption=caption or None)
        if kind == "voice":
            return await sim.send_voice(content)
        return await sim.send_document(
            file_name=file_name or "document",
            mime_type=mime_type or None,
            content=content,
            caption=caption or None,
        )

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        sim = self._sim(request, {"first_name": form.get("first_name")})
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise _Refused(400, 'a multipart upload needs a "file" part')
        kind = str(form.get("kind") or "")
        mime = upload.content_type or None
        if kind not in _MEDIA:
            kind = "photo" if (mime or "").startswith("image/") else "document"
        caption = str(form.get("caption") or "") or None
        update = await self._send_media(
            sim, kind, upload.file.read(), upload.filename, mime, caption
        )
        return answer({"ok": True, "update_id": update["update_id"]})

    async def press(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        sim = self._sim(request, data)
        if "message_id" in data:
            label = data.get("label")
            update = await sim.press_button(
                _int(data, "message_id"),
                label=str(label) if label is not None else None,
                row=int(data.get("row", 0)),
                column=int(data.get("column", 0)),
            )
        else:
            update = await sim.press(str(data.get("label", "")))
        return answer({"ok": True, "update_id": update["update_id"]})

    async def messages(self, request: web.Request) -> web.Response:
        sim = self._sim(request)
        return answer([m.to_json() for m in sim.inbox])

    async def chat(self, request: web.Request) -> web.Response:
        """The chat as it stands (edits applied, deletions gone); waits for a change first
        when `after` is the version the caller already has."""
        sim = self._sim(request)
        state = sim.chat_state
        try:
            after = int(request.query.get("after", "-1"))
            wait = min(float(request.query.get("wait", "0")), _LONGEST_WAIT)
        except ValueError:
            raise _Refused(400, '"after" and "wait" must be numbers') from None
        if wait > 0:
            await state.wait_change(after, wait)
        files = self.emu.files
        acting = state.chat_actions and self.emu.monotonic() - state.action_at < _ACTION_SECONDS
        return answer(
            {
                "user_id": sim.id,
                "version": state.version,
                "blocked": state.blocked,
                "messages": [render_message(m, files) for m in state.messages.values()],
                "keyboard": render_keyboard(state.reply_keyboard),
                "toasts": [
                    {"text": a.text, "show_alert": a.show_alert}
                    for a in state.answered_callbacks
                    if a.text
                ],
                "callback_answers": len(state.answered_callbacks),
                "action": state.chat_actions[-1] if acting else None,
            }
        )

    # --- faults --------------------------------------------------------------------------

    async def blocked(self, request: web.Request) -> web.Response:
        return answer({"blocked": [uid for uid, sim in self.emu.users.items() if sim.blocked]})

    async def block(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        user_id = _int(data, "user_id")
        sim = self.emu.get_user(user_id)
        if sim is None:
            raise _Refused(404, f"no user {user_id}")
        want = bool(data.get("blocked", True))
        update = await (sim.block() if want else sim.unblock())
        return answer(
            {
                "ok": True,
                "user_id": user_id,
                "blocked": sim.blocked,
                "my_chat_member_update_id": update["update_id"] if update else None,
            }
        )

    async def flood_status(self, request: web.Request) -> web.Response:
        return answer(self.emu.flood.status())

    async def flood(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        flood = self.emu.flood
        if data.get("enabled", True):
            limits = {
                key: _int(data, key)
                for key in (
                    "per_bot_per_second",
                    "per_chat_per_second",
                    "per_group_per_minute",
                    "private_burst",
                )
                if key in data
            }
            try:
                flood.enable(**limits)
            except ValueError as err:
                raise _Refused(400, str(err)) from None
        else:
            flood.disable()
        return answer(flood.status())

    async def faults_status(self, request: web.Request) -> web.Response:
        return answer(self.emu.faults.status())

    async def faults(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        faults = self.emu.faults
        try:
            if data.get("clear") is True:
                faults.clear()
            elif "clear" in data:
                faults.clear(_int(data, "clear"))
            for key, switch in (
                ("random_errors", faults.random_errors),
                ("random_timeouts", faults.random_timeouts),
                ("timeout_after_delivery", faults.timeout_after_delivery),
            ):
                spec = data.get(key)
                if isinstance(spec, dict):
                    switch(
                        **{
                            k: v
                            for k, v in spec.items()
                            if k in ("rate", "codes", "seconds", "seed", "methods")
                        }
                    )
            chat = data.get("chat")
            if isinstance(chat, dict):
                faults.fail(
                    _int(chat, "user_id"),
                    _int(chat, "code"),
                    times=int(chat["times"]) if chat.get("times") is not None else None,
                    retry_after=int(chat.get("retry_after", 5)),
                )
        except (TypeError, ValueError) as err:
            raise _Refused(400, str(err)) from None
        return answer(faults.status())

    # --- clock and figures ---------------------------------------------------------------

    def _clock(self) -> ClockControl:
        control = self.emu.clock_control
        if control is None:
            raise _Refused(404, "no bot clock here: the clock is moved under `multaqa sandbox`")
        return control

    async def clock_status(self, request: web.Request) -> web.Response:
        return answer(await self._clock().status())

    async def clock(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        control = self._clock()
        if data.get("to") == "next":
            return answer(await control.to_next())
        try:
            seconds = float(data["seconds"])
        except (KeyError, TypeError, ValueError):
            raise _Refused(400, 'send {"seconds": 3600} or {"to": "next"}') from None
        if seconds < 0:
            raise _Refused(400, "the clock only moves forward")
        return answer(await control.advance(seconds))

    async def stats(self, request: web.Request) -> web.Response:
        emu = self.emu
        return answer(
            {
                "requests": dict(emu.request_counts),
                "updates_delivered": emu.updates_delivered,
                "messages_delivered": sum(emu.delivered.values()),
                "edits": emu.flood.edits,
                "callback_answers": sum(len(c.answered_callbacks) for c in emu.chats.values()),
                "unanswered_callbacks": len(emu.unanswered_callbacks()),
                "flood_rejected": emu.flood.rejected,
            }
        )


# The names a browser on this machine uses for the sandbox. Any other name in Host is a page
# of another site whose DNS now points here (DNS rebinding): refused.
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_SAFE_FETCH_SITES = ("same-origin", "none")


def _allowed_hosts(request: web.Request) -> set[str]:
    """host:port values this request may name: the loopback names, and the address it came
    in on when that is an IP literal (`--host 192.168.1.5`: no DNS name to rebind)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return set()
    address, port = str(sockname[0]), int(sockname[1])
    literal = f"[{address}]" if ":" in address else address
    return {f"{name}:{port}" for name in (*_LOOPBACK_NAMES, literal)}


def _cross_site(request: web.Request) -> str | None:
    """Why a request to the control API is refused, or None: a Host not of this machine, an
    Origin of another site, or a browser saying the request is cross-site."""
    host = request.headers.get("Host", "").lower()
    if host not in _allowed_hosts(request):
        return "the Host must be 127.0.0.1, localhost or [::1] with the port"
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"http://{host}":
        return "requests from another origin are refused"
    if request.headers.get("Sec-Fetch-Site", "none") not in _SAFE_FETCH_SITES:
        return "cross-site requests are refused"
    return None


def _not_json(request: web.Request) -> str | None:
    """A POST must say it is JSON: a page of another site cannot send that without asking
    first (CORS), which the sandbox never allows. The web chat's own uploads are multipart,
    accepted only on /send and only with this page's Origin."""
    if request.method != "POST" or request.content_type == "application/json":
        return None
    if (
        request.content_type == "multipart/form-data"
        and request.path.endswith("/send")
        and "Origin" in request.headers
    ):
        return None
    return "send JSON with Content-Type: application/json"


@web.middleware
async def _same_machine_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The control API and the web chat answer this machine's own pages and tools only. The
    Bot API routes are left alone: the bot is not a browser, and they need the token."""
    if request.path == "/" or request.path.startswith("/sandbox/"):
        if why := _cross_site(request):
            return _refuse(403, why)
        if why := _not_json(request):
            return _refuse(415, why)
    return await handler(request)


def add_control_routes(app: web.Application, emu: BotApiEmulator) -> None:
    """Mount the control API and the web chat on the emulator's app."""
    app.middlewares.append(_same_machine_only)
    app.router.add_routes(ControlApi(emu).routes())
