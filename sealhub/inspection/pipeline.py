"""One photo against the application's pages: read, match, compare, check the imprint,
decide. Synchronous and pure of the database (the job runs it in a thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from sealhub.inspection import imprint as imprints
from sealhub.inspection.compare import (
    Char,
    Comparison,
    Thresholds,
    Verdict,
    best_page,
    chars_of_lines,
    decide,
)
from sealhub.inspection.ocr import OcrEngine
from sealhub.inspection.photo import Image, decode, read_sheet

# where a seal is expected (fractions of the page): the lower half, where 盖章处 sits
SEAL_AREA = (0.3, 0.45, 1.0, 1.0)
MIN_SCORE = 0.6  # mean OCR confidence below this: the photo is too poor to judge


@dataclass
class PhotoReading:
    verdict: Verdict
    page_index: int | None  # index into the candidate pages
    comparison: Comparison | None
    imprints: list[imprints.Imprint]
    problems: list[str]
    chars: int
    sheet: Image | None = None  # straightened colour photo
    notes: list[str] = field(default_factory=list)
    likeness: float | None = None


def inspect(
    data: bytes,
    pages: list[list[Char]],
    engine: OcrEngine,
    t: Thresholds,
    *,
    reference: imprints.Imprint | None = None,
    seal_area: tuple[float, float, float, float] = SEAL_AREA,
) -> PhotoReading:
    """The verdict on one photo of a stamped page."""
    img = decode(data)
    if img is None:
        return PhotoReading(Verdict.UNREADABLE, None, None, [], ["not_an_image"], 0)
    return inspect_image(img, pages, engine, t, reference=reference, seal_area=seal_area)


def inspect_image(
    img: Image,
    pages: list[list[Char]],
    engine: OcrEngine,
    t: Thresholds,
    *,
    reference: imprints.Imprint | None = None,
    seal_area: tuple[float, float, float, float] = SEAL_AREA,
) -> PhotoReading:
    sheet = read_sheet(img)
    problems = list(sheet.problems)
    found = imprints.find_imprints(sheet.red)
    lines = [] if problems else engine.read(sheet.page)
    h, w = sheet.page.shape[:2]
    chars = chars_of_lines(
        (ln.text, (ln.box[0] / w, ln.box[1] / h, ln.box[2] / w, ln.box[3] / h)) for ln in lines
    )
    if lines:
        score = sum(ln.score * len(ln.text) for ln in lines) / max(
            1, sum(len(ln.text) for ln in lines)
        )
        if score < MIN_SCORE:
            problems.append("low_confidence")
    if not problems and not sheet.found_edges and len(chars) < t.blank_chars:
        problems.append("not_a_document")  # no sheet and no text: not a page at all
    # the imprints, a little larger: the seal's ring text is read by OCR, the page under it hidden
    seals = [(i.box[0] - 0.02, i.box[1] - 0.02, i.box[2] + 0.02, i.box[3] + 0.02) for i in found]
    match = (
        None if problems or len(chars) < t.blank_chars else best_page(pages, chars, t, ignore=seals)
    )
    in_area = sum(1 for i in found if imprints.in_area(i, seal_area))
    verdict = decide(
        problems=problems,
        photo_chars=len(chars),
        match=match,
        imprints=len(found),
        imprints_in_area=in_area,
        t=t,
    )
    notes = []
    if len(found) > 1:
        notes.append("stamped_twice")
    like = None
    if reference is not None and found:
        like = max(imprints.likeness(i, reference) for i in found)
        if like < 0.6:
            notes.append("imprint_unlike_seal")
    return PhotoReading(
        verdict=verdict,
        page_index=None if match is None else match.key,
        comparison=None if match is None else match.comparison,
        imprints=found,
        problems=sorted(set(problems)),
        chars=len(chars),
        sheet=sheet.colour,
        notes=notes,
        likeness=like,
    )


def highlight(sheet: Image, comparison: Comparison | None, *, side: str = "photo") -> bytes:
    """The straightened photo (or the original page) with each difference boxed, as PNG:
    red for changed, orange for inserted, blue for deleted."""
    out = sheet.copy()
    h, w = out.shape[:2]
    colours = {"changed": (0, 0, 230), "inserted": (0, 140, 255), "deleted": (200, 80, 0)}
    if comparison is not None:
        for d in comparison.significant:
            box = d.photo_box if side == "photo" else d.original_box
            if box is None:
                continue
            x0, y0, x1, y1 = (int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))
            overlay = out.copy()
            cv2.rectangle(overlay, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), colours[d.kind], -1)
            out = np.asarray(cv2.addWeighted(overlay, 0.25, out, 0.75, 0), dtype=np.uint8)
            cv2.rectangle(out, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), colours[d.kind], 3)
    ok, png = cv2.imencode(".png", out, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("could not encode the highlight image")
    return bytes(png.tobytes())


def summary(reading: PhotoReading) -> dict[str, Any]:
    """JSON-able facts of a reading (what is stored with the result)."""
    comp = reading.comparison
    return {
        "problems": reading.problems,
        "notes": reading.notes,
        "chars": reading.chars,
        "likeness": reading.likeness,
        "imprints": [
            {"box": list(i.box), "shape": i.shape, "circularity": i.circularity}
            for i in reading.imprints
        ],
        "differences": []
        if comp is None
        else [
            {
                "kind": d.kind,
                "original": d.original,
                "photo": d.photo,
                "original_box": None if d.original_box is None else list(d.original_box),
                "photo_box": None if d.photo_box is None else list(d.photo_box),
            }
            for d in comp.significant
        ],
    }
