"""Seal images compressed once and written into each sealed PDF as ready-made XObjects.

pyHanko's PdfImage re-encodes and re-compresses the picture for every file it signs; a
seal is the same picture thousands of times, so its Flate streams are made once."""

from __future__ import annotations

import functools
import hashlib
import io
import zlib
from typing import Any

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.layout import BoxConstraints


class EncodedImage:
    """An image as compressed PDF image data (RGB or gray) plus its alpha as an SMask."""

    def __init__(self, img: Image.Image) -> None:
        self.width, self.height = img.size
        has_alpha = img.mode in ("RGBA", "LA") or "transparency" in img.info
        base = img.convert("RGBA" if has_alpha else "RGB") if img.mode not in ("L", "RGB") else img
        self.gray = base.mode == "L"
        colour = base.convert("L" if self.gray else "RGB")
        self.data = zlib.compress(colour.tobytes(), 6)
        self.alpha = zlib.compress(base.getchannel("A").tobytes(), 6) if has_alpha else None

    def _stream(self, data: bytes, gray: bool, smask: Any = None) -> generic.StreamObject:
        entries: dict[Any, Any] = {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(self.width),
            pdf_name("/Height"): generic.NumberObject(self.height),
            pdf_name("/ColorSpace"): pdf_name("/DeviceGray" if gray else "/DeviceRGB"),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        }
        if smask is not None:
            entries[pdf_name("/SMask")] = smask
        return generic.StreamObject(generic.DictionaryObject(entries), encoded_data=data)

    def xobject(self, writer: Any) -> generic.IndirectObject:
        """Add the image (and its SMask) to this writer; the reference to draw it."""
        smask = None
        if self.alpha is not None:
            smask = writer.add_object(self._stream(self.alpha, True))
        ref: generic.IndirectObject = writer.add_object(self._stream(self.data, self.gray, smask))
        return ref


class ImageContent(PdfContent):
    """A pyHanko PdfContent drawing an EncodedImage over its whole box (stamp backgrounds)."""

    def __init__(self, image: EncodedImage) -> None:
        super().__init__(box=BoxConstraints(image.width, image.height))
        self.image = image

    def render(self) -> bytes:
        assert self.writer is not None
        self.set_resource(
            category=ResourceType.XOBJECT,
            name=pdf_name("/ImSeal"),
            value=self.image.xobject(self.writer),
        )
        return b"q %g 0 0 %g 0 0 cm /ImSeal Do Q" % (self.box.width, self.box.height)


@functools.lru_cache(maxsize=64)
def _encoded(digest: bytes, png: bytes) -> EncodedImage:
    img = Image.open(io.BytesIO(png))
    img.load()
    return EncodedImage(img)


def encoded_png(png: bytes) -> EncodedImage:
    """The EncodedImage of a PNG, cached by content (a seal's image is reused for years)."""
    return _encoded(hashlib.sha256(png).digest(), png)
