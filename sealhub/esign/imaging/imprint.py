"""Import a scanned or photographed imprint: keep the red ink, make the rest transparent."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from sealhub.esign.imaging.errors import InvalidImprint
from sealhub.esign.imaging.seals import SEAL_RED, SealImage

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
_MIN_INK_PIXELS = 50


def extract_red_seal(
    data: bytes, *, dpi: int = 300, color: tuple[int, int, int] = SEAL_RED
) -> SealImage:
    """The red imprint from a photo/scan, cropped, re-inked in one red on transparency.

    Redness = R - max(G, B): paper (all channels high), black text (all low) and blue ink
    score ~0; the seal's red scores high. Its strength becomes the alpha channel.
    """
    if len(data) > MAX_BYTES:
        raise InvalidImprint(reason="too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidImprint(reason="too_large")
            img = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise InvalidImprint(reason="unreadable") from exc
    r, g, b = img.split()
    redness = ImageChops.subtract(r, ImageChops.lighter(g, b))
    # below 40 is paper tint / JPEG noise; from ~110 the ink is solid
    alpha = redness.point(lambda v: 0 if v < 40 else min(255, (v - 40) * 255 // 70))
    bbox = alpha.point(lambda v: 255 if v >= 128 else 0).getbbox()
    if bbox is None:
        raise InvalidImprint(reason="no_red")
    alpha = alpha.crop(bbox)
    if sum(alpha.point(lambda v: 1 if v >= 128 else 0).histogram()[1:]) < _MIN_INK_PIXELS:
        raise InvalidImprint(reason="no_red")
    out = Image.new("RGBA", alpha.size, (*color, 0))
    out.putalpha(alpha)
    buf = io.BytesIO()
    out.save(buf, format="PNG", dpi=(dpi, dpi))
    return SealImage(png=buf.getvalue(), width_px=out.width, height_px=out.height, dpi=dpi)
