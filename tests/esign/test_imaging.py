"""Seal images: true size at the DPI, transparent background, only red ink, text drawn."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from sealhub.esign import imaging
from sealhub.esign.imaging.errors import FontMissing, InvalidImprint, InvalidSealSpec
from sealhub.esign.imaging.fonts import font_path


def _open(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()
    return img


def _assert_red_on_transparent(img: Image.Image, *, square: bool = False) -> None:
    assert img.mode == "RGBA"
    corners = [(0, 0), (img.width - 1, 0), (0, img.height - 1), (img.width - 1, img.height - 1)]
    if square:  # the frame reaches the corners: look just inside it instead
        c = img.width // 2
        corners = [(c, c // 5), (c // 5 + 2, c)]
    for xy in corners:
        assert img.getpixel(xy)[3] == 0, f"corner {xy} not transparent"
    # every visible pixel is the seal red (anti-aliasing only changes its opacity)
    colours = {px[:3] for px in img.get_flattened_data() if px[3] > 0}
    assert colours == {imaging.SEAL_RED}
    alpha = img.getchannel("A")
    inked = sum(alpha.point(lambda v: 1 if v > 0 else 0).histogram()[1:])
    assert 0.05 < inked / (img.width * img.height) < 0.6


def _ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    region = img.getchannel("A").crop(box)
    return sum(region.point(lambda v: 1 if v >= 128 else 0).histogram()[1:])


@pytest.mark.parametrize(("diameter", "dpi"), [(38, 300), (42, 400), (45, 600)])
def test_round_seal_true_size_red_transparent(diameter: int, dpi: int) -> None:
    seal = imaging.round_seal(
        "上海示例科技有限公司", "合同专用章", code="3101150012345", diameter_mm=diameter, dpi=dpi
    )
    img = _open(seal.png)
    assert abs(seal.width_mm - diameter) < 0.1 and abs(seal.height_mm - diameter) < 0.1
    assert img.size == (seal.width_px, seal.height_px)
    assert round(img.info["dpi"][0]) == dpi
    _assert_red_on_transparent(img)


def test_round_seal_text_is_drawn_where_it_belongs() -> None:
    full = _open(imaging.round_seal("上海示例科技有限公司", "合同专用章", code="3101150012345").png)
    bare = _open(imaging.round_seal("一", "").png)  # one thin stroke at the top
    s = full.width
    upper_band = (int(s * 0.3), int(s * 0.08), int(s * 0.7), int(s * 0.25))
    name_band = (int(s * 0.25), int(s * 0.66), int(s * 0.75), int(s * 0.78))
    code_band = (int(s * 0.3), int(s * 0.82), int(s * 0.7), int(s * 0.93))
    for band in (upper_band, name_band, code_band):
        assert _ink(full, band) > 3 * max(_ink(bare, band), 50), band
    # the text is the font's: the name band matches the characters rendered directly
    other = _open(imaging.round_seal("上海示例科技有限公司", "财务专用章").png)
    assert _ink(other, name_band) != _ink(full, name_band)


def test_oval_and_square_and_signature() -> None:
    oval = imaging.oval_seal("上海示例科技有限公司", tax_number="91310115MA1K4XXXX1")
    img = _open(oval.png)
    assert abs(oval.width_mm - 40) < 0.1 and abs(oval.height_mm - 30) < 0.1
    _assert_red_on_transparent(img)
    middle = (
        int(img.width * 0.15),
        int(img.height * 0.4),
        int(img.width * 0.85),
        int(img.height * 0.6),
    )
    plain = _open(imaging.oval_seal("上海示例科技有限公司").png)
    assert _ink(img, middle) > 3 * max(_ink(plain, middle), 50)

    for name, n in (("张三", 4), ("欧阳明华", 4), ("司马相如之", 6)):
        sq = imaging.square_seal(name, side_mm=20, dpi=300)
        simg = _open(sq.png)
        assert abs(sq.width_mm - 20) < 0.1
        _assert_red_on_transparent(simg, square=True)
        # every cell of the 2×2 / 2×3 grid carries a character
        rows = n // 2
        for col in range(2):
            for row in range(rows):
                w, h = simg.width / 2, simg.height / rows
                cell = (
                    int(col * w + w * 0.3),
                    int(row * h + h * 0.3),
                    int(col * w + w * 0.7),
                    int(row * h + h * 0.7),
                )
                assert _ink(simg, cell) > 20, (name, col, row)

    sig = imaging.signature_image([[(0, 0), (10, 5), (20, 0)], [(5, 10), (25, 12)]])
    gimg = _open(sig.png)
    assert abs(sig.width_mm - 40) < 0.1 and gimg.getpixel((0, 0))[3] == 0
    assert _ink(gimg, (0, 0, gimg.width, gimg.height)) > 500


def test_bad_specs_are_refused() -> None:
    with pytest.raises(InvalidSealSpec):
        imaging.round_seal("公司", diameter_mm=39)
    with pytest.raises(InvalidSealSpec):
        imaging.round_seal("公司", dpi=150)
    with pytest.raises(InvalidSealSpec):
        imaging.round_seal("公司", code="12345")
    with pytest.raises(InvalidSealSpec):
        imaging.square_seal("张")
    with pytest.raises(InvalidSealSpec):
        imaging.signature_image([])
    with pytest.raises(FontMissing) as info:
        font_path(("/nonexistent/font.ttc",))
    assert "fonts-noto-cjk" in info.value.title("en")


def test_extract_red_seal_from_a_scan() -> None:
    seal = _open(imaging.round_seal("上海示例科技有限公司", "合同专用章", dpi=300).png)
    # a "scan": off-white paper, black printed text, the imprint slightly dull red
    page = Image.new("RGB", (900, 700), (246, 243, 236))
    draw = ImageDraw.Draw(page)
    for y in range(40, 660, 40):
        draw.line((30, y, 870, y), fill=(20, 20, 20), width=3)
    dull = Image.new("RGBA", seal.size, (200, 30, 40, 0))
    dull.putalpha(seal.getchannel("A"))
    page.paste(dull, (300, 120), dull)
    buf = io.BytesIO()
    page.save(buf, format="JPEG", quality=90)
    out = imaging.extract_red_seal(buf.getvalue())
    img = _open(out.png)
    # cropped to the imprint, black lines gone, red only
    assert abs(img.width - seal.width) < 12 and abs(img.height - seal.height) < 12
    colours = {px[:3] for px in img.get_flattened_data() if px[3] > 0}
    assert colours == {imaging.SEAL_RED}
    assert img.getpixel((2, 2))[3] == 0

    blank = io.BytesIO()
    Image.new("RGB", (200, 200), (250, 250, 250)).save(blank, format="PNG")
    with pytest.raises(InvalidImprint):
        imaging.extract_red_seal(blank.getvalue())
    with pytest.raises(InvalidImprint):
        imaging.extract_red_seal(b"not an image")
