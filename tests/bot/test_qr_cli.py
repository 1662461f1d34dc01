"""`multaqa qr`: the posters written from the command line are exactly the posters of the
expected deep links (bot/poster.py has the poster's own tests); without network it says so."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from PIL import Image, ImageChops

from bot.documents.poster import deep_link, render_poster
from bot.i18n import Translations
from sandbox import BotApiEmulator


async def test_multaqa_qr_writes_the_posters(emulator: BotApiEmulator, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "BOT_API_BASE_URL": emulator.base_url,
        "BOT_API_FILE_URL": emulator.base_file_url,
        "DATABASE_PATH": str(tmp_path / "m.db"),
        "CHECKIN_CODE": "salle-a",
    }
    for args, name in (((), "multaqa-checkin.png"), (("--register",), "multaqa-register.png")):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "qr",
            *args,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert name in out.decode()
        assert Image.open(tmp_path / name).size == (1240, 1754)
    # Exactly the poster for the check-in link (QR included), with the texts of locales/.
    texts = Translations("ar")
    expected = tmp_path / "expected.png"
    render_poster(
        deep_link(emulator.bot_user["username"], "checkin-salle-a"),
        f"{texts['ar']('qr.product')}\n{texts['fr']('qr.product')}",
        [texts["ar"]("qr.checkin"), texts["fr"]("qr.checkin")],
        expected,
    )
    written = Image.open(tmp_path / "multaqa-checkin.png").convert("RGB")
    assert ImageChops.difference(written, Image.open(expected).convert("RGB")).getbbox() is None


async def test_multaqa_qr_invite_gives_a_one_time_link_that_hands_over_the_recommendation(
    emulator: BotApiEmulator,
    make_bot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.handlers.test_broadcast import enrol
    from tests.harness import said_text

    bot = await make_bot().start()
    try:
        rec_id = await bot.services.recommendations.create(None, "Un guide", "fr", None, None, 1)
        env = {
            **os.environ,
            "BOT_TOKEN": emulator.token,
            "BOT_API_BASE_URL": emulator.base_url,
            "BOT_API_FILE_URL": emulator.base_file_url,
            "DATABASE_PATH": str(bot.settings.database_path),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "qr",
            "--invite",
            str(rec_id),
            "--label",
            "M. Alaoui",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        link = next(line for line in out.decode().splitlines() if "?start=inv-" in line)
        assert Image.open(tmp_path / f"multaqa-invite-R{rec_id}.png").size == (1240, 1754)
        payload = link.split("?start=")[1]
        owner = emulator.user(first_name="Alaoui", language_code="fr")
        await enrol(bot, owner, "fr", "central")
        await owner.send(f"/start {payload}")
        assert "Bienvenue" in await said_text(owner)
        rec = await bot.services.followup.repo.get(rec_id)
        assert rec is not None and rec.owner_id == owner.id
    finally:
        await bot.stop()


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_qr_without_network_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    port = _closed_port()
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-token",
        "DATABASE_PATH": str(tmp_path / "m.db"),
        "DEFAULT_LOCALE": "en",
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "BOT_API_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "qr",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1, lines
    assert "Telegram could not be reached" in lines[0] and "--bot-username" in lines[0]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".png")]  # no poster
    assert out == b""
