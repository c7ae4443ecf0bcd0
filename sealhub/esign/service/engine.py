# pyHanko, asn1crypto and qrcode ship without complete type information
# mypy: disable-error-code="no-untyped-call,import-untyped"
"""The narrow calls the esign service makes on images, keys, certificates and PDFs.

`esigncore` builds the full library layer (sealhub/esign/imaging, pki, keys, pdf, tsa); until
its pieces land on this branch these are small, working implementations of exactly the
calls the service needs (P-256 keys, a one-level organisation CA, pyHanko PAdES B-B), kept in
this one module so switching each to the library is a local change.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw, ImageFont

RED = (230, 0, 18, 255)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
ALGORITHM = "ecdsa-p256"


# ---------------------------------------------------------------- seal images


@dataclass(frozen=True)
class Design:
    """What a seal image shows. `org_name` runs along the upper arc (round/oval), `title`
    across the middle, `code` (13 digits) along the lower arc; a square seal prints `title`
    in 2×2 or 2×3 characters."""

    shape: str
    org_name: str
    title: str
    code: str = ""
    size_mm: float = 40.0


def _font(px: int) -> ImageFont.FreeTypeFont:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, px)
    raise RuntimeError("no CJK font installed (Debian fonts-wqy-zenhei or fonts-noto-cjk)")


def _glyph(ch: str, px: int, angle: float) -> Image.Image:
    font = _font(px)
    tile = Image.new("RGBA", (px * 2, px * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((px, px), ch, font=font, fill=RED, anchor="mm")
    return tile.rotate(angle, resample=Image.Resampling.BICUBIC)


def _arc_text(
    img: Image.Image, text: str, cx: float, cy: float, rx: float, ry: float, px: int, *, upper: bool
) -> None:
    if not text:
        return
    span = min(240.0, 22.0 * len(text)) if upper else min(120.0, 9.0 * len(text))
    n = len(text)
    for i, ch in enumerate(text):
        t = (i + 0.5) / n
        # degrees from "up", clockwise; the upper arc reads left to right over the top
        deg = (-span / 2 + span * t) if upper else (180 + span / 2 - span * t)
        rad = math.radians(deg)
        x = cx + rx * math.sin(rad)
        y = cy - ry * math.cos(rad)
        tile = _glyph(ch, px, -deg if upper else 180 - deg)
        img.alpha_composite(tile, (int(x - tile.width / 2), int(y - tile.height / 2)))


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.382
        a = math.radians(-90 + 36 * k)
        points.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(points, fill=RED)


def render_seal(design: Design, *, dpi: int = 300) -> bytes:
    """The seal as a PNG at true size: red on a transparent background."""
    mm = design.size_mm
    w_mm, h_mm = (mm, mm * 0.7) if design.shape == "oval" else (mm, mm)
    if design.shape == "square":
        w_mm = h_mm = min(mm, 25.0)
    w, h = round(w_mm / 25.4 * dpi), round(h_mm / 25.4 * dpi)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    line = max(2, round(w * 0.035))
    if design.shape == "square":
        draw.rectangle((line / 2, line / 2, w - line / 2, h - line / 2), outline=RED, width=line)
        chars = list(design.title)[:6] or ["印"]
        cols = 2 if len(chars) <= 4 else 3
        rows = math.ceil(len(chars) / cols) if cols == 2 else 2
        # read top-to-bottom, right column first (traditional order)
        cell_w, cell_h = (w - 2 * line) / 2, (h - 2 * line) / max(rows, cols if cols == 3 else 2)
        per_col = max(rows, 2) if cols == 2 else 3
        cell_h = (h - 2 * line) / per_col
        px = int(min(cell_w, cell_h) * 0.85)
        for i, ch in enumerate(chars):
            col, row = divmod(i, per_col)
            x = w - line - cell_w * (col + 0.5)
            y = line + cell_h * (row + 0.5)
            tile = _glyph(ch, px, 0)
            img.alpha_composite(tile, (int(x - tile.width / 2), int(y - tile.height / 2)))
        return _png(img, dpi)
    draw.ellipse((line / 2, line / 2, w - line / 2, h - line / 2), outline=RED, width=line)
    cx, cy = w / 2, h / 2
    px = int(w * 0.11)
    _arc_text(
        img,
        design.org_name,
        cx,
        cy,
        w / 2 - line - px * 0.8,
        h / 2 - line - px * 0.8,
        px,
        upper=True,
    )
    if design.code:
        small = int(w * 0.05)
        _arc_text(
            img, design.code, cx, cy, w / 2 - line - small, h / 2 - line - small, small, upper=False
        )
    if design.shape == "round":
        _star(draw, cx, cy, w * 0.16)
        title_y = cy + h * 0.24
    else:
        title_y = cy + h * 0.12
    if design.title:
        tpx = int(min(w * 0.09, (w * 0.62) / max(len(design.title), 1)))
        draw.text((cx, title_y), design.title, font=_font(tpx), fill=RED, anchor="mm")
    return _png(img, dpi)


def _png(img: Image.Image, dpi: int) -> bytes:
    # anti-aliased edges keep their red: only the alpha fades, so every pixel is red or clear
    r, g, b, a = img.split()
    solid = Image.merge(
        "RGBA", (r.point(lambda _: RED[0]), g.point(lambda _: RED[1]), b.point(lambda _: RED[2]), a)
    )
    out = io.BytesIO()
    solid.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


# ---------------------------------------------------------------- keys and certificates


@dataclass(frozen=True)
class Issued:
    key_pem: bytes
    cert_pem: bytes
    serial: int
    not_before: datetime
    not_after: datetime
    subject: str


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def make_ca(org_name: str, now: datetime, *, years: int = 10) -> Issued:
    """A self-signed organisation CA that issues seal certificates and CRLs."""
    key = _key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org_name} 电子印章 CA"),
        ]
    )
    serial = x509.random_serial_number()
    not_after = now + timedelta(days=365 * years)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(
        _pem(key),
        cert.public_bytes(serialization.Encoding.PEM),
        serial,
        now,
        not_after,
        name.rfc4514_string(),
    )


def issue_seal_certificate(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    *,
    org_name: str,
    credit_code: str,
    seal_name: str,
    now: datetime,
    days: int = 365 * 2,
    crl_url: str = "",
) -> Issued:
    """A certificate for one electronic seal: the organisation and seal as subject, key usage
    for non-repudiation."""
    ca_key = _load_key(ca_key_pem)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    key = _key()
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
        x509.NameAttribute(NameOID.COMMON_NAME, seal_name),
    ]
    if credit_code:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, credit_code))
    name = x509.Name(attrs)
    serial = x509.random_serial_number()
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    cert = builder.sign(ca_key, hashes.SHA256())
    return Issued(
        _pem(key),
        cert.public_bytes(serialization.Encoding.PEM),
        serial,
        now,
        not_after,
        name.rfc4514_string(),
    )


def make_crl(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    revoked: list[tuple[int, datetime]],
    *,
    number: int,
    now: datetime,
    hours: int = 24,
) -> bytes:
    """A DER CRL listing `revoked` (serial, when) with this CRL number."""
    ca_key = _load_key(ca_key_pem)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(hours=hours))
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for serial, at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


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
    key_pem: bytes
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
    from pyhanko.sign.general import load_cert_from_pemder  # noqa: F401 (kept for parity)
    from pyhanko.sign.signers.pdf_cms import SimpleSigner
    from pyhanko.stamp import StaticStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = serialization.load_pem_private_key(job.key_pem, password=None)
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
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
