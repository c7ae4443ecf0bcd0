"""The narrow calls the esign service makes on images, keys, certificates and PDFs.

Everything is esigncore's library layer (sealhub/esign/imaging, keys, pki, pdf); this module
only translates the service's placements, stored PNGs and PEMs into its calls, in one place.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from PIL import Image

from sealhub.esign import imaging
from sealhub.esign.keys import FileKey, KeyAlgorithm
from sealhub.esign.pdf import placement as pdf_placement
from sealhub.esign.pdf import seal as pdf_seal
from sealhub.esign.pdf import verify as pdf_verify
from sealhub.esign.verification import VerifyOptions

ALGORITHM = str(KeyAlgorithm.EC_P256)


# ---------------------------------------------------------------- seal images


@dataclass(frozen=True)
class Design:
    """What a seal image shows: `org_name` along the upper arc (round/oval), `title` across,
    `code` (13 digits, round) or the tax number (oval) below; a square seal prints `title`
    (or the organisation name) as 4 or 6 characters."""

    shape: str
    org_name: str
    title: str
    code: str = ""
    size_mm: int = 40


def render_seal(design: Design, *, dpi: int = 300) -> bytes:
    """The seal as a PNG at true size, red on transparent (esigncore's imaging)."""
    if design.shape == "oval":
        img = imaging.oval_seal(
            design.org_name, design.title or "财务专用章", tax_number=design.code, dpi=dpi
        )
    elif design.shape == "square":
        img = imaging.square_seal(design.title or design.org_name, dpi=dpi)
    else:
        img = imaging.round_seal(
            design.org_name, design.title, code=design.code, diameter_mm=design.size_mm, dpi=dpi
        )
    return img.png


# ---------------------------------------------------------------- keys and certificates


def new_seal_key() -> FileKey:
    return FileKey.generate(KeyAlgorithm.EC_P256)


# ---------------------------------------------------------------- PDFs


@dataclass(frozen=True)
class Stamp:
    """Where one seal goes: page (0-based) and the seal's lower-left corner in PDF points, or
    the keyword it covers, or a straddle across every page."""

    mode: str
    page: int = 0
    x: float = 0.0
    y: float = 0.0
    keyword: str = ""


@dataclass(frozen=True)
class SealJob:
    key_der: bytes  # PKCS#8 of a file key
    cert_pem: bytes
    chain_pems: tuple[bytes, ...]  # issuing CA, then root
    image_png: bytes
    stamp: Stamp
    field_name: str


@dataclass(frozen=True)
class PdfInfo:
    pages: list[tuple[float, float]] = field(default_factory=list)


def pdf_info(data: bytes) -> PdfInfo:
    """Page sizes in points."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return PdfInfo([(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages])


def find_keyword(data: bytes, keyword: str) -> tuple[int, float, float] | None:
    """(page 0-based, centre x, centre y) of the keyword's first occurrence, or None."""
    hits = pdf_placement.find_keyword(data, keyword)
    return (hits[0].page - 1, hits[0].x, hits[0].y) if hits else None


def seal_image(png: bytes) -> imaging.SealImage:
    """The stored seal PNG with its true size (the DPI it was made at)."""
    img = Image.open(io.BytesIO(png))
    dpi = round(float(img.info.get("dpi", (300, 300))[0])) or 300
    return imaging.SealImage(png=png, width_px=img.width, height_px=img.height, dpi=dpi)


def _placement(stamp: Stamp, image: imaging.SealImage) -> pdf_placement.Placement:
    if stamp.mode == "straddle":
        return pdf_placement.Straddle()
    if stamp.mode == "keyword":
        return pdf_placement.AtKeyword(stamp.keyword)
    w, h = image.width_mm * pdf_placement.MM, image.height_mm * pdf_placement.MM
    return pdf_placement.AtPosition(page=stamp.page + 1, x=stamp.x + w / 2, y=stamp.y + h / 2)


def seal_pdf(data: bytes, jobs: list[SealJob], *, qr_url: str = "") -> bytes:
    """Apply each seal as its own PAdES B-B signature with esigncore's Sealer, one
    incremental update each. Straddles go first: they draw on the pages, which signatures
    made before them would report as a change; the others only add their own field."""
    out = data
    ordered = sorted(jobs, key=lambda j: j.stamp.mode != "straddle")
    for n, job in enumerate(ordered):
        chain = [x509.load_pem_x509_certificate(p) for p in job.chain_pems]
        sealer = pdf_seal.Sealer(
            FileKey.from_pkcs8(job.key_der), x509.load_pem_x509_certificate(job.cert_pem), chain
        )
        image = seal_image(job.image_png)
        out = sealer.seal(
            out,
            image=image,
            placements=[_placement(job.stamp, image)],
            qr_url=qr_url if n == 0 and qr_url else None,
            field_name=job.field_name,
        )
    return out


def verify_pdf(data: bytes, trust_pems: list[bytes]) -> dict[str, Any]:
    """esigncore's report of every signature, trusting `trust_pems` (runs in the untrusted
    pool: a fresh event loop in the child). OFD, .esl seals and SES signatures go to the
    national formats' verifier, with the same report shape."""
    from sealhub.esign.ofd import public as national

    national_report = national.verify_report(data, trust_pems)
    if national_report is not None:
        out = national_report.to_dict()
        out["sha256"] = hashlib.sha256(data).hexdigest()
        return out
    roots = [x509.load_pem_x509_certificate(p) for p in trust_pems]
    report = asyncio.run(pdf_verify.verify_pdf(data, VerifyOptions(trust_roots=roots)))
    out = report.to_dict()
    out["sha256"] = hashlib.sha256(data).hexdigest()
    return out
