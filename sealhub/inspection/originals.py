"""Reading the approved documents, page by page: the PDF's text layer with each character's
position where it has one, OCR of the rendered page where it is a scan or an image."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sealhub.inspection.compare import Char, chars_of_lines, significant_char
from sealhub.inspection.ocr import OcrEngine
from sealhub.inspection.photo import PAGE_H, PAGE_W, Image, decode
from sealhub.platform.pdfium import LOCK as PDFIUM

# a page whose text layer has fewer significant characters than this is treated as a scan
MIN_TEXT_LAYER = 8


@dataclass
class OriginalPage:
    number: int  # 1-based
    chars: list[Char]
    image: Image  # rendered, PAGE_W wide, for the side-by-side view
    source: str  # text_layer / ocr


def _text_layer(page: object) -> list[Char]:
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    w, h = page.get_size()  # type: ignore[attr-defined]
    out: list[Char] = []
    for i in range(textpage.count_chars()):
        ch = textpage.get_text_range(i, 1)
        folded = significant_char(ch)
        if not folded:
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        box = (left / w, 1 - top / h, right / w, 1 - bottom / h)
        out.extend(Char(f, box) for f in folded)
    return out


def _ocr_chars(engine: OcrEngine, image: Image) -> list[Char]:
    h, w = image.shape[:2]
    lines = engine.read(image)
    return chars_of_lines(
        (ln.text, (ln.box[0] / w, ln.box[1] / h, ln.box[2] / w, ln.box[3] / h)) for ln in lines
    )


def read_pdf(data: bytes, engine: OcrEngine) -> list[OriginalPage]:
    import pypdfium2 as pdfium

    rendered: list[tuple[Image, list[Char]]] = []
    with PDFIUM:  # pages rendered and text read under the lock; OCR after it
        doc = pdfium.PdfDocument(data)
        try:
            for n in range(len(doc)):
                page = doc[n]
                w, _ = page.get_size()
                pil = page.render(scale=PAGE_W / w).to_pil().convert("RGB")
                rendered.append(
                    (
                        np.asarray(
                            cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR), dtype=np.uint8
                        ),
                        _text_layer(page),
                    )
                )
        finally:
            doc.close()
    pages = []
    for n, (image, chars) in enumerate(rendered):
        source = "text_layer"
        if len(chars) < MIN_TEXT_LAYER:
            chars, source = _ocr_chars(engine, image), "ocr"
        pages.append(OriginalPage(n + 1, chars, image, source))
    return pages


def read_document(data: bytes, content_type: str, engine: OcrEngine) -> list[OriginalPage]:
    """Every page of an uploaded document (PDF, or one image)."""
    if content_type == "application/pdf" or data[:5] == b"%PDF-":
        return read_pdf(data, engine)
    img = decode(data)
    if img is None:
        return []
    img = np.asarray(cv2.resize(img, (PAGE_W, PAGE_H), interpolation=cv2.INTER_AREA))
    return [OriginalPage(1, _ocr_chars(engine, img), img, "ocr")]
