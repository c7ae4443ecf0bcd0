"""Render OFD pages to PNG for the console: text, images, simple paths, templates,
annotations and seal stamps (with their clips). Not a full GB/T 33190 renderer: gradients,
patterns, clip areas of content and embedded fonts are left out; text uses a CJK font
installed on the system (Debian `fonts-noto-cjk` or `fonts-wqy-zenhei`).
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element

from PIL import Image, ImageDraw, ImageFont

from sealhub.esign.ofd.document import Document, Page, documents
from sealhub.esign.ofd.package import OfdMalformed, OfdPackage, box, child, children, local, text
from sealhub.esign.ses import seal as ses
from sealhub.esign.ses.errors import SesMalformed

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
MAX_PIXELS = 4096 * 4096
FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font_path() -> str | None:
    return next((p for p in FONT_PATHS if Path(p).is_file()), None)


@cache
def _font(size_px: int) -> FontType:
    path = _font_path()
    size_px = max(4, min(size_px, 400))
    if path is None:
        return ImageFont.load_default(size_px)
    return ImageFont.truetype(path, size_px)


def _color(node: Element | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if node is None:
        return default
    try:
        parts = [int(float(v)) for v in (node.get("Value") or "").split()[:3]]
    except ValueError:
        return default
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else default


@dataclass
class _Canvas:
    image: Image.Image
    draw: ImageDraw.ImageDraw
    scale: float  # pixels per mm

    def px(self, v: float) -> int:
        return round(v * self.scale)


def _deltas(spec: str | None) -> list[float]:
    if not spec:
        return []
    tokens, out, i = spec.split(), [], 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out.extend([float(tokens[i + 2])] * min(int(float(tokens[i + 1])), 10000))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


class _Resources:
    """Images by resource ID across the document's PublicRes/DocumentRes and a page's Res."""

    def __init__(self, pkg: OfdPackage, paths: Iterable[str]) -> None:
        self.pkg = pkg
        self.media: dict[str, str] = {}
        for path in paths:
            if path not in pkg.files:
                continue
            try:
                root = pkg.xml(path)
            except OfdMalformed:
                continue
            base = posixpath.dirname(path)
            res_dir = posixpath.join(base, root.get("BaseLoc", "")) if root.get("BaseLoc") else base
            for node in root.iter():
                if local(node.tag) == "MultiMedia" and node.get("ID"):
                    loc = text(node, "MediaFile")
                    if loc:
                        try:
                            self.media[node.get("ID", "")] = pkg.resolve(loc, res_dir)
                        except OfdMalformed:
                            continue

    def image(self, res_id: str) -> Image.Image | None:
        path = self.media.get(res_id)
        if not path or path not in self.pkg.files:
            return None
        try:
            img = Image.open(io.BytesIO(self.pkg.files[path]))
            if img.width * img.height > MAX_PIXELS:
                return None
            img.load()
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        return img.convert("RGBA")


def _objects(canvas: _Canvas, node: Element, res: _Resources, ox: float, oy: float) -> None:
    for obj in node:
        name = local(obj.tag)
        if name in ("Layer", "PageBlock"):
            _objects(canvas, obj, res, ox, oy)
            continue
        bound = box(obj.get("Boundary"))
        if bound is None:
            continue
        bx, by = bound[0] + ox, bound[1] + oy
        if name == "TextObject":
            _text(canvas, obj, bx, by)
        elif name == "ImageObject":
            img = res.image(obj.get("ResourceID", ""))
            if img is not None and bound[2] > 0 and bound[3] > 0:
                size = (max(1, canvas.px(bound[2])), max(1, canvas.px(bound[3])))
                tile = img.resize(size)
                canvas.image.alpha_composite(tile, (canvas.px(bx), canvas.px(by)))
        elif name == "PathObject":
            _path(canvas, obj, bx, by)


def _text(canvas: _Canvas, obj: Element, bx: float, by: float) -> None:
    size = float(obj.get("Size") or 3.5)
    ctm = [float(v) for v in (obj.get("CTM") or "1 0 0 1 0 0").split()[:6]]
    scale = ctm[0] if len(ctm) == 6 and ctm[0] > 0 else 1.0
    font = _font(canvas.px(size * scale))
    fill = _color(child(obj, "FillColor"), (0, 0, 0))
    for code in children(obj, "TextCode"):
        content = code.text or ""
        x = float(code.get("X") or 0)
        y = float(code.get("Y") or 0)
        deltas = _deltas(code.get("DeltaX"))
        for i, ch in enumerate(content[:5000]):
            px = canvas.px(bx + x * scale)
            py = canvas.px(by + y * scale)
            canvas.draw.text((px, py), ch, font=font, fill=fill, anchor="ls")
            x += deltas[i] if i < len(deltas) else size


def _path(canvas: _Canvas, obj: Element, bx: float, by: float) -> None:
    if obj.get("Stroke", "true") == "false":
        return
    tokens = (text(obj, "AbbreviatedData") or "").split()
    width = max(1, canvas.px(float(obj.get("LineWidth") or 0.353)))
    color = _color(child(obj, "StrokeColor"), (0, 0, 0))
    points: list[tuple[int, int]] = []
    counts = {"M": 2, "L": 2, "B": 6, "Q": 4, "C": 6, "S": 2}
    i = 0
    while i < len(tokens):
        op = tokens[i]
        if op in counts:
            n = counts[op]
            try:
                nums = [float(v) for v in tokens[i + 1 : i + 1 + n]]
            except ValueError:
                return
            if len(nums) < 2:
                return
            pt = (canvas.px(bx + nums[-2]), canvas.px(by + nums[-1]))
            if op in ("M", "S") and len(points) > 1:
                canvas.draw.line(points, fill=color, width=width)
                points = []
            points.append(pt)
            i += 1 + n
        elif op == "C" or op == "Z":
            if points:
                points.append(points[0])
            i += 1
        else:
            i += 1
    if len(points) > 1:
        canvas.draw.line(points, fill=color, width=width)


def _annotations(pkg: OfdPackage, doc: Document, page: Page) -> list[Element]:
    node = pkg.xml(doc.path)
    loc = text(node, "Annotations")
    if not loc:
        return []
    path = pkg.resolve(loc, doc.dir)
    if path not in pkg.files:
        return []
    out: list[Element] = []
    base = posixpath.dirname(path)
    for entry in children(pkg.xml(path), "Page"):
        if entry.get("PageID") != page.id:
            continue
        file_loc = text(entry, "FileLoc")
        if file_loc:
            annot_path = pkg.resolve(file_loc, base)
            if annot_path in pkg.files:
                out.extend(a for a in children(pkg.xml(annot_path), "Annot"))
    return out


def _seal_picture(pkg: OfdPackage, sig_path: str, depth: int) -> Image.Image | None:
    root = pkg.xml(sig_path)
    here = posixpath.dirname(sig_path)
    value = text(root, "SignedValue")
    if not value:
        return None
    value_path = pkg.resolve(value, here)
    if value_path not in pkg.files:
        return None
    try:
        picture = ses.parse_signature(pkg.files[value_path]).seal.picture
    except SesMalformed:
        return None
    if picture.type == "OFD":
        if depth > 0:
            return None
        try:
            png = render_page(picture.data, 0, dpi=150, _depth=depth + 1)
        except OfdMalformed:
            return None
        img = Image.open(io.BytesIO(png)).convert("RGBA")
        # the seal's own white page becomes transparent
        img.putalpha(img.convert("L").point(lambda v: 0 if v > 240 else 255))
        return img
    try:
        img = Image.open(io.BytesIO(picture.data))
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return img.convert("RGBA")


def _stamps(canvas: _Canvas, pkg: OfdPackage, doc: Document, page: Page, depth: int) -> None:
    if not doc.signatures_path or doc.signatures_path not in pkg.files:
        return
    base = posixpath.dirname(doc.signatures_path)
    for entry in children(pkg.xml(doc.signatures_path), "Signature"):
        sig_path = pkg.resolve(entry.get("BaseLoc", ""), base)
        if sig_path not in pkg.files:
            continue
        info = child(pkg.xml(sig_path), "SignedInfo")
        annots = [a for a in children(info, "StampAnnot")] if info is not None else []
        annots = [a for a in annots if a.get("PageRef") == page.id]
        if not annots:
            continue
        picture = _seal_picture(pkg, sig_path, depth)
        for annot in annots:
            bound = box(annot.get("Boundary"))
            if bound is None:
                continue
            size = (max(1, canvas.px(bound[2])), max(1, canvas.px(bound[3])))
            stamp = picture.resize(size) if picture is not None else _placeholder(size)
            clip = box(annot.get("Clip"))
            left, top = canvas.px(bound[0]), canvas.px(bound[1])
            if clip is not None:
                area = (
                    canvas.px(clip[0]),
                    canvas.px(clip[1]),
                    canvas.px(clip[0] + clip[2]),
                    canvas.px(clip[1] + clip[3]),
                )
                stamp = stamp.crop(area)
                left, top = left + area[0], top + area[1]
            layer = Image.new("RGBA", canvas.image.size, (0, 0, 0, 0))
            layer.paste(stamp, (left, top))
            canvas.image.alpha_composite(layer)


def _placeholder(size: tuple[int, int]) -> Image.Image:
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((0, 0, size[0] - 1, size[1] - 1), outline=(220, 0, 0, 255), width=3)
    return img


def render_page(data: bytes, page: int = 0, *, dpi: float = 96, _depth: int = 0) -> bytes:
    """PNG of one page (0-based) of the first document."""
    pkg = OfdPackage.read(data)
    doc = documents(pkg)[0]
    if not 0 <= page < len(doc.pages):
        raise OfdMalformed(reason="bad_page", name=str(page))
    the_page = doc.pages[page]
    scale = dpi / 25.4
    width = max(1, round(the_page.box[2] * scale))
    height = max(1, round(the_page.box[3] * scale))
    if width * height > MAX_PIXELS:
        raise OfdMalformed(reason="too_large", name="page")
    image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    canvas = _Canvas(image, ImageDraw.Draw(image), scale)
    page_res = [
        pkg.resolve(r.text.strip(), posixpath.dirname(the_page.path))
        for r in children(pkg.xml(the_page.path), "PageRes")
        if r.text and r.text.strip()
    ]
    res = _Resources(pkg, [*doc.resources, *page_res])
    for part in (*the_page.templates, the_page.path):
        if part in pkg.files:
            content = child(pkg.xml(part), "Content")
            if content is not None:
                _objects(canvas, content, res, 0, 0)
    for annot in _annotations(pkg, doc, the_page):
        appearance = child(annot, "Appearance")
        bound = box(appearance.get("Boundary")) if appearance is not None else None
        if appearance is not None and bound is not None:
            _objects(canvas, appearance, res, bound[0], bound[1])
    _stamps(canvas, pkg, doc, the_page, _depth)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def page_count(data: bytes) -> int:
    """Pages of the first document."""
    return len(documents(OfdPackage.read(data))[0].pages)
