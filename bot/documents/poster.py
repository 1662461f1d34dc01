"""A4 posters that carry a QR code of a bot deep link, with Arabic and French text.

segno draws the QR code. Arabic is shaped and laid out right to left by Pillow's raqm engine
when it is available (it needs the system's FriBiDi), else by arabic-reshaper + python-bidi.
The font is IBM Plex Sans Arabic (Arabic and Latin in one face) from the PyPI package
fontpkg-ibm-plex-sans-arabic, else DejaVu Sans or Arial found on the system.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import arabic_reshaper
import segno
from bidi import get_display
from PIL import Image, ImageDraw, ImageFont, features

from bot.i18n import Message

WIDTH, HEIGHT = 1240, 1754  # A4 portrait at 150 dpi
MARGIN = 100  # left, right and top margin, px
QR_MAX, QR_MIN = 1040, 480  # side of the QR code with its (white) quiet zone, px
QR_BORDER = 4  # quiet zone in modules, as the QR standard asks
INK, GREY, ACCENT = "#111111", "#5a5a5a", "#0b6e4f"

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Telegram's rule for ?start= parameters
_USERNAME = re.compile(r"[A-Za-z0-9_]{4,32}")
_PACKAGED_FONT = "fontpkg_ibm_plex_sans_arabic"
_PACKAGED_FILES = {False: "IBMPlexSansArabic-Regular.ttf", True: "IBMPlexSansArabic-Bold.ttf"}
# Fallbacks with Arabic and Latin glyphs: Debian/Ubuntu, Fedora, Arch, macOS, Windows.
SYSTEM_FONTS: dict[bool, tuple[str, ...]] = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "C:/Windows/Fonts/arial.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
        "C:/Windows/Fonts/arialbd.ttf",
    ),
}


class PosterFontError(RuntimeError):
    """No font with Arabic glyphs could be found."""


def deep_link(bot_username: str, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>; the payload is checked against Telegram's rule."""
    if not _PAYLOAD.fullmatch(payload):
        raise ValueError(Message("qr.bad_payload", payload=payload))
    username = bot_username.removeprefix("@")
    if not _USERNAME.fullmatch(username):
        raise ValueError(Message("qr.bad_username", name=bot_username))
    return f"https://t.me/{username}?start={payload}"


def _packaged_font(bold: bool) -> Path | None:
    """The font file shipped by fontpkg-ibm-plex-sans-arabic, if that package is installed."""
    try:
        path = resources.files(_PACKAGED_FONT) / "files" / _PACKAGED_FILES[bold]
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


def font_path(bold: bool = False) -> Path:
    """The font to draw with: the packaged one, else the first system font found."""
    packaged = _packaged_font(bold)
    if packaged is not None:
        return packaged
    for candidate in (*SYSTEM_FONTS[bold], *SYSTEM_FONTS[False]):
        if Path(candidate).is_file():
            return Path(candidate)
    raise PosterFontError(
        "no font with Arabic glyphs: pip install fontpkg-ibm-plex-sans-arabic "
        "(or apt-get install fonts-dejavu-core)"
    )


def use_raqm() -> bool:
    """Whether Pillow can shape text with raqm (bundled in its wheels, needs FriBiDi)."""
    return bool(features.check("raqm"))


@lru_cache(maxsize=32)
def _font(path: Path, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    """A loaded font, cached by file, size and layout engine."""
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)


def _is_rtl(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _visual(text: str, raqm: bool) -> tuple[str, str | None]:
    """The string to hand Pillow and the direction to ask for: raqm shapes, else we do."""
    if raqm:
        return text, "rtl" if _is_rtl(text) else "ltr"
    return get_display(arabic_reshaper.reshape(text)), None


@dataclass(frozen=True)
class _Pen:
    """Draws one font's text in visual order, with raqm or with reshaper + bidi."""

    draw: ImageDraw.ImageDraw
    font: ImageFont.FreeTypeFont
    raqm: bool

    def width(self, text: str) -> float:
        """Drawn width of a line, in px."""
        visual, direction = _visual(text, self.raqm)
        return self.draw.textlength(visual, font=self.font, direction=direction)

    def line_height(self) -> int:
        """Distance between baselines, in px."""
        ascent, descent = self.font.getmetrics()
        return int((ascent + descent) * 1.08)

    def wrap(self, text: str, width: int) -> list[str]:
        """Greedy word wrap in logical order; words wider than a line are cut."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            line = ""
            for word in paragraph.split():
                for piece in self._cut(word, width):
                    candidate = f"{line} {piece}" if line else piece
                    if line and self.width(candidate) > width:
                        lines.append(line)
                        line = piece
                    else:
                        line = candidate
            lines.append(line)
        return lines

    def _cut(self, word: str, width: int) -> list[str]:
        """A word split into pieces that each fit the width."""
        pieces: list[str] = []
        while self.width(word) > width and len(word) > 1:
            end = len(word) - 1
            while end > 1 and self.width(word[:end]) > width:
                end -= 1
            pieces.append(word[:end])
            word = word[end:]
        return [*pieces, word]

    def centred(self, lines: Sequence[str], top: int, fill: str) -> int:
        """Draw lines centred on the page from `top`; returns the y below the last one."""
        y = top
        for line in lines:
            visual, direction = _visual(line, self.raqm)
            self.draw.text(
                (WIDTH / 2, y), visual, font=self.font, fill=fill, anchor="ma", direction=direction
            )
            y += self.line_height()
        return y


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, bold: bool, sizes: Sequence[int], max_lines: int
) -> tuple[_Pen, list[str]]:
    """The largest size whose wrap of `text` takes at most `max_lines` (else the smallest)."""
    raqm = use_raqm()
    for size in sizes:
        pen = _Pen(draw, _font(font_path(bold), size, raqm), raqm)
        lines = pen.wrap(text, WIDTH - 2 * MARGIN)
        if len(lines) <= max_lines:
            break
    return pen, lines


def _qr_image(link: str, side: int) -> tuple[Image.Image, int]:
    """The QR code of `link` with its quiet zone, in whole pixels a module; and the module size."""
    code = segno.make_qr(link, error="m")
    scale = max(side // code.symbol_size(scale=1, border=QR_BORDER)[0], 1)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=QR_BORDER, dark=INK)
    return Image.open(buffer).convert("RGB"), scale


def render_poster(link: str, title: str, lines: Sequence[str], out: Path) -> Path:
    """Write an A4 PNG poster: title, QR code of `link`, instruction lines, the link."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    title_pen, title_lines = _fitted(draw, title, True, (68, 60, 52, 46), 3)
    body = [_fitted(draw, line, False, (42, 38, 34), 2) for line in lines]
    link_pen, link_lines = _fitted(draw, link, False, (28, 24, 20), 1)

    title_bottom = MARGIN + title_pen.line_height() * len(title_lines)
    body_h = sum(pen.line_height() * len(wrapped) + 14 for pen, wrapped in body)
    link_top = HEIGHT - MARGIN // 2 - link_pen.line_height() * len(link_lines)
    room = link_top - title_bottom - body_h - 20  # the quiet zone spaces the QR from the text
    if min(QR_MAX, room) < QR_MIN:
        raise ValueError("too much text for one poster: shorten the title or the lines")
    qr, module = _qr_image(link, min(QR_MAX, room))

    draw.rectangle((0, 0, WIDTH, 24), fill=ACCENT)
    draw.rectangle((0, HEIGHT - 12, WIDTH, HEIGHT), fill=ACCENT)
    title_pen.centred(title_lines, MARGIN, INK)
    # The block of QR and lines centred between title and link, as the eye sees it.
    qr_top = title_bottom + max(room - qr.height - module * QR_BORDER, 0) // 2
    image.paste(qr, ((WIDTH - qr.width) // 2, qr_top))
    y = qr_top + qr.height + 20
    for pen, wrapped in body:
        y = pen.centred(wrapped, y, INK) + 14
    link_pen.centred(link_lines, link_top, GREY)

    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, "PNG", dpi=(150, 150))
    return out
