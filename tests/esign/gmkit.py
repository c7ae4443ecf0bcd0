"""A small SM2 PKI and seals for the esign.gm/ses/ofd tests (built once per process)."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

from sealhub.esign.gm import certs, sm2
from sealhub.esign.ses import seal as ses

_REPO = Path(__file__).resolve().parents[2]
# the repo's parent's shared/corpus (a worktree under wt/ looks one level higher)
CORPUS = next(
    (
        p / "shared" / "corpus"
        for p in (_REPO.parent, _REPO.parent.parent)
        if (p / "shared" / "corpus").is_dir()
    ),
    _REPO.parent / "shared" / "corpus",
)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2036, 1, 1, tzinfo=UTC)
AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Kit:
    root_key: sm2.Sm2PrivateKey
    root: certs.Sm2Certificate
    maker_key: sm2.Sm2PrivateKey
    maker: certs.Sm2Certificate
    signer_key: sm2.Sm2PrivateKey
    signer: certs.Sm2Certificate


def seal_png() -> bytes:
    img = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 156, 156), outline=(220, 0, 0, 255), width=8)
    draw.polygon(
        [
            (80, 40),
            (92, 75),
            (128, 75),
            (98, 96),
            (110, 130),
            (80, 110),
            (50, 130),
            (62, 96),
            (32, 75),
            (68, 75),
        ],
        fill=(220, 0, 0, 255),
    )
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@functools.cache
def kit() -> Kit:
    root_key = sm2.Sm2PrivateKey.generate()
    root_name = certs.name("SealHub Test SM2 Root", "测试单位")
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
    maker_key = sm2.Sm2PrivateKey.generate()
    maker = certs.issue(
        root_key,
        root,
        certs.name("制章者", "测试单位"),
        maker_key.public_key(),
        serial=2,
        not_before=START,
        not_after=END,
    )
    signer_key = sm2.Sm2PrivateKey.generate()
    signer = certs.issue(
        root_key,
        root,
        certs.name("测试单位合同专用章", "测试单位", "91330000000000000X"),
        signer_key.public_key(),
        serial=3,
        not_before=START,
        not_after=END,
    )
    return Kit(root_key, root, maker_key, maker, signer_key, signer)


@functools.cache
def make_seal(version: int = 4) -> ses.Seal:
    k = kit()
    return ses.build_seal(
        version=version,
        vid="SealHub",
        es_id=f"SH-TEST-{version}",
        seal_type=1,
        name="测试单位合同专用章",
        signer_certs=[k.signer.der],
        created=START,
        valid_start=START,
        valid_end=END,
        picture=ses.Picture("PNG", seal_png(), 40, 40),
        maker_key=k.maker_key,
        maker_cert=k.maker.der,
    )
