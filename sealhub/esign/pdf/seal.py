"""Sealing PDFs: PAdES B-B, B-T, B-LT, B-LTA with a visible seal at a position, at a
keyword, or as a straddle seal (骑缝章), optional QR codes, several seals per document.

Everything a seal draws (the widget, straddle slices on every page, QR codes) is written in
the same incremental revision as the signature, so the signature covers it and validators
see no change after signing. A `Sealer` is built once per key: the certificate objects, the
signature mechanism and the space to reserve are computed once, not per document.
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from sealhub.esign.imaging.seals import SealImage
from sealhub.esign.keys.port import SigningKey
from sealhub.esign.pdf.errors import SealingFailed
from sealhub.esign.pdf.images import EncodedImage, ImageContent, encoded_png
from sealhub.esign.pdf.placement import (
    MM,
    AtKeyword,
    Placement,
    Straddle,
    find_keyword,
)
from sealhub.esign.pdf.signer import KeySigner, asn1_cert

QR_SIZE_MM = 14.0
_REVOCATION_ERRORS = {
    "PathValidationError",
    "PathBuildingError",
    "InsufficientRevinfoError",
    "RevokedError",
}
QR_MARGIN_MM = 6.0


class Level(StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@dataclass(frozen=True)
class PageBox:
    x0: float
    y0: float
    x1: float
    y1: float


def _page_box(page: generic.DictionaryObject) -> PageBox:
    node: Any = page
    for _ in range(64):  # /MediaBox may be inherited from the page tree
        for key in ("/CropBox", "/MediaBox"):
            if key in node:
                x0, y0, x1, y1 = (float(v) for v in node[key])
                return PageBox(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if "/Parent" not in node:
            break
        node = node["/Parent"]
    return PageBox(0, 0, 595.28, 841.89)


@functools.lru_cache(maxsize=32)
def _slices(png: bytes, n: int) -> list[EncodedImage]:
    """The image cut into n vertical slices, left to right (cached: same seal, same count)."""
    with Image.open(io.BytesIO(png)) as src:
        img = src.convert("RGBA")
    cuts = [round(k * img.width / n) for k in range(n + 1)]
    return [
        EncodedImage(img.crop((cuts[k], 0, max(cuts[k + 1], cuts[k] + 1), img.height)))
        for k in range(n)
    ]


def _qr_image(url: str) -> Image.Image:
    import qrcode

    qr = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4)
    qr.add_data(url)
    qr.make(fit=True)
    img: Image.Image = qr.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("L")


class Sealer:
    """One key + certificate (+ chain, TSA, revocation sources), ready to seal many PDFs."""

    def __init__(
        self,
        key: SigningKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        *,
        timestamper: TimeStamper | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        crls: Sequence[bytes] = (),
        ocsps: Sequence[bytes] = (),
        allow_fetching: bool = False,
    ) -> None:
        self.signer = KeySigner(key, cert, chain)
        self.timestamper = timestamper
        self._trust_roots = [asn1_cert(c) for c in trust_roots] or [
            asn1_cert(c) for c in chain if c.subject == c.issuer
        ]
        self._other_certs = [asn1_cert(c) for c in chain]
        self._crls = [asn1_crl.CertificateList.load(c) for c in crls]
        self._ocsps = [asn1_ocsp.OCSPResponse.load(o) for o in ocsps]
        self._allow_fetching = allow_fetching
        self._ts_reserve: int | None = None

    def validation_context(self) -> ValidationContext:
        """What B-LT/B-LTA embed: the chain to the trust roots and its revocation data."""
        return ValidationContext(
            trust_roots=self._trust_roots,
            other_certs=self._other_certs,
            crls=self._crls,
            ocsps=self._ocsps,
            allow_fetching=self._allow_fetching,
            # requests-based fetching: nothing (no aiohttp session) is left open afterwards
            fetcher_backend=RequestsFetcherBackend() if self._allow_fetching else None,
            # every certificate that names a CRL/OCSP source must check out (a revoked or
            # unreachable status fails); the CA certificates carry no pointers
            revocation_mode="hard-fail",
        )

    async def _reserve(self, level: Level) -> int:
        # CMS = certificates + signature + signed attributes/structure (~1.5 kB), plus the
        # timestamp token from B-T up (its size measured once from the TSA's dummy reply)
        size = self.signer.certs_size + self.signer.signature_size + 3072
        if level is not Level.B_B and self.timestamper is not None:
            if self._ts_reserve is None:
                dummy = await self.timestamper.async_dummy_response(self.signer.digest)
                self._ts_reserve = len(dummy.dump()) + 1024
            size += self._ts_reserve
        return 2 * size  # pyHanko counts the reservation in hex digits

    def seal(self, data: bytes, **kwargs: Any) -> bytes:
        """`async_seal` for synchronous callers (not from inside a running event loop)."""
        return asyncio.run(self.async_seal(data, **kwargs))

    async def async_seal(
        self,
        data: bytes,
        *,
        image: SealImage | None = None,
        placements: Sequence[Placement] = (),
        level: Level = Level.B_B,
        qr_url: str | None = None,
        field_name: str | None = None,
        reason: str | None = None,
        location: str | None = None,
    ) -> bytes:
        """The sealed PDF: one new signature (and its drawings) as one incremental update."""
        if level is not Level.B_B and self.timestamper is None:
            raise SealingFailed(reason="no_timestamper")
        if placements and image is None:
            raise SealingFailed(reason="no_image")
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        except (PdfReadError, ValueError, KeyError, TypeError) as exc:
            raise SealingFailed(reason="unreadable") from exc
        if writer.prev.encrypted:
            raise SealingFailed(reason="encrypted")
        page_count = int(writer.root["/Pages"]["/Count"])
        existing = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
        if field_name is None:
            n = len(existing) + 1
            while f"Seal{n}" in existing:
                n += 1
            field_name = f"Seal{n}"

        encoded = encoded_png(image.png) if image is not None else None
        w_pt = image.width_mm * MM if image is not None else 0.0
        h_pt = image.height_mm * MM if image is not None else 0.0
        widget: tuple[int, tuple[float, float]] | None = None  # page index, centre
        drawn: list[tuple[int, tuple[float, float]]] = []
        straddles: list[Straddle] = []
        sealed_pages: set[int] = set()
        for placement in placements:
            if isinstance(placement, Straddle):
                straddles.append(placement)
                continue
            if isinstance(placement, AtKeyword):
                hits = find_keyword(data, placement.keyword)
                if len(hits) < placement.occurrence:
                    raise SealingFailed(reason="keyword")
                hit = hits[placement.occurrence - 1]
                spot = (hit.page - 1, (hit.x + placement.dx, hit.y + placement.dy))
            else:
                if not 1 <= placement.page <= page_count:
                    raise SealingFailed(reason="page")
                spot = (placement.page - 1, (placement.x, placement.y))
            if widget is None:
                widget = spot
            else:
                drawn.append(spot)
            sealed_pages.add(spot[0])

        if image is not None and encoded is not None and (drawn or straddles):
            image_ref = encoded.xobject(writer)
            for page_ix, (cx, cy) in drawn:
                self._draw(writer, page_ix, image_ref, cx - w_pt / 2, cy - h_pt / 2, w_pt, h_pt)
            for straddle in straddles:
                sealed_pages |= self._straddle(writer, straddle, image.png, w_pt, h_pt, page_count)
        if qr_url:
            qr_ref = pil_image(_qr_image(qr_url), writer)
            for page_ix in sorted(sealed_pages) or [0]:
                self._qr(writer, page_ix, qr_ref)

        spec = fields.SigFieldSpec(sig_field_name=field_name)
        style = None
        if widget is not None and encoded is not None:
            page_ix, (cx, cy) = widget
            box = (cx - w_pt / 2, cy - h_pt / 2, cx + w_pt / 2, cy + h_pt / 2)
            spec = fields.SigFieldSpec(
                sig_field_name=field_name,
                on_page=page_ix,
                box=tuple(round(v, 2) for v in box),  # type: ignore[arg-type]
            )
            style = StaticStampStyle(background=ImageContent(encoded), border_width=0)
        lt = level in (Level.B_LT, Level.B_LTA)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=self.signer.digest,
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=lt,
            use_pades_lta=level is Level.B_LTA,
            validation_context=self.validation_context() if lt else None,
            reason=reason,
            location=location,
            signer_key_usage={"non_repudiation"},
            # B-LT in one revision: the DSS is written with the signature, so the signature
            # covers the whole file (validators that ignore incremental updates agree)
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                include_vri=False,
            ),
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self.signer,
            timestamper=self.timestamper if level is not Level.B_B else None,
            stamp_style=style,
            new_field_spec=spec,
        )
        out = io.BytesIO()
        try:
            await pdf_signer.async_sign_pdf(
                writer, output=out, bytes_reserved=await self._reserve(level)
            )
        except Exception as exc:
            if lt and type(exc).__name__ in {
                "ValidationError",
                "PathValidationError",
                "InsufficientRevinfoError",
                "SigningError",
            }:
                raise SealingFailed(reason="revocation", detail=str(exc)) from exc
            raise
        return out.getvalue()

    @staticmethod
    def _draw(
        writer: IncrementalPdfFileWriter,
        page_ix: int,
        xobject: generic.IndirectObject,
        x: float,
        y: float,
        w: float,
        h: float,
        name: str = "/ShSeal",
    ) -> None:
        ops = f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm {name} Do Q".encode()
        stream = writer.add_object(generic.StreamObject(stream_data=b"\n" + ops + b"\n"))
        resources = generic.DictionaryObject(
            {pdf_name("/XObject"): generic.DictionaryObject({pdf_name(name): xobject})}
        )
        writer.add_stream_to_page(page_ix, stream, resources=resources)

    def _straddle(
        self,
        writer: IncrementalPdfFileWriter,
        straddle: Straddle,
        png: bytes,
        w_pt: float,
        h_pt: float,
        page_count: int,
    ) -> set[int]:
        pages = [p - 1 for p in straddle.pages] if straddle.pages else list(range(page_count))
        if len(pages) < 2:
            raise SealingFailed(reason="straddle_pages")
        if any(not 0 <= p < page_count for p in pages):
            raise SealingFailed(reason="page")
        n = len(pages)
        slice_pt = w_pt / n
        for page_ix, piece in zip(pages, _slices(png, n), strict=True):
            ref = piece.xobject(writer)
            page_ref, _ = writer.find_page_for_modification(page_ix)
            box = _page_box(page_ref.get_object())
            cy = straddle.y if straddle.y is not None else (box.y0 + box.y1) / 2
            x = box.x1 - slice_pt if straddle.edge == "right" else box.x0
            self._draw(writer, page_ix, ref, x, cy - h_pt / 2, slice_pt, h_pt, "/ShStraddle")
        return set(pages)

    def _qr(
        self, writer: IncrementalPdfFileWriter, page_ix: int, qr_ref: generic.IndirectObject
    ) -> None:
        page_ref, _ = writer.find_page_for_modification(page_ix)
        box = _page_box(page_ref.get_object())
        size, margin = QR_SIZE_MM * MM, QR_MARGIN_MM * MM
        self._draw(writer, page_ix, qr_ref, box.x0 + margin, box.y0 + margin, size, size, "/ShQR")
