"""Test PDFs drawn with reportlab and a real embedded CJK TrueType font."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def _corpus() -> Path:
    """`../shared/corpus` from the repo (/work/main → /work/shared/corpus); a worktree one
    level deeper (/work/wt/<branch>) finds it one more level up."""
    repo = Path(__file__).resolve().parents[2]
    for base in repo.parents:
        if (base / "shared" / "corpus").is_dir():
            return base / "shared" / "corpus"
    return repo.parent / "shared" / "corpus"


CORPUS = _corpus()
# where the contract's keyword is drawn (left x, baseline y, font size)
KEYWORD_AT = (100.0, 200.0, 14.0)


def _font() -> str:
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        if not Path(WQY).exists():
            pytest.skip("fonts-wqy-zenhei not installed")
        pdfmetrics.registerFont(TTFont("WQY", WQY, subfontIndex=0))
    return "WQY"


def contract(pages: int = 2) -> bytes:
    """A contract: text on every page, '甲方（盖章）' on the last one at KEYWORD_AT."""
    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(1, pages + 1):
        c.setFont(font, 16)
        c.drawString(72, 770, f"采购合同 第 {n} 页 / Purchase contract page {n}")
        c.setFont(font, 11)
        for i in range(12):
            c.drawString(
                72, 700 - 18 * i, f"第{i + 1}条 双方约定的条款内容，示例文字。Clause {i + 1}."
            )
        if n == pages:
            x, y, size = KEYWORD_AT
            c.setFont(font, size)
            c.drawString(x, y, "甲方（盖章）")
            c.drawString(x + 260, y, "乙方（盖章）")
        c.showPage()
    c.save()
    return buf.getvalue()


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (Debian: poppler-utils / qpdf / libnss3-tools)")
    return path


def pdfsig(path: Path, nssdir: Path | None = None) -> str:
    """pdfsig's text (it exits 0 for bad signatures too, so callers read the text)."""
    args = [need("pdfsig")]
    if nssdir is not None:
        args += ["-nssdir", f"sql:{nssdir}"]
    r = subprocess.run([*args, str(path)], capture_output=True, text=True, timeout=60, check=False)
    return r.stdout + r.stderr


def qpdf_check(path: Path) -> tuple[int, str]:
    r = subprocess.run(
        [need("qpdf"), "--check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return r.returncode, r.stdout + r.stderr


def nss_db(directory: Path, root_pem: bytes) -> Path:
    """An NSS database trusting the test root, for pdfsig's certificate check."""
    certutil = need("certutil")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [certutil, "-N", "-d", f"sql:{directory}", "--empty-password"],
        check=True,
        capture_output=True,
    )
    (directory / "root.pem").write_bytes(root_pem)
    subprocess.run(
        [
            certutil,
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "sealhub-test-root",
            "-t",
            "CT,C,C",
            "-i",
            str(directory / "root.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return directory
