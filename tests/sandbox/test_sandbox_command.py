"""`multaqa sandbox`, the README's first command, as a person runs it: a process that serves
the web chat with the bot answering, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx

from storage.clock import SystemClock
from storage.database import Database
from storage.roles import RoleRepository
from storage.sandbox import made_elsewhere, mark_as_sandbox

T = TypeVar("T")


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


async def _run_on(db: Path, cwd: Path, work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """One `multaqa sandbox --db db` run: `work` with a client of its control API, then
    Ctrl-C (which must end it cleanly)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--lang",
        "en",
        "sandbox",
        "--port",
        str(port),
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), 60)  # serving
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            result = await work(client)
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 30)
    _, err = await process.communicate()
    assert code == 0, err.decode()[-2000:]
    return result


async def _answered(db: Path, cwd: Path) -> str:
    """Amina sends /start in one sandbox run on `db`: the bot's first answer (html)."""

    async def start(client: httpx.AsyncClient) -> str:
        amina = (await client.get("/sandbox/personas")).json()[0]["id"]
        await client.post(f"/sandbox/users/{amina}/send", json={"text": "/start"})
        chat = {"version": 0, "messages": []}
        for _ in range(4):  # each call waits up to 5 s for the next change (long poll)
            if any(m["from_bot"] for m in chat["messages"]):
                break
            chat = (
                await client.get(
                    f"/sandbox/users/{amina}/chat",
                    params={"after": chat["version"], "wait": 5},
                    timeout=10,
                )
            ).json()
        answers = [m["html"] for m in chat["messages"] if m["from_bot"]]
        assert answers, "the bot did not answer /start"
        return str(answers[0])

    return await _run_on(db, cwd, start)


async def test_a_kept_sandbox_database_resumes_its_clock_where_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"

    async def three_days_on(client: httpx.AsyncClient) -> str:
        moved = (await client.post("/sandbox/clock", json={"seconds": 3 * 86400})).json()
        return str(moved["now"])

    async def now(client: httpx.AsyncClient) -> str:
        return str((await client.get("/sandbox/clock")).json()["now"])

    reached = datetime.fromisoformat(await _run_on(db, tmp_path, three_days_on))
    # The second run's clock does not go back to the rehearsal's first day: what was
    # rehearsed (prompts answered, reminders sent) stays in the past.
    assert datetime.fromisoformat(await _run_on(db, tmp_path, now)) >= reached


async def test_a_kept_sandbox_database_answers_the_first_message_of_the_next_run(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kept.db"
    assert "ملتقى" in await _answered(db, tmp_path)
    # The emulator of the second run is new, but numbers its updates after those the
    # database remembers: its first /start is not taken for the one handled last time.
    assert await _answered(db, tmp_path)


def _contents(database: Path) -> tuple[bytes, bytes]:
    """The database file and its write-ahead log, if any."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes(), wal.read_bytes() if wal.exists() else b""


async def test_sandbox_refuses_a_copy_of_a_real_database_and_warns_on_an_open_host(
    tmp_path: Path,
) -> None:
    """A real database holds organizers and an event: the sandbox would revoke the former,
    load its example over the latter and plan reminders. It is not touched, and says why."""
    real = tmp_path / "copy-of-production.db"
    db = await Database(real).open()
    try:
        await RoleRepository(db, SystemClock()).grant(424242, "organizer", None, "terminal")
    finally:
        await db.close()
    before = _contents(real)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--lang",
        "en",
        "sandbox",
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        "--db",
        str(real),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    warning, refusal = err.decode().splitlines()
    assert warning.startswith("Warning: --host 0.0.0.0 is not this machine only")
    assert refusal.startswith(f"multaqa sandbox will not use {real}: it holds organizers")
    assert out == b""
    assert _contents(real) == before  # (reading it may leave an empty -wal beside it)


async def test_the_sandbox_takes_back_its_own_database_and_an_empty_one(tmp_path: Path) -> None:
    own = tmp_path / "sandbox.db"
    db = await Database(own).open()
    try:
        await RoleRepository(db, SystemClock()).grant(9001, "organizer", None, "settings")
        assert made_elsewhere(own)
        await mark_as_sandbox(db, SystemClock())
    finally:
        await db.close()
    assert not made_elsewhere(own)
    assert not made_elsewhere(tmp_path / "new.db")
    empty = tmp_path / "empty.db"
    await (await Database(empty).open()).close()
    assert not made_elsewhere(empty)


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
