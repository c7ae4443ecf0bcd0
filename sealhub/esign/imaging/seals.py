"""Standard Chinese seal shapes drawn at true size, red on a transparent background.

Everything is drawn into one 8-bit coverage mask, then the mask becomes the alpha channel of
a single red colour: anti-aliased edges stay red (only their opacity varies), so a check for
"only red pixels" holds by construction.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from sealhub.esign.imaging.errors import InvalidSealSpec
from sealhub.esign.imaging.fonts import font

SEAL_RED = (230, 0, 18)  # 印泥红, the usual e-seal colour
ROUND_SIZES_MM = (38, 40, 42, 45)
MIN_DPI, MAX_DPI = 300, 600


@dataclass(frozen=True)
class SealImage:
    """A PNG at a known DPI, with its true size in millimetres."""

    png: bytes
    width_px: int
    height_px: int
    dpi: int

    @property
    def width_mm(self) -> float:
        return self.width_px / self.dpi * 25.4

    @property
    def height_mm(self) -> float:
        return self.height_px / self.dpi * 25.4


def mm_to_px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _check_dpi(dpi: int) -> None:
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise InvalidSealSpec(reason="dpi")


def _finish(mask: Image.Image, dpi: int, color: tuple[int, int, int] = SEAL_RED) -> SealImage:
    img = Image.new("RGBA", mask.size, (*color, 0))
    img.putalpha(mask)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(dpi, dpi), optimize=False, compress_level=6)
    return SealImage(png=buf.getvalue(), width_px=mask.width, height_px=mask.height, dpi=dpi)


def _glyph(char: str, size_px: int, stretch: tuple[int, int] | None = None) -> Image.Image:
    """One character as a coverage mask, square (or stretched to `stretch` = (w, h))."""
    f = font(size_px)
    left, top, right, bottom = f.getbbox(char)
    w, h = max(1, int(right - left)), max(1, int(bottom - top))
    tile = Image.new("L", (w, h), 0)
    ImageDraw.Draw(tile).text((-left, -top), char, fill=255, font=f)
    if stretch is not None:
        return tile.resize(stretch, Image.Resampling.LANCZOS)
    # centre inside an em square so every character sits on the same baseline circle
    square = Image.new("L", (size_px, size_px), 0)
    square.paste(tile, ((size_px - w) // 2, (size_px - h) // 2))
    return square


def _stamp(mask: Image.Image, tile: Image.Image, cx: float, cy: float, angle_deg: float) -> None:
    """Draw a coverage tile centred at (cx, cy), rotated by angle (counter-clockwise)."""
    rotated = tile.rotate(angle_deg, resample=Image.Resampling.BICUBIC, expand=True)
    x = round(cx - rotated.width / 2)
    y = round(cy - rotated.height / 2)
    mask.paste(255, (x, y, x + rotated.width, y + rotated.height), rotated)


def _text_on_ellipse(
    mask: Image.Image,
    text: str,
    *,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    char_px: int,
    span_deg: float,
    lower: bool,
    width_scale: float = 1.0,
) -> None:
    """Characters along the upper arc (tops outward) or the lower arc (tops inward)."""
    n = len(text)
    if n == 0:
        return
    step = span_deg / max(n - 1, 1) if n > 1 else 0.0
    start = -span_deg / 2 if n > 1 else 0.0
    for i, char in enumerate(text):
        # theta from the top (upper arc, clockwise) or from the bottom (lower arc, reading
        # left to right); phi is the direction of the ellipse's normal there
        theta = math.radians(start + i * step)
        phi = math.degrees(math.atan2(ry * math.sin(theta), rx * math.cos(theta)))
        px = cx + rx * math.sin(theta)
        if lower:
            py = cy + ry * math.cos(theta)
            angle = phi  # tops toward the centre
        else:
            py = cy - ry * math.cos(theta)
            angle = -phi  # tops toward the rim
        w = max(1, round(char_px * width_scale))
        tile = _glyph(char, char_px, stretch=(w, char_px))
        _stamp(mask, tile, px, py, angle)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.382
        a = math.radians(-90 + k * 36)
        points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    draw.polygon(points, fill=255)


def _text_line(
    mask: Image.Image, text: str, *, cx: float, cy: float, char_px: int, max_width: float
) -> None:
    """A horizontal line of characters centred at (cx, cy), squeezed to max_width."""
    if not text:
        return
    n = len(text)
    pitch = min(char_px * 1.05, max_width / n)
    glyph_w = max(1, round(min(char_px, pitch * 0.95)))
    x0 = cx - pitch * (n - 1) / 2
    for i, char in enumerate(text):
        tile = _glyph(char, char_px, stretch=(glyph_w, char_px))
        _stamp(mask, tile, x0 + i * pitch, cy, 0)


def _check_text(text: str, limit: int, *, allow_empty: bool = False) -> str:
    text = text.strip()
    if (not text and not allow_empty) or len(text) > limit:
        raise InvalidSealSpec(reason="text")
    return text


def round_seal(
    org_name: str,
    seal_name: str = "",
    *,
    code: str = "",
    diameter_mm: int = 42,
    dpi: int = 300,
) -> SealImage:
    """Round organisation seal: name on the upper arc, star, seal name across, code below."""
    _check_dpi(dpi)
    if diameter_mm not in ROUND_SIZES_MM:
        raise InvalidSealSpec(reason="size")
    org_name = _check_text(org_name, 24)
    seal_name = _check_text(seal_name, 10, allow_empty=True)
    if code and (len(code) != 13 or not code.isdigit()):
        raise InvalidSealSpec(reason="code")
    size = mm_to_px(diameter_mm, dpi)
    unit = size / diameter_mm  # px per mm
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    border = 1.2 * unit
    c = size / 2
    draw.ellipse((0, 0, size - 1, size - 1), fill=255)
    draw.ellipse((border, border, size - 1 - border, size - 1 - border), fill=0)
    _star(draw, c, c, 7.0 * unit * diameter_mm / 42)
    char_px = round(5.6 * unit * diameter_mm / 42)
    # name: tops toward the rim, inside the border with a small gap
    r_text = c - border - 1.3 * unit - char_px / 2
    span = min(250.0, 20.0 * max(len(org_name) - 1, 1)) if len(org_name) > 1 else 0.0
    span = max(span, min(210.0, 16.0 * (len(org_name) - 1)))
    _text_on_ellipse(
        mask,
        org_name,
        cx=c,
        cy=c,
        rx=r_text,
        ry=r_text,
        char_px=char_px,
        span_deg=span,
        lower=False,
        width_scale=0.8,
    )
    if seal_name:
        name_px = round(4.6 * unit * diameter_mm / 42)
        _text_line(mask, seal_name, cx=c, cy=c + 9.6 * unit, char_px=name_px, max_width=24 * unit)
    if code:
        code_px = round(1.9 * unit)
        r_code = c - border - 0.7 * unit - code_px / 2
        _text_on_ellipse(
            mask,
            code,
            cx=c,
            cy=c,
            rx=r_code,
            ry=r_code,
            char_px=code_px,
            span_deg=66.0,
            lower=True,
            width_scale=0.9,
        )
    return _finish(mask, dpi)


def oval_seal(
    org_name: str,
    seal_name: str = "发票专用章",
    *,
    tax_number: str = "",
    width_mm: int = 40,
    height_mm: int = 30,
    dpi: int = 300,
) -> SealImage:
    """Oval finance/invoice seal: name on the upper arc, tax number across, seal name below."""
    _check_dpi(dpi)
    if not (30 <= width_mm <= 50 and 20 <= height_mm <= 40 and height_mm < width_mm):
        raise InvalidSealSpec(reason="size")
    org_name = _check_text(org_name, 24)
    seal_name = _check_text(seal_name, 10, allow_empty=True)
    tax_number = _check_text(tax_number, 20, allow_empty=True)
    if tax_number and not tax_number.isalnum():
        raise InvalidSealSpec(reason="text")
    w, h = mm_to_px(width_mm, dpi), mm_to_px(height_mm, dpi)
    unit = w / width_mm
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    border = 1.0 * unit
    draw.ellipse((0, 0, w - 1, h - 1), fill=255)
    draw.ellipse((border, border, w - 1 - border, h - 1 - border), fill=0)
    char_px = round(4.2 * unit)
    cx, cy = w / 2, h / 2
    _text_on_ellipse(
        mask,
        org_name,
        cx=cx,
        cy=cy,
        rx=cx - border - 0.6 * unit - char_px / 2,
        ry=cy - border - 0.6 * unit - char_px / 2,
        char_px=char_px,
        span_deg=min(200.0, 18.0 * max(len(org_name) - 1, 1)),
        lower=False,
        width_scale=0.75,
    )
    if tax_number:
        # the tax number in a bold, narrow line across the middle
        num_px = round(3.4 * unit)
        _text_line(mask, tax_number, cx=cx, cy=cy + 1.0 * unit, char_px=num_px, max_width=26 * unit)
    if seal_name:
        name_px = round(3.6 * unit)
        _text_line(mask, seal_name, cx=cx, cy=cy + 7.8 * unit, char_px=name_px, max_width=18 * unit)
    return _finish(mask, dpi)


def square_seal(
    name: str,
    *,
    side_mm: int = 20,
    dpi: int = 300,
    suffix: str = "",
) -> SealImage:
    """Square personal / legal-representative seal: 2×2 or 2×3 characters, read in columns
    from right to left (e.g. 张三之印; a 3-character name gets 印 appended, 2-char 之印)."""
    _check_dpi(dpi)
    if not 10 <= side_mm <= 30:
        raise InvalidSealSpec(reason="size")
    chars = _check_text(name, 6) + suffix
    if len(chars) == 2:
        chars += "之印"
    elif len(chars) == 3 or len(chars) == 5:
        chars += "印"
    if len(chars) not in (4, 6):
        raise InvalidSealSpec(reason="chars")
    cols, rows = 2, len(chars) // 2
    size = mm_to_px(side_mm, dpi)
    unit = size / side_mm
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    border = 1.0 * unit
    draw.rectangle((0, 0, size - 1, size - 1), fill=255)
    inner = border
    draw.rectangle((inner, inner, size - 1 - inner, size - 1 - inner), fill=0)
    pad = 0.8 * unit
    area = size - 2 * (inner + pad)
    cell_w, cell_h = area / cols, area / rows
    for i, char in enumerate(chars):
        col = cols - 1 - i // rows  # right column first
        row = i % rows
        gw, gh = max(1, round(cell_w * 0.92)), max(1, round(cell_h * 0.92))
        tile = _glyph(char, round(cell_h), stretch=(gw, gh))
        _stamp(
            mask,
            tile,
            inner + pad + cell_w * (col + 0.5),
            inner + pad + cell_h * (row + 0.5),
            0,
        )
    return _finish(mask, dpi)


Stroke = Sequence[tuple[float, float]]


def signature_image(
    strokes: Sequence[Stroke],
    *,
    width_mm: float = 40.0,
    height_mm: float = 15.0,
    dpi: int = 300,
    pen_mm: float = 0.6,
    color: tuple[int, int, int] = (0, 0, 0),
) -> SealImage:
    """A hand-drawn signature from strokes (lists of (x, y) points in any unit, y down),
    scaled to fit the box with its aspect kept, on a transparent background."""
    _check_dpi(dpi)
    points = [p for s in strokes for p in s]
    if not points or len(points) > 20_000 or len(strokes) > 500:
        raise InvalidSealSpec(reason="strokes")
    if not (5 <= width_mm <= 100 and 5 <= height_mm <= 60):
        raise InvalidSealSpec(reason="size")
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    if not all(math.isfinite(v) for v in xs + ys):
        raise InvalidSealSpec(reason="strokes")
    w, h = mm_to_px(width_mm, dpi), mm_to_px(height_mm, dpi)
    pen = max(1, mm_to_px(pen_mm, dpi))
    span_x = max(max(xs) - min(xs), 1e-9)
    span_y = max(max(ys) - min(ys), 1e-9)
    scale = min((w - 2 * pen) / span_x, (h - 2 * pen) / span_y)
    off_x = (w - span_x * scale) / 2 - min(xs) * scale
    off_y = (h - span_y * scale) / 2 - min(ys) * scale
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for stroke in strokes:
        pts = [(x * scale + off_x, y * scale + off_y) for x, y in stroke]
        if len(pts) == 1:
            x, y = pts[0]
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
            continue
        draw.line(pts, fill=255, width=pen, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    return _finish(mask, dpi, color)
