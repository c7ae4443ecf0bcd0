"""What the simulated cameras see: photos of the application's real document pages with a red
seal imprint, a front-camera portrait, and a short session video a browser can play."""

from __future__ import annotations

import io
import math
import random
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PIL import Image, ImageDraw, ImageFont

from sealhub.platform.pdfium import LOCK as PDFIUM

if TYPE_CHECKING:
    from av.video.stream import VideoStream

PHOTO_WIDTH = 900
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def render_pdf_page(pdf: bytes, index: int, *, width: int = PHOTO_WIDTH) -> Image.Image:
    """Page `index` (0-based, wrapped to the page count) of a PDF, rendered with PDFium."""
    import pypdfium2 as pdfium

    with PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            page = doc[index % len(doc)]
            scale = width / page.get_width()
            image: Image.Image = page.render(scale=scale).to_pil().convert("RGB")
            page.close()
            return image
        finally:
            doc.close()


def generated_page(title: str, index: int, *, width: int = PHOTO_WIDTH) -> Image.Image:
    """A plain document page for when no document was shared with the device."""
    height = int(width * 297 / 210)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    draw.text((width * 0.1, height * 0.08), title, fill="black", font=_font(width // 22))
    body = _font(width // 40)
    for line in range(18):
        y = height * 0.18 + line * width / 22
        draw.text(
            (width * 0.1, y),
            f"第 {index + 1} 页 · 第 {line + 1} 行 · SealHub",
            fill="#333",
            font=body,
        )
    return page


def imprint(page: Image.Image, text: str, *, rng: random.Random) -> Image.Image:
    """The page with a red round seal pressed near its lower right, slightly rotated."""
    w, h = page.size
    d = int(w * 0.28)
    seal = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (200, 20, 30, 215)
    draw.ellipse((4, 4, d - 4, d - 4), outline=red, width=max(d // 28, 3))
    # the star
    cx = cy = d / 2
    r1, r2 = d * 0.16, d * 0.065
    pts = []
    for k in range(10):
        r = r1 if k % 2 == 0 else r2
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(pts, fill=red)
    # the name around the rim, one character at a time
    font = _font(max(d // 9, 10))
    chars = list(text[:14]) or ["印"]
    span = math.radians(240)
    for i, ch in enumerate(chars):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(chars)
        x, y = cx + d * 0.36 * math.cos(a), cy + d * 0.36 * math.sin(a)
        glyph = Image.new("RGBA", (d // 7, d // 7), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), ch, fill=red, font=font)
        glyph = glyph.rotate(-math.degrees(a) - 90, expand=True)
        seal.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    seal = seal.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC)
    out = page.convert("RGBA")
    x = int(w * rng.uniform(0.55, 0.65))
    y = int(h * rng.uniform(0.70, 0.78))
    out.alpha_composite(seal, (x, y))
    return out.convert("RGB")


def photograph(image: Image.Image, *, rng: random.Random) -> bytes:
    """The stamped page as a camera sees it: on a desk, a little skewed, JPEG."""
    w, h = image.size
    desk = Image.new("RGB", (int(w * 1.08), int(h * 1.06)), (118, 92, 70))
    tilted = image.rotate(rng.uniform(-2.5, 2.5), expand=False, fillcolor=(118, 92, 70))
    desk.paste(tilted, (int(w * 0.04), int(h * 0.03)))
    buf = io.BytesIO()
    desk.save(buf, "JPEG", quality=78)
    return buf.getvalue()


def page_photo(
    title: str, index: int, *, pdf: bytes | None, seal_name: str, rng: random.Random
) -> bytes:
    page = render_pdf_page(pdf, index) if pdf else generated_page(title, index)
    return photograph(imprint(page, seal_name, rng=rng), rng=rng)


def portrait(person: str, *, rng: random.Random) -> bytes:
    """The front camera's photo at unlock: a plain figure (no real faces)."""
    img = Image.new("RGB", (320, 240), (rng.randrange(180, 230),) * 3)
    draw = ImageDraw.Draw(img)
    draw.ellipse((130, 40, 190, 100), fill=(90, 70, 60))
    draw.rectangle((115, 105, 205, 240), fill=(40, 60, 110))
    draw.text((8, 8), person[:24], fill="black", font=_font(14))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def session_video(label: str, *, seconds: int = 3, fps: int = 10) -> tuple[bytes, str]:
    """A short H.264 MP4 (WebM/VP8 if the codec is missing) of a seal being pressed."""
    import av

    choices = [
        c
        for c in (("libx264", "mp4", "video/mp4"), ("libvpx", "webm", "video/webm"))
        if c[0] in av.codecs_available
    ]
    if not choices:  # pragma: no cover - every PyAV wheel has one of them
        raise RuntimeError("no H.264 or VP8 encoder in this PyAV build")
    codec_name, fmt, content_type = choices[0]
    # faststart (the index before the data, for playing while loading) rewrites the file, so
    # it needs a real file rather than a buffer
    options = {"movflags": "+faststart"} if fmt == "mp4" else {}
    with tempfile.TemporaryDirectory(prefix="sealhub-video-") as tmp:
        path = Path(tmp) / f"session.{fmt}"
        _encode(str(path), fmt, codec_name, options, label, seconds, fps)
        return path.read_bytes(), content_type


def _encode(
    path: str,
    fmt: str,
    codec_name: str,
    options: dict[str, str],
    label: str,
    seconds: int,
    fps: int,
) -> None:
    import av

    with av.open(path, mode="w", format=fmt, options=options) as container:
        stream = cast("VideoStream", container.add_stream(codec_name, rate=fps))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        if codec_name == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        for i in range(seconds * fps):
            frame_img = Image.new("RGB", (320, 240), (235, 232, 225))
            draw = ImageDraw.Draw(frame_img)
            y = 40 + int(80 * abs(math.sin(i / fps * math.pi)))  # the seal goes down and up
            draw.rectangle((135, y, 185, y + 60), fill=(60, 40, 30))
            draw.ellipse((130, y + 58, 190, y + 70), fill=(200, 20, 30))
            draw.text((8, 8), f"{label}  {i / fps:4.1f}s", fill="black", font=_font(14))
            frame = av.VideoFrame.from_image(frame_img)  # type: ignore[no-untyped-call]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
