"""Seal imprints: find red imprints on a straightened page (colour segmentation + shape)
and score how much a found imprint looks like the registered seal's reference image."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.uint8]

PROFILE_BINS = 16


@dataclass(frozen=True)
class Imprint:
    """One imprint: its box (fractions of the page, top-left origin) and shape."""

    box: tuple[float, float, float, float]
    shape: str  # round / oval / square / other
    circularity: float
    profile: tuple[float, ...]  # share of red ink by distance from the centre (ring text)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


def _profile(mask: Mask, cx: float, cy: float, rx: float, ry: float) -> tuple[float, ...]:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0 or rx <= 0 or ry <= 0:
        return tuple(0.0 for _ in range(PROFILE_BINS))
    r = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    hist, _ = np.histogram(np.clip(r, 0, 0.999), bins=PROFILE_BINS, range=(0.0, 1.0))
    # ink per unit area of each annulus, scaled to sum 1
    areas = np.array([(i + 1) ** 2 - i**2 for i in range(PROFILE_BINS)], dtype=np.float64)
    dens = hist / areas
    total = float(dens.sum()) or 1.0
    return tuple(round(float(v) / total, 4) for v in dens)


def _describe(mask: Mask, contour: npt.NDArray[np.int32], page: tuple[int, int]) -> Imprint:
    h, w = page
    x, y, bw, bh = cv2.boundingRect(contour)
    hull = cv2.convexHull(contour)
    area = cv2.contourArea(hull)
    peri = cv2.arcLength(hull, True) or 1.0
    circ = float(4 * math.pi * area / (peri * peri))
    aspect = bw / bh if bh else 0.0
    if circ > 0.85 and 0.85 < aspect < 1.18:
        shape = "round"
    elif circ > 0.8:
        shape = "oval"
    elif 0.85 < aspect < 1.18 and area / (bw * bh or 1) > 0.9:
        shape = "square"
    else:
        shape = "other"
    sub = mask[y : y + bh, x : x + bw]
    prof = _profile(sub, bw / 2, bh / 2, bw / 2, bh / 2)
    return Imprint(
        box=(x / w, y / h, (x + bw) / w, (y + bh) / h),
        shape=shape,
        circularity=round(circ, 3),
        profile=prof,
    )


def find_imprints(red: Mask, *, min_fraction: float = 0.004) -> list[Imprint]:
    """Imprints on a page from its red mask: blobs big enough to be a seal."""
    h, w = red.shape[:2]
    k = max(5, int(min(h, w) * 0.02)) | 1
    merged = cv2.morphologyEx(red, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(merged, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for c in contours:
        x, y, bw, bh = cv2.boundingRect(c)
        if bw * bh < min_fraction * w * h or min(bw, bh) < 0.04 * min(w, h):
            continue
        ink = int(np.count_nonzero(red[y : y + bh, x : x + bw]))
        if ink < 0.03 * bw * bh:
            continue
        found.append(_describe(red, np.asarray(c, dtype=np.int32), (h, w)))
    found.sort(key=lambda i: (i.box[1], i.box[0]))
    return found


def reference_imprint(image: npt.NDArray[np.uint8]) -> Imprint | None:
    """The registered seal's image (red on white or transparent) described like a find."""
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[:, :, 3]
        bgr = image[:, :, :3].copy()
        bgr[alpha < 128] = 255
        image = np.asarray(bgr, dtype=np.uint8)
    from sealhub.inspection.photo import red_mask

    red = red_mask(image)
    found = find_imprints(red, min_fraction=0.05)
    if not found:
        return None
    return max(found, key=lambda i: (i.box[2] - i.box[0]) * (i.box[3] - i.box[1]))


def likeness(found: Imprint, reference: Imprint) -> float:
    """0..1: same shape family and the same ink-by-radius profile (ring text, star)."""
    shape = 1.0 if found.shape == reference.shape else 0.4
    diff = sum(abs(a - b) for a, b in zip(found.profile, reference.profile, strict=True))
    profile = max(0.0, 1.0 - diff)  # both sum to 1: diff is in [0, 2]
    return round(0.4 * shape + 0.6 * profile, 3)


def in_area(imprint: Imprint, area: tuple[float, float, float, float]) -> bool:
    """Whether the imprint's centre lies in the expected area (fractions of the page)."""
    cx, cy = imprint.centre
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]
