"""Defensive upload checks: the content decides the type, never the name or the client's header.

Pure functions (no IO beyond parsing the given bytes), safe to run in a worker thread.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from PIL import Image
from pypdf import PdfReader

from sealhub.platform.errors import PayloadTooLarge
from sealhub.storage.errors import (
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    ImageTooLarge,
    NotImage,
    NotPdf,
    TypeNotAllowed,
    UnknownType,
)

PDF = "pdf"
IMAGE = "image"

# Seal images, logos and phone photos stay well under this; decoding more is a memory risk.
MAX_IMAGE_PIXELS = 50_000_000

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".jpe", ".webp"}
_PIL_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Sniffed:
    """What an upload really is."""

    content_type: str
    kind: str
    pages: int | None = None
    width: int | None = None
    height: int | None = None


def check_size(n: int, limit: int) -> None:
    """Reject uploads over `limit` bytes."""
    if n > limit:
        raise PayloadTooLarge(f"{n} bytes > {limit}", limit=limit)


def detect(data: bytes) -> str | None:
    """The kind (`pdf`, `image`) told by the magic bytes, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return IMAGE
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return IMAGE
    return None


def clean_filename(filename: str, *, max_len: int = 255) -> str:
    """A display name: last path part only, no control characters, bounded length."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > max_len:
        _stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: max_len - len(keep) - 1] + "." + keep if keep else name[:max_len]
    return name or "file"


def sniff(data: bytes, filename: str, *, allowed: set[str] | frozenset[str]) -> Sniffed:
    """Identify and fully verify an upload; raise a specific `upload.*` error when it is unfit."""
    if not data:
        raise EmptyFile()
    suffix = PurePosixPath(filename.lower()).suffix
    kind = detect(data)
    if suffix == ".pdf" and kind != PDF:
        raise NotPdf(f"{filename!r} does not start with %PDF-")
    if suffix in IMAGE_SUFFIXES and kind != IMAGE:
        raise NotImage(f"{filename!r} is not a PNG, JPEG or WebP image")
    if kind is None:
        raise UnknownType(f"unrecognised content in {filename!r}")
    if kind not in allowed:
        raise TypeNotAllowed(f"{kind} not in {sorted(allowed)}", kind=kind)
    return _check_pdf(data) if kind == PDF else _check_image(data)


def _check_pdf(data: bytes) -> Sniffed:
    try:
        # strict: pyHanko later parses strictly too, so a PDF that needs repair is refused now.
        reader = PdfReader(io.BytesIO(data), strict=True)
        encrypted = reader.is_encrypted
    except Exception as exc:  # any parser failure means we cannot trust the file
        raise CorruptPdf(f"{type(exc).__name__}: {exc}") from exc
    if encrypted:
        # Even an empty user password blocks signing and OCR later.
        raise EncryptedPdf()
    try:
        pages = len(reader.pages)
        for page in reader.pages:
            _ = page.mediabox  # resolves each page object, catching broken references
    except Exception as exc:
        raise CorruptPdf(f"{type(exc).__name__}: {exc}") from exc
    if pages == 0:
        raise CorruptPdf("no pages")
    return Sniffed(content_type="application/pdf", kind=PDF, pages=pages)


def _check_image(data: bytes) -> Sniffed:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_PIL_TYPES)) as im:
                fmt = im.format or ""
                width, height = im.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(f"{width}x{height}", limit=MAX_IMAGE_PIXELS)
                im.verify()
            # verify() checks structure only (not JPEG data); a full decode catches truncation.
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                im.load()
    except ImageTooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc), limit=MAX_IMAGE_PIXELS) from exc
    except Exception as exc:
        raise NotImage(f"{type(exc).__name__}: {exc}") from exc
    if fmt not in _PIL_TYPES:
        raise NotImage(f"unexpected format {fmt!r}")
    return Sniffed(content_type=_PIL_TYPES[fmt], kind=IMAGE, width=width, height=height)
