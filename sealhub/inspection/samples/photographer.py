"""The "photographer": a rendered page gets a red seal imprint and is photographed with
realistic distortions (perspective, rotation, blur, uneven light, JPEG quality)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from sealhub.inspection.samples.contracts import FONT_PATHS

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Distortion:
    """How one photo was taken."""

    rotation: float = 0.0  # degrees, |r| <= 15
    tilt: float = 0.0  # perspective: 0 (flat) .. 0.12
    blur: float = 0.0  # Gaussian sigma in pixels
    light: float = 0.0  # depth of the light gradient 0..0.5
    jpeg: int = 85  # JPEG quality 60..90
    dark: float = 1.0  # overall exposure (0.15: far too dark)

    @property
    def label(self) -> str:
        parts = []
        if abs(self.rotation) >= 5:
            parts.append("rotated")
        if self.tilt >= 0.05:
            parts.append("perspective")
        if self.blur >= 1.2:
            parts.append("blur")
        if self.light >= 0.25:
            parts.append("uneven_light")
        if self.jpeg <= 70:
            parts.append("jpeg_low")
        return "+".join(parts) or "mild"


def random_distortion(rng: random.Random) -> Distortion:
    return Distortion(
        rotation=rng.uniform(-15, 15),
        tilt=rng.uniform(0, 0.1),
        blur=rng.choice([0.0, 0.6, 1.0, 1.5]),
        light=rng.uniform(0, 0.45),
        jpeg=rng.randint(60, 90),
    )


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = next(p for p in FONT_PATHS if p.exists())
    return ImageFont.truetype(str(path), size)


def seal_image(name: str, size: int = 300) -> Image:
    """A round red seal: ring, star, the organisation's name around the ring (BGRA)."""
    img = PILImage.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    red = (215, 25, 30, 255)
    r = size // 2 - 4
    c = size // 2
    draw.ellipse((c - r, c - r, c + r, c + r), outline=red, width=max(6, size // 40))
    # five-pointed star
    pts = []
    for k in range(10):
        rad = (size * 0.16) if k % 2 == 0 else (size * 0.065)
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + rad * math.cos(a), c + rad * math.sin(a)))
    draw.polygon(pts, fill=red)
    font = _font(int(size * 0.11))
    text = name[:14]
    span = math.radians(250)
    for i, ch in enumerate(text):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
        glyph = PILImage.new("RGBA", (int(size * 0.14), int(size * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), ch, font=font, fill=red)
        glyph = glyph.rotate(
            -math.degrees(a) - 90, expand=True, resample=PILImage.Resampling.BICUBIC
        )
        rr = r * 0.74
        x = c + rr * math.cos(a) - glyph.width / 2
        y = c + rr * math.sin(a) - glyph.height / 2
        img.alpha_composite(glyph, (int(x), int(y)))
    arr = np.asarray(img)
    return np.asarray(cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA), dtype=np.uint8)


def stamp(page: Image, seal: Image, *, at: tuple[float, float], rng: random.Random) -> Image:
    """Press the seal onto the page at `at` (centre, fractions): ink multiplies the paper."""
    out = page.astype(np.float32)
    h, w = page.shape[:2]
    size = int(w * 0.26)
    s = cv2.resize(seal, (size, size), interpolation=cv2.INTER_AREA)
    m = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-30, 30), 1.0)
    s = cv2.warpAffine(s, m, (size, size), borderValue=(255, 255, 255, 0))
    alpha = (s[:, :, 3:4].astype(np.float32) / 255.0) * rng.uniform(0.75, 0.95)
    x0 = int(at[0] * w - size / 2)
    y0 = int(at[1] * h - size / 2)
    x0, y0 = max(0, min(w - size, x0)), max(0, min(h - size, y0))
    region = out[y0 : y0 + size, x0 : x0 + size]
    ink = s[:, :, :3].astype(np.float32) / 255.0
    out[y0 : y0 + size, x0 : x0 + size] = region * (1 - alpha) + region * ink * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def photograph(page: Image, d: Distortion, rng: random.Random) -> bytes:
    """The page on a desk, photographed: returns JPEG bytes."""
    h, w = page.shape[:2]
    cw, ch = int(w * 1.35), int(h * 1.3)
    desk = np.full((ch, cw, 3), (rng.randint(40, 80), rng.randint(50, 90), rng.randint(60, 100)))
    desk = desk.astype(np.uint8)
    # place the page with rotation and perspective
    cx, cy = cw / 2, ch / 2
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    a = math.radians(d.rotation)
    dst = []
    for x, y in src:
        x, y = x - w / 2, y - h / 2
        xr = x * math.cos(a) - y * math.sin(a)
        yr = x * math.sin(a) + y * math.cos(a)
        dst.append([cx + xr * 0.85, cy + yr * 0.85])
    dst_a = np.array(dst, dtype=np.float32)
    # perspective: pull the top edge in
    t = d.tilt * w * 0.85
    dst_a[0][0] += t
    dst_a[1][0] -= t
    m = cv2.getPerspectiveTransform(src, dst_a)
    warped = cv2.warpPerspective(page, m, (cw, ch), borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (cw, ch))
    img = np.where(mask[:, :, None] > 0, warped, desk).astype(np.float32)
    # uneven light: a gradient from a random side, and exposure
    gx = np.linspace(0, 1, cw)[None, :]
    gy = np.linspace(0, 1, ch)[:, None]
    ang = rng.uniform(0, 2 * math.pi)
    grad = (
        (gx * math.cos(ang) + gy * math.sin(ang))
        - min(0.0, math.cos(ang))
        - min(0.0, math.sin(ang))
    )
    grad = grad / max(1e-6, float(grad.max()))
    img *= (1 - d.light * grad)[:, :, None] * d.dark
    if d.blur > 0:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), d.blur), dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 3, img.shape)
    shot = np.clip(img + noise, 0, 255).astype(np.uint8)
    # a phone photo is about 1600 px wide
    scale = 1600 / cw
    shot = cv2.resize(
        shot,  # type: ignore[assignment]
        (1600, int(ch * scale)),
        interpolation=cv2.INTER_AREA,
    )
    ok, jpg = cv2.imencode(".jpg", shot, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
    assert ok
    return bytes(jpg.tobytes())
