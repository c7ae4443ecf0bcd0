"""Rendering OFD pages: text, images and stamps land where the file puts them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sealhub.esign.ofd.package import OfdMalformed
from sealhub.esign.ofd.render import page_count, render_page
from sealhub.esign.ofd.sign import Placement, seal_ofd
from tests.esign.gmkit import AT, CORPUS, kit, make_seal

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
DPI = 50.8  # 2 px per mm


def _img(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _count(img: Image.Image, area: tuple[int, int, int, int], test: object) -> int:
    raw = img.crop(area).tobytes()
    pixels = (tuple(raw[i : i + 3]) for i in range(0, len(raw), 3))
    return sum(1 for p in pixels if test(p))  # type: ignore[operator]


def red(p: tuple[int, int, int]) -> bool:
    return p[0] > 150 and p[1] < 90 and p[2] < 90


def dark(p: tuple[int, int, int]) -> bool:
    return sum(p) < 450


def test_text_and_our_stamp_are_drawn_where_placed() -> None:
    k = kit()
    sealed = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
        where=Placement(page=0, x=100, y=200),
    )
    img = _img(render_page(sealed, 0, dpi=DPI))
    assert img.size == (420, 594)  # 210 x 297 mm at 2 px/mm
    # the text object sits at (31.7, 25.4) mm, 5 mm high
    assert _count(img, (60, 48, 140, 62), dark) > 20
    assert _count(img, (0, 300, 190, 594), dark) == 0
    # the 40 mm seal at (100, 200) mm: red inside, none far away
    assert _count(img, (200, 400, 280, 480), red) > 200
    assert _count(img, (0, 100, 180, 380), red) == 0


def test_corpus_invoice_with_an_ofd_seal_picture() -> None:
    img = _img(render_page((CORPUS / "ofd" / "v4signed.ofd").read_bytes(), 0, dpi=DPI))
    # StampAnnot Boundary="90 8 30 20": the seal picture is itself an OFD, drawn red there
    assert _count(img, (180, 16, 240, 56), red) > 50
    assert _count(img, (0, 100, 420, 240), red) < 5


def test_straddle_slices_are_cut() -> None:
    data = (CORPUS / "ofd" / "V4RideRight.ofd").read_bytes()
    assert page_count(data) == 5
    img = _img(render_page(data, 0, dpi=DPI))
    # Boundary 202 40 40 40 clipped to its first 8 mm: red only at the right edge
    assert _count(img, (404, 80, 420, 160), red) > 20
    assert _count(img, (300, 80, 400, 160), red) == 0
    with pytest.raises(OfdMalformed):
        render_page(data, 9)
