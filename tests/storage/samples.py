"""Sample files made the way real tools make them."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter
from reportlab.pdfgen import canvas


def reportlab_pdf(pages: int, text: str = "SealHub") -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for n in range(pages):
        pdf.drawString(72, 720, f"{text} page {n + 1}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def pypdf_pdf(pages: int, *, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner-secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def image(fmt: str = "PNG", size: tuple[int, int] = (64, 32), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buf, format=fmt)
    return buf.getvalue()
