"""Where a seal goes: a page + position, a keyword found in the text, or a straddle seal."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Literal

from pypdf import PdfReader

MM = 72 / 25.4  # PDF points per millimetre

# the usual sealing marks in Chinese contracts (the first found wins when none is given)
DEFAULT_KEYWORDS = ("甲方（盖章）", "乙方（盖章）", "（盖章）", "盖章处")


@dataclass(frozen=True)
class AtPosition:
    """Seal centred at (x, y) in points from the page's lower-left corner; page 1-based."""

    page: int
    x: float
    y: float


@dataclass(frozen=True)
class AtKeyword:
    """Seal centred on the n-th occurrence (1-based) of the keyword in the text."""

    keyword: str
    occurrence: int = 1
    dx: float = 0.0  # offset of the seal's centre from the keyword's centre, points
    dy: float = 0.0


@dataclass(frozen=True)
class Straddle:
    """骑缝章: the image cut into one vertical slice per page, each drawn at the page's right
    edge (or left), so that the pages fanned out show the whole seal."""

    pages: tuple[int, ...] | None = None  # 1-based; None = every page
    y: float | None = None  # centre height in points; None = middle of the page
    edge: Literal["right", "left"] = "right"


Placement = AtPosition | AtKeyword | Straddle


@dataclass(frozen=True)
class KeywordHit:
    page: int  # 1-based
    x: float  # centre, points
    y: float
    width: float
    height: float


def find_keyword(data: bytes, keyword: str, *, max_pages: int = 500) -> list[KeywordHit]:
    """Occurrences of the keyword in the PDF text with their approximate centres."""
    reader = PdfReader(io.BytesIO(data))
    needle = re.sub(r"\s+", "", keyword)
    hits: list[KeywordHit] = []
    for index, page in enumerate(reader.pages[:max_pages]):
        runs: list[tuple[str, float, float, float]] = []

        def visit(
            text: str, cm: list[float], tm: list[float], _font: Any, size: float, runs: Any = runs
        ) -> None:
            if not text.strip():
                return
            # text space → user space: tm then cm
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = (abs(tm[0]) or 1.0) * (abs(cm[0]) or 1.0)
            runs.append((text, x, y, size * scale))

        page.extract_text(visitor_text=visit)
        # join runs into one string remembering where each character came from
        chars: list[tuple[str, float, float, float]] = []
        for text, x, y, size in runs:
            offset = 0.0
            for ch in text:
                if ch.isspace():
                    continue
                advance = size if ord(ch) > 0x2E80 else size * 0.5
                chars.append((ch, x + offset, y, size))
                offset += advance
        flat = "".join(c[0] for c in chars)
        start = 0
        while (pos := flat.find(needle, start)) >= 0:
            first, last = chars[pos], chars[pos + len(needle) - 1]
            size = first[3]
            last_adv = size if ord(last[0]) > 0x2E80 else size * 0.5
            x0, x1 = first[1], last[1] + last_adv
            hits.append(KeywordHit(index + 1, (x0 + x1) / 2, first[2] + size * 0.35, x1 - x0, size))
            start = pos + len(needle)
    return hits
