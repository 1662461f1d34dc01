"""Posters: the deep link, the QR code drawn on the page, Arabic and French text laid out."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageChops, ImageDraw, ImageStat

from bot.documents import poster
from bot.documents.poster import HEIGHT, WIDTH, PosterFontError, deep_link, render_poster

LINES = ("امسحوا الرمز لتأكيد حضوركم", "Scannez le code pour confirmer votre présence")
LONG_TITLE = (
    "الملتقى الجهوي الأول حول الاقتصاد الاجتماعي والتضامني ودوره في تحقيق التنمية المستدامة\n"
    "Premier forum régional de l'économie sociale et solidaire et du développement durable"
)
DARK = 40  # luminance below which a pixel is ink (the green bands are lighter than this)


def _ink(image: Image.Image) -> Image.Image:
    """A 1-byte-per-pixel mask: 0 where there is ink, 255 elsewhere."""
    return image.convert("L").point(lambda v: 0 if v < DARK else 255)


def _qr_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The QR symbol's box (no quiet zone), found from its finder patterns' long dark edges."""
    mask = _ink(image).tobytes()
    rows: list[tuple[int, int, int]] = []
    for y in range(HEIGHT):
        runs = [m.span() for m in re.finditer(rb"\x00{100,}", mask[y * WIDTH : (y + 1) * WIDTH])]
        if runs:
            rows.append((y, runs[0][0], runs[-1][1]))
    assert rows, "no QR code on the poster"
    top, left, right = rows[0]
    return left, top, right, rows[-1][0] + 1


def _render(tmp_path: Path, link: str, title: str = "Forum", name: str = "p.png") -> Image.Image:
    out = render_poster(link, title, LINES, tmp_path / name)
    assert out == tmp_path / name
    return Image.open(out).convert("RGB")


def test_deep_link_is_a_telegram_start_link() -> None:
    assert deep_link("multaqa_bot", "checkin-salle_a") == (
        "https://t.me/multaqa_bot?start=checkin-salle_a"
    )
    assert deep_link("@multaqa_bot", "a" * 64) == "https://t.me/multaqa_bot?start=" + "a" * 64


@pytest.mark.parametrize(
    "payload", ["", "a" * 65, "check in", "a+b", "a/b", "a=b", "présence", "قاعة", "a\n"]
)
def test_deep_link_rejects_payloads_telegram_would_drop(payload: str) -> None:
    with pytest.raises(ValueError, match="payload"):
        deep_link("multaqa_bot", payload)


@pytest.mark.parametrize("username", ["", "@", "multaqa bot", "multaqa/bot", "a" * 33])
def test_deep_link_rejects_bad_usernames(username: str) -> None:
    with pytest.raises(ValueError, match="username"):
        deep_link(username, "register")


def test_poster_is_an_a4_png_whose_qr_decodes_to_the_link(tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    for i, link in enumerate(
        (deep_link("multaqa_bot", "checkin-salle-a"), deep_link("multaqa_bot", "x" * 64))
    ):
        out = tmp_path / f"{i}.png"
        render_poster(link, LONG_TITLE, LINES, out)
        with Image.open(out) as image:
            assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
            found = zxingcpp.read_barcodes(image.convert("RGB"))
        assert [(code.format, code.text) for code in found] == [
            (zxingcpp.BarcodeFormat.QRCode, link)
        ]


@pytest.mark.parametrize("payload", ["register", "z" * 64])
def test_poster_draws_segnos_matrix_module_by_module(tmp_path: Path, payload: str) -> None:
    link = deep_link("multaqa_bot", payload)
    image = _render(tmp_path, link)
    left, top, right, bottom = _qr_box(image)
    matrix = segno.make_qr(link, error="m").matrix
    side = right - left
    assert side == bottom - top and side % len(matrix) == 0  # square, whole pixels a module
    module = side // len(matrix)
    assert module >= 16  # large enough to scan from a distance
    symbol = image.convert("L").crop((left, top, right, bottom)).reduce(module)
    drawn = [
        [symbol.getpixel((x, y)) < 128 for x in range(len(matrix))] for y in range(len(matrix))
    ]
    assert drawn == [[bool(bit) for bit in row] for row in matrix]


def _title_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box of the ink above the QR code (its quiet zone is wider than 60 px)."""
    _, qr_top, _, _ = _qr_box(image)
    band = _ink(image.crop((0, 30, WIDTH, qr_top - 60)))
    assert band.histogram()[0] > 1500, "no title drawn"
    box = ImageChops.invert(band).getbbox()
    assert box is not None
    return box


def test_arabic_title_renders_and_wraps_inside_the_margins(tmp_path: Path) -> None:
    short = _render(tmp_path, deep_link("multaqa_bot", "register"), "يوم دراسي", "short.png")
    long = _render(tmp_path, deep_link("multaqa_bot", "q" * 64), LONG_TITLE, "long.png")
    for image in (short, long):
        for margin in ((0, 30, 40, HEIGHT - 20), (WIDTH - 40, 30, WIDTH, HEIGHT - 20)):
            assert ImageChops.invert(_ink(image.crop(margin))).getbbox() is None
    (_, short_top, _, short_bottom), (_, long_top, _, long_bottom) = map(_title_box, (short, long))
    assert long_bottom - long_top > 3 * (short_bottom - short_top)  # wrapped onto more lines


def _line(raqm: bool, text: str, shaped: bool = True) -> Image.Image:
    """One line drawn with the poster's pen (or, unshaped, as Pillow's basic layout would)."""
    image = Image.new("L", (WIDTH, 120), 255)
    draw = ImageDraw.Draw(image)
    pen = poster._Pen(draw, poster._font(poster.font_path(), 48, raqm), raqm)
    if shaped:
        pen.centred([text], 20, "black")
    else:
        draw.text((WIDTH / 2, 20), text, font=pen.font, fill=0, anchor="ma")
    return image


def test_without_raqm_arabic_is_reshaped_and_reordered_like_raqm_does() -> None:
    text = LINES[0]
    visual, direction = poster._visual(text, raqm=False)
    assert direction is None
    assert all("\ufe70" <= c <= "\ufeff" for c in visual.replace(" ", ""))  # joined forms
    assert visual.split()[0] != text.split()[0]  # last word first: right to left
    if not poster.use_raqm():
        pytest.skip("Pillow has no raqm here to compare with")
    raqm, fallback, naive = _line(True, text), _line(False, text), _line(False, text, False)

    def distance(a: Image.Image, b: Image.Image) -> float:
        return ImageStat.Stat(ImageChops.difference(a.reduce(8), b.reduce(8))).mean[0]

    assert distance(raqm, fallback) < distance(raqm, naive) / 2


def test_poster_renders_without_raqm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poster, "use_raqm", lambda: False)
    link = deep_link("multaqa_bot", "register")
    _title_box(_render(tmp_path, link, LONG_TITLE))


def test_font_comes_from_the_package_else_the_system_else_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = poster.font_path()
    assert packaged.name == "IBMPlexSansArabic-Regular.ttf"
    assert poster.font_path(bold=True).name == "IBMPlexSansArabic-Bold.ttf"
    monkeypatch.setattr(poster, "_packaged_font", lambda bold: None)
    system = tmp_path / "Regular.ttf"
    shutil.copy(packaged, system)
    monkeypatch.setattr(poster, "SYSTEM_FONTS", {False: (str(system),), True: ("/nonexistent",)})
    assert poster.font_path(bold=True) == system  # no bold face: the regular one
    monkeypatch.setattr(poster, "SYSTEM_FONTS", {False: ("/nonexistent",), True: ()})
    with pytest.raises(PosterFontError, match="fontpkg-ibm-plex-sans-arabic"):
        poster.font_path()


def test_too_much_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too much text"):
        render_poster(deep_link("multaqa_bot", "r"), LONG_TITLE, LINES * 6, tmp_path / "x.png")
