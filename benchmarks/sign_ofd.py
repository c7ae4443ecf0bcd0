"""SM2 / SES / OFD sealing throughput: one command, prints a table.

    .venv/bin/python benchmarks/sign_ofd.py [--seconds 0.5] [--rounds 5]

Rows: SM2 raw signs/s (Tongsuo), SM2 verifies/s, SES signatures/s (a GB/T 38540 v4 seal
signing a digest), OFD seals/s on a 1-page and a 20-page OFD (read, References over every
part, Signature.xml, SES signature, zip written) and OFD verifications/s; each with its
ratio to raw SM2 signs/s. Median of `--rounds` timed rounds.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sealhub.esign.gm import certs, sm2
from sealhub.esign.ofd.sign import Placement, seal_ofd
from sealhub.esign.ofd.verify import verify_ofd
from sealhub.esign.ses import seal as ses

NS = "http://www.ofdspec.org/2016"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2036, 1, 1, tzinfo=UTC)


def make_ofd(pages: int) -> bytes:
    """A plain A4 OFD with a few lines of text per page."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" DocType="OFD" '
            'Version="1.1"><ofd:DocBody><ofd:DocInfo><ofd:DocID>bench</ofd:DocID></ofd:DocInfo>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages)
        )
        z.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}">'
            "<ofd:CommonData><ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            f"<ofd:MaxUnitID>{pages * 50 + 10}</ofd:MaxUnitID></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        z.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
            '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        for i in range(pages):
            lines = "".join(
                f'<ofd:TextObject ID="{i * 50 + j + 11}" Boundary="20 {20 + j * 8} 170 6" '
                f'Font="3" Size="4"><ofd:TextCode X="0" Y="4">第 {i + 1} 页 第 {j + 1} 行：'
                "甲方（盖章）合同条款示例文本</ofd:TextCode></ofd:TextObject>"
                for j in range(30)
            )
            z.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
                f'<ofd:Layer ID="{i * 50 + 10}">{lines}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return out.getvalue()


def rate(fn: Callable[[], object], seconds: float, rounds: int) -> float:
    """Median operations per second over `rounds` rounds of about `seconds` each."""
    fn()
    results = []
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            fn()
            n += 1
        results.append(n / (time.perf_counter() - t0))
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    root_key = sm2.Sm2PrivateKey.generate()
    root_name = certs.name("Bench SM2 Root")
    root = certs.issue(
        root_key,
        root_name,
        root_name,
        root_key.public_key(),
        serial=1,
        not_before=START,
        not_after=END,
        ca=True,
    )
    signer_key = sm2.Sm2PrivateKey.generate()
    signer = certs.issue(
        root_key,
        root,
        certs.name("Bench seal"),
        signer_key.public_key(),
        serial=2,
        not_before=START,
        not_after=END,
    )
    seal = ses.build_seal(
        version=4,
        vid="bench",
        es_id="bench-1",
        seal_type=1,
        name="基准测试专用章",
        signer_certs=[signer.der],
        created=START,
        valid_start=START,
        valid_end=END,
        picture=ses.Picture("PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 4000, 40, 40),
        maker_key=root_key,
        maker_cert=root.der,
    )
    at = datetime(2026, 11, 29, tzinfo=UTC)
    one, twenty = make_ofd(1), make_ofd(20)
    sealed20 = seal_ofd(twenty, seal, signer_key, signer.der, at=at)
    message = b"x" * 1024
    signature = signer_key.sign(message)
    public = signer_key.public_key()
    digest = sm2.sm3(message)

    rows: list[tuple[str, float]] = []
    raw = rate(lambda: signer_key.sign(message), args.seconds, args.rounds)
    rows.append(("SM2 raw sign (1 KiB, Tongsuo)", raw))
    rows.append(
        ("SM2 verify", rate(lambda: public.verify(signature, message), args.seconds, args.rounds))
    )
    rows.append(
        (
            "SES_Signature v4 (sign a digest)",
            rate(
                lambda: ses.sign_digest(seal, signer_key, signer.der, digest, at=at),
                args.seconds,
                args.rounds,
            ),
        )
    )
    rows.append(
        (
            "OFD seal, 1 page",
            rate(
                lambda: seal_ofd(one, seal, signer_key, signer.der, at=at),
                args.seconds,
                args.rounds,
            ),
        )
    )
    rows.append(
        (
            "OFD seal, 20 pages",
            rate(
                lambda: seal_ofd(twenty, seal, signer_key, signer.der, at=at),
                args.seconds,
                args.rounds,
            ),
        )
    )
    rows.append(
        (
            "OFD straddle seal, 20 pages",
            rate(
                lambda: seal_ofd(
                    twenty, seal, signer_key, signer.der, at=at, where=Placement(straddle=True)
                ),
                args.seconds,
                args.rounds,
            ),
        )
    )
    rows.append(
        ("OFD verify, 20 pages", rate(lambda: verify_ofd(sealed20), args.seconds, args.rounds))
    )

    print(f"{'operation':<34} {'ops/s':>10} {'÷ raw sign':>11}")
    print("-" * 57)
    for label, value in rows:
        print(f"{label:<34} {value:>10.1f} {value / raw:>11.3f}")
    print(
        f"\n1-page OFD {len(one)} B, 20-page OFD {len(twenty)} B; median of {args.rounds} "
        f"rounds of {args.seconds} s"
    )


if __name__ == "__main__":
    main()
