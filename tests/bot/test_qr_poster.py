"""The check-in and registration posters: deep link, QR code of it, Arabic text drawn."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bot.i18n import Translations
from bot.qr_poster import HEIGHT, QR_SIDE, WIDTH, deep_link, qr_image, render_poster
from sandbox import BotApiEmulator


def test_deep_link_follows_telegrams_rules() -> None:
    assert deep_link("@multaqa_bot", "checkin-venue") == (
        "https://t.me/multaqa_bot?start=checkin-venue"
    )
    for bad in ("", "a" * 65, "check in", "قاعة"):
        with pytest.raises(ValueError):
            deep_link("multaqa_bot", bad)


def test_poster_holds_the_qr_of_the_link_and_arabic_text(tmp_path: Path) -> None:
    link = deep_link("multaqa_bot", "checkin-venue")
    out = tmp_path / "poster.png"
    corner = render_poster(
        link, "يوم دراسي\nJournée d'étude", ["امسحوا الرمز لتسجيل حضوركم", "Scannez le code"], out
    )
    poster = Image.open(out).convert("RGB")
    assert poster.size == (WIDTH, HEIGHT)
    drawn = poster.crop((corner[0], corner[1], corner[0] + QR_SIDE, corner[1] + QR_SIDE))
    assert ImageChops.difference(drawn, qr_image(link)).getbbox() is None
    assert qr_image(link) != qr_image(deep_link("multaqa_bot", "register"))
    title_band = poster.crop((0, 0, WIDTH, corner[1]))
    assert title_band.getextrema() != ((255, 255), (255, 255), (255, 255))  # text was drawn


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
        assert Image.open(tmp_path / name).size == (WIDTH, HEIGHT)
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
