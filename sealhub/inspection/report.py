"""The inspection report of an application as a PDF (Chinese and English, CJK font)."""

from __future__ import annotations

import io

from sealhub.inspection.samples.contracts import _font
from sealhub.inspection.schemas import VERDICT_LABELS, ReportOut


def render_pdf(report: ReportOut) -> bytes:
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(595.0, 842.0), invariant=True)
    y = 790.0

    def line(text: str, size: float = 10.5, gap: float = 17.0) -> None:
        nonlocal y
        if y < 60:
            pdf.showPage()
            y = 790.0
        pdf.setFont(font, size)
        pdf.drawString(50, y, text[:95])
        y -= gap

    line("盖章页检查报告 / Inspection report", 16, 26)
    line(f"申请 / Application: {report.number}  {report.name}")
    line(f"生成时间 / Generated: {report.generated_at:%Y-%m-%d %H:%M:%S} UTC")
    line(f"精度 / Precision: {report.precision}    异常 / Anomalies: {report.anomalies}")
    line("")
    for n, r in enumerate(report.results, start=1):
        zh, en, _ = VERDICT_LABELS[r.verdict] if r.verdict else ("待检查", "Pending", "")
        page = "-" if r.page is None else str(r.page)
        sim = "-" if r.similarity is None else f"{r.similarity:.3f}"
        line(f"{n}. 照片 {r.photo_id}  第 {page} 页  {zh} / {en}  相似度 {sim}", 10.5)
        for d in r.details.get("differences", [])[:12]:
            line(f"     {d['kind']}: “{d['original']}” → “{d['photo']}”", 9.5, 14)
        for p in r.details.get("problems", []):
            line(f"     problem: {p}", 9.5, 14)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
