"""Reading a photo of a stamped page: find the sheet, straighten it, separate the red
imprint from the text, flatten the light. Pure image functions (OpenCV, NumPy)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.uint8]

# the straightened page: A4 at ~150 dpi, what the OCR models read best
PAGE_W, PAGE_H = 1240, 1754


@dataclass
class Sheet:
    """A straightened page, its red mask and how it was found."""

    page: Image  # BGR, PAGE_W x PAGE_H, red removed and light flattened (for OCR)
    colour: Image  # BGR, straightened, as photographed (for the highlight image)
    red: Mask  # 255 where the imprint's red ink is
    found_edges: bool  # the sheet's four corners were found (else the whole photo is used)
    problems: list[str] = field(default_factory=list)  # why it may be unreadable


def decode(data: bytes) -> Image | None:
    """A BGR image from JPEG/PNG/WebP bytes, or None."""
    arr = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        return None
    return np.asarray(img, dtype=np.uint8)


def _order(pts: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
        dtype=np.float32,
    )


def find_sheet(img: Image) -> npt.NDArray[np.float32] | None:
    """The four corners of the largest bright quadrilateral (the sheet), or None."""
    h, w = img.shape[:2]
    scale = 800.0 / max(h, w)
    small = cv2.resize(img, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    best = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(best)
    if area < 0.2 * small.shape[0] * small.shape[1] or area > 0.985 * small.size / 3:
        return None  # nothing sheet-like, or the sheet fills the frame (a scan)
    peri = cv2.arcLength(best, True)
    quad = cv2.approxPolyDP(best, 0.02 * peri, True)
    if len(quad) != 4:
        rect = cv2.minAreaRect(best)
        quad = cv2.boxPoints(rect).reshape(-1, 1, 2)
    pts = quad.reshape(4, 2).astype(np.float32) / scale
    return _order(pts)


def red_mask(img: Image) -> Mask:
    """Red ink: hue near 0/180, saturated, not dark."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    lo = cv2.inRange(hsv, np.array([0, 70, 70]), np.array([12, 255, 255]))
    hi = cv2.inRange(hsv, np.array([160, 70, 70]), np.array([180, 255, 255]))
    mask = cv2.bitwise_or(lo, hi)
    return np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))


def flatten_light(gray: Image) -> Image:
    """Divide by the blurred background: uneven light and shadows become white paper."""
    bg = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((25, 25), np.uint8))
    bg = cv2.GaussianBlur(bg, (0, 0), 15)
    flat = cv2.divide(gray, bg, scale=255)
    return np.asarray(flat, dtype=np.uint8)


def read_sheet(img: Image) -> Sheet:
    """Straighten the page in a photo and prepare it for OCR and the imprint check."""
    problems: list[str] = []
    gray_all = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if float(gray_all.mean()) < 45 or float(gray_all.std()) < 6:
        problems.append("too_dark" if float(gray_all.mean()) < 45 else "no_contrast")
    corners = find_sheet(img)
    target = np.array(
        [[0, 0], [PAGE_W - 1, 0], [PAGE_W - 1, PAGE_H - 1], [0, PAGE_H - 1]], dtype=np.float32
    )
    if corners is not None:
        m = cv2.getPerspectiveTransform(corners, target)
        colour = cv2.warpPerspective(img, m, (PAGE_W, PAGE_H), flags=cv2.INTER_LINEAR)
    else:
        colour = cv2.resize(img, (PAGE_W, PAGE_H), interpolation=cv2.INTER_AREA)
    colour = np.asarray(colour, dtype=np.uint8)
    red = red_mask(colour)  # type: ignore[arg-type]
    gray = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
    # the imprint's red is light in gray but not paper: use the red channel under it, where
    # black text stays dark and red ink turns white
    under = colour[:, :, 2]
    gray = np.where(cv2.dilate(red, np.ones((3, 3), np.uint8)) > 0, under, gray)
    flat = flatten_light(np.asarray(gray, dtype=np.uint8))
    paper = float(np.median(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)))
    if paper < 60:
        problems.append("too_dark")
    page = cv2.cvtColor(flat, cv2.COLOR_GRAY2BGR)
    return Sheet(
        page=np.asarray(page, dtype=np.uint8),
        colour=colour,  # type: ignore[arg-type]
        red=red,
        found_edges=corners is not None,
        problems=sorted(set(problems)),
    )


def sharpness(img: Image) -> float:
    """Variance of the Laplacian (low: blurred or featureless)."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())
