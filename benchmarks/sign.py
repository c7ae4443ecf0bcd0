"""PDF sealing and verification beside bare pyHanko, on the same files in the same run.

    .venv/bin/python benchmarks/sign.py [--reps 7] [--quick]

Variants, run alternately (ours, pyHanko tuned, pyHanko default, ours, ...), median of
--reps (>= 5) seals each:

- ours:     sealhub.esign.pdf.seal.Sealer (signer set up once, space reserved up front);
- tuned:    pyHanko PdfSigner + a SimpleSigner that keeps its parsed key object, with
            bytes_reserved given (no dry-run signature);
- default:  pyHanko PdfSigner + SimpleSigner as documented (key re-parsed per signature,
            size estimated by a dry run).

Every variant draws the same visible seal PNG (40 mm, 300 DPI) at the same place.
Rows: PAdES B-B RSA-2048 / P-256 on 1 and 50 pages, ML-DSA-65 (SHA-512), B-T with a local
RFC 3161 TSA on loopback (same TSA for pyHanko), verification (ours vs pyHanko's validator),
SoftHSM2 vs file key, and raw signatures/s per algorithm with seals/s ÷ raw. Prints a table;
exit 0 whatever the numbers (it reports, it does not gate).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from asn1crypto import keys as asn1_keys  # noqa: E402
from PIL import Image  # noqa: E402
from pyhanko.pdf_utils.images import PdfImage  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: E402
from pyhanko.sign.validation import async_validate_pdf_signature  # noqa: E402
from pyhanko.stamp import StaticStampStyle  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402

from sealhub.esign import imaging  # noqa: E402
from sealhub.esign.keys import FileKey, KeyAlgorithm, SigningKey  # noqa: E402
from sealhub.esign.loopback import PkiServer  # noqa: E402
from sealhub.esign.pdf.placement import MM, AtPosition  # noqa: E402
from sealhub.esign.pdf.seal import Level, Sealer  # noqa: E402
from sealhub.esign.pdf.signer import asn1_cert  # noqa: E402
from sealhub.esign.pdf.verify import verify_pdf  # noqa: E402
from sealhub.esign.pki import create_ca, issue_seal_certificate, issue_tsa_certificate  # noqa: E402
from sealhub.esign.tsa import TimestampAuthority, url_timestamper  # noqa: E402
from sealhub.esign.verification import VerifyOptions  # noqa: E402

ORG, CODE = "上海示例科技有限公司", "91310115MA1K4XXXX1"
SPOT = AtPosition(1, 300, 300)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(pages):
        c.setFont("Helvetica", 11)
        for i in range(40):
            c.drawString(
                60, 780 - 18 * i, f"Page {n + 1} line {i + 1}: contract clause text, sample words."
            )
        c.showPage()
    c.save()
    return buf.getvalue()


class CachedKeySigner(signers.SimpleSigner):
    """pyHanko tuned: the parsed key object kept instead of re-parsed per signature."""

    def __init__(self, key: FileKey, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self._key.sign(data, digest_algorithm)


def pyhanko_signer(key: FileKey, cert, chain, *, tuned: bool) -> signers.SimpleSigner:  # type: ignore[no-untyped-def]
    pk = asn1_keys.PrivateKeyInfo.load(key.pkcs8_der())
    registry = SimpleCertificateStore.from_certs([asn1_cert(c) for c in chain])
    if tuned:
        return CachedKeySigner(key, asn1_cert(cert), pk, registry)
    return signers.SimpleSigner(asn1_cert(cert), pk, registry)


def pyhanko_seal(
    data: bytes,
    signer: signers.SimpleSigner,
    pil: Image.Image,
    w: float,
    h: float,
    digest: str,
    *,
    reserve: int | None,
    timestamper=None,
) -> bytes:  # type: ignore[no-untyped-def]
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    box = (SPOT.x - w / 2, SPOT.y - h / 2, SPOT.x + w / 2, SPOT.y + h / 2)
    meta = signers.PdfSignatureMetadata(
        field_name="Seal1", md_algorithm=digest, subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        stamp_style=StaticStampStyle(background=PdfImage(pil), border_width=0),
        new_field_spec=fields.SigFieldSpec("Seal1", on_page=0, box=tuple(round(v, 2) for v in box)),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out, bytes_reserved=reserve)
    return out.getvalue()


def alternate(variants: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """Median seconds per call of each variant, run in turns."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():  # warm-up
        fn()
    for _ in range(reps):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def raw_rate(key: SigningKey, seconds: float = 0.5) -> float:
    data = b"x" * 200
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        key.sign(data)
        n += 1
    return n / (time.perf_counter() - t0)


def softhsm_token(tmp: Path) -> tuple[str, str, str] | None:
    module = "/usr/lib/softhsm/libsofthsm2.so"
    if not Path(module).exists() or shutil.which("softhsm2-util") is None:
        return None
    (tmp / "tokens").mkdir()
    conf = tmp / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--so-pin",
            "1111",
            "--pin",
            "2222",
        ],
        check=True,
        capture_output=True,
    )
    return module, "bench", "2222"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="skip the 50-page rows")
    args = parser.parse_args()
    reps = max(5, args.reps)

    server = PkiServer(now).start()
    ca = create_ca(ORG, CODE, now=now(), endpoints=server.endpoints)
    server.ca = ca
    tsa_key = FileKey.generate(KeyAlgorithm.EC_P256)
    server.tsa = TimestampAuthority(
        issue_tsa_certificate(ca, tsa_key, name="Bench TSA", now=now()),
        tsa_key,
        chain=ca.chain,
        clock=now,
    )
    seal = imaging.round_seal(ORG, "合同专用章", diameter_mm=40, dpi=300)
    pil = Image.open(io.BytesIO(seal.png)).convert("RGBA")
    w, h = seal.width_mm * MM, seal.height_mm * MM
    docs = {1: make_pdf(1)} | ({} if args.quick else {50: make_pdf(50)})
    rows: list[tuple[str, str, str, str, str]] = []
    raw: dict[str, float] = {}
    keys: dict[KeyAlgorithm, tuple[FileKey, object]] = {}
    for algorithm in (KeyAlgorithm.RSA_2048, KeyAlgorithm.EC_P256, KeyAlgorithm.ML_DSA_65):
        key = FileKey.generate(algorithm)
        cert = issue_seal_certificate(
            ca, key, seal_name="合同专用章", org_name=ORG, credit_code=CODE, now=now()
        )
        keys[algorithm] = (key, cert)
        raw[algorithm.value] = raw_rate(key)

    def fmt(sec: float) -> str:
        return f"{1 / sec:7.1f}/s"

    for algorithm, (key, cert) in keys.items():
        sealer = Sealer(key, cert, ca.chain)  # type: ignore[arg-type]
        digest = sealer.signer.digest
        reserve = asyncio.run(sealer._reserve(Level.B_B))
        tuned = pyhanko_signer(key, cert, ca.chain, tuned=True)
        default = pyhanko_signer(key, cert, ca.chain, tuned=False)
        for pages, data in docs.items():
            if algorithm is KeyAlgorithm.ML_DSA_65 and pages != 1:
                continue
            med = alternate(
                {
                    "ours": lambda d=data, s=sealer: s.seal(d, image=seal, placements=[SPOT]),
                    "tuned": lambda d=data, t=tuned, g=digest, r=reserve: pyhanko_seal(
                        d, t, pil, w, h, g, reserve=r
                    ),
                    "default": lambda d=data, t=default, g=digest: pyhanko_seal(
                        d, t, pil, w, h, g, reserve=None
                    ),
                },
                reps,
            )
            rows.append(
                (
                    f"B-B {algorithm.value} {pages}p",
                    fmt(med["ours"]),
                    fmt(med["tuned"]),
                    fmt(med["default"]),
                    f"{med['tuned'] / med['ours']:.2f}x tuned, "
                    f"{med['default'] / med['ours']:.2f}x default, "
                    f"seals/raw {(1 / med['ours']) / raw[algorithm.value]:.4f}",
                )
            )

    # B-T, same TSA on loopback for both
    key, cert = keys[KeyAlgorithm.EC_P256]
    sealer_t = Sealer(key, cert, ca.chain, timestamper=url_timestamper(server.tsa_url))  # type: ignore[arg-type]
    reserve_t = asyncio.run(sealer_t._reserve(Level.B_T))
    tuned = pyhanko_signer(key, cert, ca.chain, tuned=True)
    ph_ts = HTTPTimeStamper(server.tsa_url)
    med = alternate(
        {
            "ours": lambda: sealer_t.seal(docs[1], image=seal, placements=[SPOT], level=Level.B_T),
            "tuned": lambda: pyhanko_seal(
                docs[1], tuned, pil, w, h, "sha256", reserve=reserve_t, timestamper=ph_ts
            ),
        },
        reps,
    )
    rows.append(
        (
            "B-T ec_p256 1p, TSA loopback",
            fmt(med["ours"]),
            fmt(med["tuned"]),
            "-",
            f"{med['tuned'] / med['ours']:.2f}x tuned",
        )
    )

    # verification of the same sealed file: ours vs pyHanko's validator with the same roots
    sealed = Sealer(key, cert, ca.chain).seal(docs[1], image=seal, placements=[SPOT])  # type: ignore[arg-type]
    options = VerifyOptions(trust_roots=[ca.root_cert])

    def pyhanko_validate() -> None:
        reader = PdfFileReader(io.BytesIO(sealed))
        vc = ValidationContext(trust_roots=[asn1_cert(ca.root_cert)])
        status = asyncio.run(async_validate_pdf_signature(reader.embedded_signatures[0], vc))
        assert status.bottom_line

    def ours_validate() -> None:
        assert asyncio.run(verify_pdf(sealed, options)).ok

    med = alternate({"ours": ours_validate, "tuned": pyhanko_validate}, reps * 3)
    rows.append(
        (
            "verify ec_p256 1p",
            fmt(med["ours"]),
            fmt(med["tuned"]),
            "-",
            f"{med['tuned'] / med['ours']:.2f}x pyHanko validator",
        )
    )

    # SoftHSM2 vs file key, same algorithm and document
    with tempfile.TemporaryDirectory() as tmp:
        token = softhsm_token(Path(tmp))
        if token is None:
            rows.append(("softhsm2", "-", "-", "-", "skipped: softhsm2 not installed"))
        else:
            from sealhub.esign.keys.hsm import Pkcs11Token

            tok = Pkcs11Token(*token)
            for algorithm in (KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048):
                hkey = tok.generate(algorithm, f"bench-{algorithm}")
                hcert = issue_seal_certificate(
                    ca, hkey, seal_name="HSM", org_name=ORG, credit_code=CODE, now=now()
                )
                fkey, fcert = keys[algorithm]
                hs, fs = Sealer(hkey, hcert, ca.chain), Sealer(fkey, fcert, ca.chain)  # type: ignore[arg-type]
                raw[f"{algorithm.value} (softhsm2)"] = raw_rate(hkey)
                med = alternate(
                    {
                        "ours": lambda s=hs: s.seal(docs[1], image=seal, placements=[SPOT]),
                        "tuned": lambda s=fs: s.seal(docs[1], image=seal, placements=[SPOT]),
                    },
                    reps,
                )
                rows.append(
                    (
                        f"softhsm2 {algorithm.value} 1p",
                        fmt(med["ours"]),
                        f"{fmt(med['tuned'])} file",
                        "-",
                        f"{med['tuned'] / med['ours']:.2f}x file key",
                    )
                )
    server.stop()

    print(
        f"\nPDF sealing, median of {reps} (alternating), {os.cpu_count()} cores, "
        "pyHanko tuned/default beside"
    )
    print(f"{'scenario':<32} {'ours':>10} {'pyHanko tuned':>16} {'pyHanko dflt':>12}  ratio")
    for name, ours, tuned_s, dflt, ratio in rows:
        print(f"{name:<32} {ours:>10} {tuned_s:>16} {dflt:>12}  {ratio}")
    print("\nraw signatures/s (200-byte message):")
    for name, rate in raw.items():
        print(f"  {name:<24} {rate:9.0f}/s")


if __name__ == "__main__":
    main()
