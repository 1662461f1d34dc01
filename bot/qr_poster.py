"""Printable A4 posters with a QR code of a deep link: check-in at the venue, registration on
invitations. segno draws the QR; Pillow (with its bundled raqm layout engine for Arabic
shaping and right-to-left order) draws the text with a font that has Arabic glyphs."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, features

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # Telegram's rule for start parameters
FONT_PATHS = (  # Debian's fonts-dejavu-core is on our machines; Noto as a second choice
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansArabic-Regular.ttf",
)
BOLD_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", *FONT_PATHS)


class PosterError(RuntimeError):
    """The poster cannot be drawn here (no font with Arabic glyphs)."""


def deep_link(bot_username: str, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>, the payload checked as Telegram checks it."""
    if not _PAYLOAD.match(payload):
        raise ValueError("a start payload is 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def _font(paths: Sequence[str], size: int) -> ImageFont.FreeTypeFont:
    for path in paths:
        if Path(path).exists():
            engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
            return ImageFont.truetype(path, size, layout_engine=engine)
    raise PosterError("no font with Arabic glyphs found; install Debian's fonts-dejavu-core")


def _is_rtl(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Greedy word wrap measured with the real font."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if (
                line
                and draw.textlength(candidate, font=font, direction=_direction(candidate)) > width
            ):
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _direction(text: str) -> str | None:
    return "rtl" if _is_rtl(text) and features.check("raqm") else None


def _centred(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: str = "#1a1a1a",
) -> int:
    """Draw wrapped, centred text from y; returns the y below it."""
    for line in _wrap(draw, text, font, WIDTH - 2 * MARGIN):
        direction = _direction(line)
        width = draw.textlength(line, font=font, direction=direction)
        draw.text(((WIDTH - width) / 2, y), line, font=font, fill=fill, direction=direction)
        y += int(font.size * 1.35)
    return y


QR_SIDE = 820


def qr_image(link: str, side: int = QR_SIDE) -> Image.Image:
    """The QR code of a link as a square RGB image (medium error correction)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=20, border=2)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return code.resize((side, side), Image.Resampling.NEAREST)


def render_poster(link: str, title: str, lines: Sequence[str], out: Path) -> tuple[int, int]:
    """Write the poster PNG: title, QR code of `link`, instruction lines, the link itself.
    Returns where the QR code's top-left corner is (for checks)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    y = _centred(draw, MARGIN, title, _font(BOLD_PATHS, 56)) + 40
    corner = ((WIDTH - QR_SIDE) // 2, y)
    image.paste(qr_image(link), corner)
    y += QR_SIDE + 50
    body = _font(FONT_PATHS, 40)
    for line in lines:
        y = _centred(draw, y, line, body) + 10
    _centred(draw, HEIGHT - MARGIN - 40, link, _font(FONT_PATHS, 28), fill="#555555")
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, "PNG")
    return corner
