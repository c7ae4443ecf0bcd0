# pyHanko, asn1crypto and qrcode ship without complete type information
# mypy: disable-error-code="no-untyped-call,import-untyped"
"""The narrow calls the esign service makes on images, keys, certificates and PDFs.

Images, keys, certificates and CRLs come from esigncore's library layer (sealhub/esign/
imaging, keys, pki). The PDF calls (visible PAdES B-B seals at a position, a keyword or as a
straddle, a QR code per page, verification) are small pyHanko implementations of exactly
what the service needs, kept here until esigncore's `pdf` layer lands on this branch.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from PIL import Image

from sealhub.esign import imaging
from sealhub.esign.keys import FileKey, KeyAlgorithm

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
    """Where one seal goes: page (0-based) and the box's lower-left corner in PDF points, or
    a keyword whose first occurrence it covers, or a straddle across every page."""

    mode: str
    page: int = 0
    x: float = 0.0
    y: float = 0.0
    keyword: str = ""


@dataclass(frozen=True)
class SealJob:
    key_pem: bytes  # PKCS#8, PEM or DER
    cert_pem: bytes
    chain_pems: tuple[bytes, ...]
    image_png: bytes
    size_mm: float
    stamp: Stamp
    field_name: str


@dataclass(frozen=True)
class PdfInfo:
    pages: list[tuple[float, float]] = field(default_factory=list)


def pdf_info(data: bytes) -> PdfInfo:
    """Page sizes in points (runs in the untrusted pool)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return PdfInfo([(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages])


def find_keyword(data: bytes, keyword: str) -> tuple[int, float, float] | None:
    """(page, x, y) of the first occurrence of `keyword` (its baseline start), or None."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for index, page in enumerate(reader.pages):
        found: list[tuple[float, float]] = []

        def visit(
            text: str, cm: Any, tm: Any, _font: Any, _size: Any, found: list[Any] = found
        ) -> None:
            if keyword in text and not found:
                found.append(
                    (
                        float(tm[4]) * float(cm[0]) + float(cm[4]),
                        float(tm[5]) * float(cm[3]) + float(cm[5]),
                    )
                )

        page.extract_text(visitor_text=visit)
        if found:
            return index, found[0][0], found[0][1]
    return None


def seal_pdf(data: bytes, jobs: list[SealJob], *, qr_url: str = "") -> bytes:
    """Apply each seal as its own PAdES signature (incremental: earlier ones stay valid).

    A straddle seal draws one slice of its image on the right edge of every page in the same
    revision as its signature, so the one signature covers every slice."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    sizes = pdf_info(data).pages
    out = data
    for n, job in enumerate(jobs):
        writer = IncrementalPdfFileWriter(io.BytesIO(out), strict=False)
        if n == 0:
            # every change to page content goes into the first signed revision: later
            # signatures then add only their own fields, which validators accept
            if qr_url:
                _draw_qr(writer, qr_url, len(sizes))
            for k, other in enumerate(jobs):
                if other.stamp.mode == "straddle":
                    _draw_straddle(writer, other, sizes, k)
        out = _sign_one(writer, job, sizes)
    return out


def _image_xobject(
    writer: Any, png: bytes, box: tuple[float, float, float, float] | None = None
) -> Any:
    from pyhanko.pdf_utils.images import pil_image

    img: Image.Image = Image.open(io.BytesIO(png))
    if box is not None:
        img = img.crop((int(box[0]), int(box[1]), int(box[2]), int(box[3])))
    return pil_image(img, writer)


def _draw_on_page(
    writer: Any, page: int, xobj: Any, name: str, x: float, y: float, w: float, h: float
) -> None:
    from pyhanko.pdf_utils import generic

    resources = generic.DictionaryObject(
        {
            generic.NameObject("/XObject"): generic.DictionaryObject(
                {generic.NameObject(f"/{name}"): xobj}
            )
        }
    )
    content = f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /{name} Do Q".encode()
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    writer.add_stream_to_page(page, stream, resources=resources)


def _draw_qr(writer: Any, url: str, pages: int) -> None:
    import qrcode

    qr = qrcode.QRCode(border=1, box_size=4)
    qr.add_data(url)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    xobj = _image_xobject(writer, buf.getvalue())
    for index in range(pages):
        _draw_on_page(writer, index, xobj, "ShQr", 12, 12, 48, 48)


def _draw_straddle(writer: Any, job: SealJob, sizes: list[tuple[float, float]], k: int) -> None:
    """One vertical slice of the seal on the right edge of every page (骑缝章)."""
    img = Image.open(io.BytesIO(job.image_png))
    side = job.size_mm / 25.4 * 72
    pages = len(sizes)
    slice_w = img.width / pages
    w = side / pages
    for index, (page_w, page_h) in enumerate(sizes):
        box = (slice_w * index, 0, slice_w * (index + 1), img.height)
        xobj = _image_xobject(writer, job.image_png, box)
        _draw_on_page(writer, index, xobj, f"ShS{k}", page_w - w, page_h / 2 - side / 2, w, side)


def _sign_one(writer: Any, job: SealJob, sizes: list[tuple[float, float]]) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.content import ImportedPdfPage  # noqa: F401
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_cms import SimpleSigner
    from pyhanko.stamp import StaticStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = FileKey.from_pkcs8(job.key_pem).pkcs8_der()
    cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(job.cert_pem).public_bytes(serialization.Encoding.DER)
    )
    chain = [
        asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate(p).public_bytes(serialization.Encoding.DER)
        )
        for p in job.chain_pems
    ]
    signer = SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
    )
    side = job.size_mm / 25.4 * 72
    stamp = job.stamp
    img = Image.open(io.BytesIO(job.image_png))
    box: tuple[float, float, float, float]
    if stamp.mode == "straddle":
        pages = len(sizes)
        box = (0.0, 0.0, 0.0, 0.0)
        page = pages - 1
    else:
        page = stamp.page
        box = (stamp.x, stamp.y, stamp.x + side, stamp.y + side * img.height / img.width)
    style = StaticStampStyle(
        background=PdfImage(img),
        background_opacity=1,
        border_width=0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID, margins=Margins()
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=job.field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=job.field_name, on_page=page, box=_ints(box)
        ),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


# ---------------------------------------------------------------- verification


_PERMITTED = frozenset({"NONE", "LTA_UPDATES", "FORM_FILLING"})


def _changed_after(status: Any) -> bool:
    """Whether anything beyond permitted updates (DSS, timestamps, later signatures'
    fields) changed after the signature."""
    coverage = status.coverage.name if status.coverage else ""
    if coverage == "ENTIRE_FILE":
        return False
    level = status.modification_level.name if status.modification_level else ""
    return not (coverage == "ENTIRE_REVISION" and level in _PERMITTED)


def verify_pdf(data: bytes, trust_pems: list[bytes]) -> dict[str, Any]:
    """Every signature of the file: signer, time, integrity, coverage, changes after it, and
    whether its chain reaches one of `trust_pems` (runs in the untrusted pool)."""
    from sealhub.esign.ofd import public as national

    national_report = national.verify_dict(data, trust_pems)  # OFD, .esl, SES signatures
    if national_report is not None:
        return national_report
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [
        asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate(p).public_bytes(serialization.Encoding.DER)
        )
        for p in trust_pems
    ]
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures: list[dict[str, Any]] = []
    for sig in reader.embedded_signatures:
        ctx = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        status = validate_pdf_signature(sig, ctx, skip_diff=False)
        cert = sig.signer_cert
        native = x509.load_der_x509_certificate(cert.dump())
        org = native.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        cn = native.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        signatures.append(
            {
                "field": sig.field_name,
                "signer": str(cn[0].value) if cn else native.subject.rfc4514_string(),
                "organisation": str(org[0].value) if org else "",
                "serial": format(native.serial_number, "x"),
                "issuer": native.issuer.rfc4514_string(),
                "signing_time": status.signer_reported_dt.isoformat()
                if status.signer_reported_dt
                else None,
                "timestamp": status.timestamp_validity.timestamp.isoformat()
                if status.timestamp_validity
                else None,
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "coverage": status.coverage.name if status.coverage else "",
                "covers_whole_file": status.coverage is not None
                and status.coverage.name == "ENTIRE_FILE",
                "modification_level": status.modification_level.name
                if status.modification_level
                else "",
                "changed_after": _changed_after(status),
                "algorithm": status.md_algorithm,
            }
        )
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "signatures": signatures,
        "signed": bool(signatures),
    }


def _ints(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    return (round(box[0]), round(box[1]), round(box[2]), round(box[3]))
