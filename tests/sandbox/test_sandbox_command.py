"""`multaqa sandbox`, the README's first command, as a person runs it: a process that serves
the web chat with the bot answering, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_sandbox_starts_serves_the_page_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--lang",
        "en",  # what it prints comes from the catalogue, in this language
        "sandbox",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "sandbox.db"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,  # nothing from the current folder (no .env) is needed
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"http://127.0.0.1:{port}" in first
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            page = await client.get("/")
            assert page.status_code == 200 and "<title>Multaqa sandbox</title>" in page.text
            assert (await client.get("/sandbox/web/chat.js")).status_code == 200
            people = (await client.get("/sandbox/personas")).json()
            roles = {p["role"] for p in people}
            assert {"participant", "organizer", "delegate"} <= roles
            amina = people[0]["id"]
            await client.post(f"/sandbox/users/{amina}/send", json={"text": "/start"})
            chat = {"version": 0, "messages": []}
            for _ in range(20):  # each call waits for the next change (long poll)
                if any(m["from_bot"] for m in chat["messages"]):
                    break
                chat = (
                    await client.get(
                        f"/sandbox/users/{amina}/chat",
                        params={"after": chat["version"], "wait": 5},
                        timeout=10,
                    )
                ).json()
            greeting = next(m for m in chat["messages"] if m["from_bot"])
            assert "ملتقى" in greeting["html"]  # the bot answered, in Arabic
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 30)
    out, err = await process.communicate()
    assert code == 0, err.decode()[-2000:]
    assert "Multaqa sandbox stopped" in out.decode()
    assert "Traceback" not in err.decode()


async def test_the_sandbox_serves_the_dashboard_that_nadia_signs_in_to(tmp_path: Path) -> None:
    port, dashboard_port = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--lang",
        "en",
        "sandbox",
        "--port",
        str(port),
        "--dashboard-port",
        str(dashboard_port),
        "--db",
        str(tmp_path / "sandbox.db"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), 60)
        announced = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"Organizers' dashboard: http://127.0.0.1:{dashboard_port}" in announced
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as chat:
            nadia = next(
                p["id"]
                for p in (await chat.get("/sandbox/personas")).json()
                if p["role"] == "organizer"
            )
            link = await _dashboard_link(chat, nadia)
        assert link.startswith(f"http://127.0.0.1:{dashboard_port}/signin/")
        async with httpx.AsyncClient(timeout=10) as browser:
            opened = await browser.get(link)
            assert opened.status_code == 200, (link, opened.text)  # the Sign-in button
            signed_in = await browser.post(link, follow_redirects=True)
            assert signed_in.status_code == 200 and "<html" in signed_in.text
            assert "multaqa_session" in browser.cookies
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 30)
    _, err = await process.communicate()
    assert code == 0, err.decode()[-2000:]


async def _dashboard_link(chat: httpx.AsyncClient, user_id: int) -> str:
    """What Nadia does in the web chat: /admin, then 🖥 Dashboard; the link she is given."""
    await chat.post(f"/sandbox/users/{user_id}/send", json={"text": "/admin"})
    await _wait_for(chat, user_id, lambda m: "🖥" in str(m.get("buttons")))
    await chat.post(f"/sandbox/users/{user_id}/press", json={"label": "🖥 Tableau de bord"})
    message = await _wait_for(chat, user_id, lambda m: "/signin/" in m["html"])
    link = re.search(r"href=\"(https?://[^\"]+/signin/[^\"]+)\"", message["html"])
    assert link is not None, message["html"]
    return link.group(1)


async def _wait_for(chat: httpx.AsyncClient, user_id: int, wanted) -> dict:  # type: ignore[no-untyped-def]
    """The first message from the bot that `wanted` accepts, waiting (long poll) for it."""
    state = {"version": 0, "messages": []}
    for _ in range(20):
        found = [m for m in state["messages"] if m["from_bot"] and wanted(m)]
        if found:
            return found[-1]
        state = (
            await chat.get(
                f"/sandbox/users/{user_id}/chat",
                params={"after": state["version"], "wait": 5},
            )
        ).json()
    raise AssertionError("the bot did not answer")
