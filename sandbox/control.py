"""JSON control endpoints so a person or a web chat can act as a user of a running emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .user import SimUser


def add_control_routes(app: web.Application, emu: BotApiEmulator) -> None:
    """Mount /sandbox/users/{user_id}/send|press|messages on the emulator's app."""
    from .emulator import json_response

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="expected a JSON object body")
        return data

    def sim_for(request: web.Request, data: dict[str, Any] | None = None) -> SimUser:
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            raise web.HTTPBadRequest(text="user_id must be an integer") from None
        sim = emu.get_user(user_id)
        if sim is None:
            if data is None:
                raise web.HTTPNotFound(text=f"no user {user_id}")
            # Users appear on first contact, like a stranger opening the bot.
            sim = emu.user(
                first_name=str(data.get("first_name") or f"User{user_id}"),
                username=data.get("username"),
                language_code=data.get("language_code") or "en",
                user_id=user_id,
            )
        return sim

    async def send(request: web.Request) -> web.Response:
        data = await body(request)
        text = data.get("text")
        if not isinstance(text, str) or not text:
            raise web.HTTPBadRequest(text='"text" must be a non-empty string')
        update = await sim_for(request, data).send(text)
        return json_response(200, {"ok": True, "update_id": update["update_id"]})

    async def press(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            update = await sim_for(request, data).press(str(data.get("label", "")))
        except AssertionError as err:
            return json_response(400, {"ok": False, "description": str(err)})
        return json_response(200, {"ok": True, "update_id": update["update_id"]})

    async def messages(request: web.Request) -> web.Response:
        sim = sim_for(request)
        return json_response(200, [m.to_json() for m in sim.inbox])

    app.router.add_post("/sandbox/users/{user_id}/send", send)
    app.router.add_post("/sandbox/users/{user_id}/press", press)
    app.router.add_get("/sandbox/users/{user_id}/messages", messages)
