"""Comparing what a photo shows with the approved page: pure functions, no I/O.

Texts are compared as sequences of significant characters (letters, digits, CJK; NFKC
folded, punctuation and spaces dropped): OCR confuses punctuation widths and spacing far
more often than it misreads a character, and a forged page changes words and figures.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the page


class Precision(StrEnum):
    """How small a difference counts: strict for contracts, loose for letters."""

    STRICT = "strict"
    LOOSE = "loose"


@dataclass(frozen=True)
class Thresholds:
    """What turns differences into verdicts."""

    min_changed: int  # a difference of at least this many characters makes a page differ
    min_total: int  # ... or this many characters in all its differences together
    same_page: float  # best page similarity under this: the page is not in the application
    blank_chars: int  # fewer significant characters than this: a blank page


THRESHOLDS = {
    Precision.STRICT: Thresholds(min_changed=2, min_total=4, same_page=0.5, blank_chars=12),
    Precision.LOOSE: Thresholds(min_changed=6, min_total=12, same_page=0.4, blank_chars=12),
}


class Verdict(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    NOT_IN_APPLICATION = "not_in_application"
    BLANK = "blank"
    NO_IMPRINT = "no_imprint"
    IMPRINT_OUTSIDE = "imprint_outside"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Char:
    ch: str
    box: Box


@dataclass(frozen=True)
class Difference:
    kind: str  # changed / inserted / deleted (inserted: on the photo, not in the original)
    original: str
    photo: str
    original_box: Box | None
    photo_box: Box | None

    @property
    def size(self) -> int:
        return max(len(self.original), len(self.photo))


@dataclass
class Comparison:
    similarity: float
    differences: list[Difference] = field(default_factory=list)
    significant: list[Difference] = field(default_factory=list)


def significant_char(ch: str) -> str:
    """The folded character, or "" when it is punctuation, a symbol or a space."""
    ch = unicodedata.normalize("NFKC", ch)
    if len(ch) != 1:
        return "".join(significant_char(c) for c in ch)
    cat = unicodedata.category(ch)
    if cat[0] in ("L", "N"):
        return ch.upper() if ch.isascii() else ch
    return ""


def line_chars(text: str, box: Box) -> list[Char]:
    """Characters of one OCR line, each given its share of the line's box (CJK twice as
    wide as Latin), skipping insignificant ones but keeping their width."""
    widths = [2.0 if ord(c) > 0x2E80 else 1.0 for c in text]
    total = sum(widths) or 1.0
    x0, y0, x1, y1 = box
    out: list[Char] = []
    pos = x0
    for c, w in zip(text, widths, strict=True):
        step = (x1 - x0) * w / total
        folded = significant_char(c)
        for f in folded:
            out.append(Char(f, (pos, y0, pos + step, y1)))
        pos += step
    return out


def chars_of_lines(lines: Iterable[tuple[str, Box]]) -> list[Char]:
    out: list[Char] = []
    for text, box in lines:
        out.extend(line_chars(text, box))
    return out


def text_of(chars: Sequence[Char]) -> str:
    return "".join(c.ch for c in chars)


def _union(chars: Sequence[Char]) -> Box | None:
    if not chars:
        return None
    return (
        min(c.box[0] for c in chars),
        min(c.box[1] for c in chars),
        max(c.box[2] for c in chars),
        max(c.box[3] for c in chars),
    )


def _runs(chars: Sequence[Char]) -> list[list[Char]]:
    """Split a run of characters where it jumps to another line (for boxes)."""
    runs: list[list[Char]] = []
    for c in chars:
        if runs and abs(runs[-1][-1].box[1] - c.box[1]) < 0.008:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


# differences this close (in equal characters between them) count as one change: a forger
# who turns 454,000 into 952,000 changes two digits with one unchanged between them
CLUSTER_GAP = 3


def _inside(c: Char, boxes: Sequence[Box]) -> bool:
    x, y = (c.box[0] + c.box[2]) / 2, (c.box[1] + c.box[3]) / 2
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def compare(
    original: Sequence[Char],
    photo: Sequence[Char],
    t: Thresholds,
    *,
    ignore: Sequence[Box] = (),
) -> Comparison:
    """Align the photo's characters with the original's and list the differences.

    Differences whose characters all lie in `ignore` (the imprints: OCR reads the seal's
    own ring text, and the seal hides what is under it) are left out."""
    a, b = text_of(original), text_of(photo)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = [
        op
        for op in sm.get_opcodes()
        if op[0] != "equal"
        and not (
            ignore
            and all(_inside(c, ignore) for c in photo[op[3] : op[4]])
            and all(_inside(c, ignore) for c in original[op[1] : op[2]])
        )
    ]
    # clusters of nearby differences, each with its total size
    clusters: list[list[tuple[str, int, int, int, int]]] = []
    for op in ops:
        last = clusters[-1][-1] if clusters else None
        if last is not None and op[1] - last[2] <= CLUSTER_GAP and op[3] - last[4] <= CLUSTER_GAP:
            clusters[-1].append(op)
        else:
            clusters.append([op])
    diffs: list[Difference] = []
    significant: list[Difference] = []
    for cluster in clusters:
        size = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in cluster)
        found = [d for op in cluster for d in _differences(op, original, photo, a, b)]
        diffs.extend(found)
        if size >= t.min_changed:
            significant.extend(found)
    total = sum(d.size for d in diffs)
    if not significant and total >= t.min_total + len(a) // 25:
        # many scattered small differences: the page reads differently as a whole
        significant = list(diffs)
    return Comparison(round(sm.ratio(), 4), diffs, significant)


def _differences(
    op: tuple[str, int, int, int, int],
    original: Sequence[Char],
    photo: Sequence[Char],
    a: str,
    b: str,
) -> list[Difference]:
    tag, i1, i2, j1, j2 = op
    kind = {"replace": "changed", "delete": "deleted", "insert": "inserted"}[tag]
    oa, pb = original[i1:i2], photo[j1:j2]
    # one difference per line touched, so each box is a line fragment on the image
    oruns, pruns = _runs(oa) or [[]], _runs(pb) or [[]]
    if len(oruns) == 1 and len(pruns) == 1:
        return [Difference(kind, a[i1:i2], b[j1:j2], _union(oa), _union(pb))]
    out = []
    for k in range(max(len(oruns), len(pruns))):
        orun = oruns[k] if k < len(oruns) else []
        prun = pruns[k] if k < len(pruns) else []
        sub = "changed" if orun and prun else ("deleted" if orun else "inserted")
        out.append(Difference(sub, text_of(orun), text_of(prun), _union(orun), _union(prun)))
    return out


@dataclass(frozen=True)
class PageMatch:
    key: int  # index of the candidate page
    comparison: Comparison


def best_page(
    candidates: Sequence[Sequence[Char]],
    photo: Sequence[Char],
    t: Thresholds,
    *,
    ignore: Sequence[Box] = (),
) -> PageMatch | None:
    """The candidate page the photo shows (highest similarity)."""
    b = text_of(photo)
    scored = []
    for i, cand in enumerate(candidates):
        sm = difflib.SequenceMatcher(None, text_of(cand), b, autojunk=False)
        if sm.real_quick_ratio() < 0.2:
            continue
        scored.append((sm.ratio(), i))
    if not scored:
        return None
    _, i = max(scored)
    return PageMatch(i, compare(candidates[i], photo, t, ignore=ignore))


def decide(
    *,
    problems: Sequence[str],
    photo_chars: int,
    match: PageMatch | None,
    imprints: int,
    imprints_in_area: int,
    t: Thresholds,
) -> Verdict:
    """One verdict per photo; a bad photo never comes out as `matches`."""
    if problems:
        return Verdict.UNREADABLE
    if photo_chars < t.blank_chars:
        return Verdict.BLANK
    if match is None or match.comparison.similarity < t.same_page:
        return Verdict.NOT_IN_APPLICATION
    if match.comparison.significant:
        return Verdict.DIFFERS
    if imprints == 0:
        return Verdict.NO_IMPRINT
    if imprints_in_area == 0:
        return Verdict.IMPRINT_OUTSIDE
    return Verdict.MATCHES
