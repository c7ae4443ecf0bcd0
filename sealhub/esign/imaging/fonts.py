"""The CJK font the seal images are drawn with: found by path among Debian's packages."""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

from sealhub.esign.imaging.errors import FontMissing

# Serif (宋体-like) first: Chinese seals use Song/仿宋 strokes; then sans, then WenQuanYi.
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# index of the Simplified Chinese face inside Noto's .ttc collections (JP, KR, SC, TC, HK)
_SC_INDEX = {"NotoSerifCJK": 2, "NotoSansCJK": 2}


def font_path(candidates: tuple[str, ...] = CANDIDATES) -> Path:
    """The first installed CJK font, or FontMissing naming the Debian packages."""
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontMissing(detail="looked in: " + ", ".join(candidates))


def _face_index(path: Path) -> int:
    for prefix, index in _SC_INDEX.items():
        if path.name.startswith(prefix):
            return index
    return 0


@functools.lru_cache(maxsize=64)
def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=_face_index(Path(path)))


def font(size_px: int) -> ImageFont.FreeTypeFont:
    """The CJK font at this pixel size (cached)."""
    return _load(str(font_path()), max(1, size_px))
