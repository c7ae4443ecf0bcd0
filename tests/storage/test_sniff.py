"""Upload sniffing: the content decides, and anything doubtful is refused with a specific code."""

from __future__ import annotations

import pytest
from PIL import Image

from sealhub.platform.errors import CATALOGUE, PayloadTooLarge, UnsupportedFile
from sealhub.storage import sniff as sniff_mod
from sealhub.storage.errors import (
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    ImageTooLarge,
    NotImage,
    NotPdf,
    TypeNotAllowed,
    UnknownType,
)
from sealhub.storage.sniff import check_size, clean_filename, sniff

from .samples import image, pypdf_pdf, reportlab_pdf

BOTH = {"pdf", "image"}


@pytest.mark.parametrize("pages", [1, 3, 12])
def test_reportlab_pdf_pages_counted(pages: int) -> None:
    result = sniff(reportlab_pdf(pages), "合同.pdf", allowed=BOTH)
    assert (result.kind, result.content_type, result.pages) == ("pdf", "application/pdf", pages)


def test_pypdf_pdf_pages_counted() -> None:
    assert sniff(pypdf_pdf(5), "blank.PDF", allowed={"pdf"}).pages == 5


def test_pdf_name_does_not_matter() -> None:
    # A PDF named .bin or with no extension is still a PDF: the bytes decide.
    assert sniff(reportlab_pdf(2), "upload", allowed=BOTH).pages == 2


@pytest.mark.parametrize(
    "data",
    [b"hello, I am text", image("PNG"), b"PK\x03\x04 docx in disguise", b" %PDF-1.7 late header"],
    ids=["text", "png", "zip", "late-header"],
)
def test_file_named_pdf_that_is_not_pdf(data: bytes) -> None:
    with pytest.raises(NotPdf) as err:
        sniff(data, "contract.pdf", allowed=BOTH)
    assert err.value.code == "upload.not_pdf"
    assert isinstance(err.value, UnsupportedFile)
    assert "contract.pdf" in str(err.value)


@pytest.mark.parametrize("user_password", ["secret", ""], ids=["user-password", "owner-only"])
def test_encrypted_pdf_rejected(user_password: str) -> None:
    with pytest.raises(EncryptedPdf) as err:
        sniff(pypdf_pdf(2, password=user_password), "locked.pdf", allowed=BOTH)
    assert err.value.code == "upload.encrypted_pdf"


def _zero_middle(data: bytes) -> bytes:
    mid = len(data) // 2
    return data[:mid] + b"\0" * 64 + data[mid + 64 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[: len(d) // 2],
        lambda d: d[:-40],
        lambda d: d[:20],
        lambda d: b"%PDF-1.4\n" + b"x" * 500 + b"\n%%EOF\n",
        _zero_middle,
    ],
    ids=["half", "tail-cut", "header-only", "garbage", "zeroed-middle"],
)
def test_corrupt_pdf_rejected(damage) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CorruptPdf) as err:
        sniff(damage(reportlab_pdf(3)), "broken.pdf", allowed=BOTH)
    assert err.value.code == "upload.corrupt_pdf"


@pytest.mark.parametrize(
    ("fmt", "content_type", "name"),
    [
        ("PNG", "image/png", "seal.png"),
        ("JPEG", "image/jpeg", "photo.jpg"),
        ("WEBP", "image/webp", "x.webp"),
    ],
)
def test_images(fmt: str, content_type: str, name: str) -> None:
    result = sniff(image(fmt, (120, 80)), name, allowed=BOTH)
    assert (result.kind, result.content_type) == ("image", content_type)
    assert (result.width, result.height, result.pages) == (120, 80, None)


def test_transparent_png() -> None:
    assert (
        sniff(image("PNG", mode="RGBA"), "stamp.png", allowed={"image"}).content_type == "image/png"
    )


def test_jpeg_named_png_is_still_an_image() -> None:
    # Common mislabelling between image formats is harmless; the detected type is stored.
    assert sniff(image("JPEG"), "seal.png", allowed=BOTH).content_type == "image/jpeg"


@pytest.mark.parametrize("name", ["seal.png", "photo.JPG", "a.webp"])
def test_file_named_image_that_is_not_image(name: str) -> None:
    with pytest.raises(NotImage) as err:
        sniff(reportlab_pdf(1), name, allowed=BOTH)
    assert err.value.code == "upload.not_image"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_image_rejected(fmt: str) -> None:
    data = image(fmt, (300, 300), mode="RGB")
    with pytest.raises(NotImage):
        sniff(data[: len(data) * 2 // 3], "cut.img", allowed=BOTH)


def test_gif_is_not_accepted() -> None:
    with pytest.raises(UnknownType):
        sniff(image("GIF"), "anim.gif", allowed=BOTH)


def test_too_many_pixels_rejected() -> None:
    huge = image("PNG", (8000, 7000), mode="1")  # 56 MP compresses to a few KB
    with pytest.raises(ImageTooLarge) as err:
        sniff(huge, "bomb.png", allowed=BOTH)
    assert err.value.code == "upload.image_too_large"


@pytest.mark.parametrize("pixels", [2000, 1000], ids=["bomb-warning", "bomb-error"])
def test_pillow_decompression_bomb_guard(monkeypatch: pytest.MonkeyPatch, pixels: int) -> None:
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: both are refused.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pixels)
    with pytest.raises(ImageTooLarge):
        sniff(image("PNG", (60, 40)), "x.png", allowed=BOTH)


def test_kind_not_allowed() -> None:
    with pytest.raises(TypeNotAllowed) as err:
        sniff(reportlab_pdf(1), "doc.pdf", allowed={"image"})
    assert err.value.params == {"kind": "pdf"}
    assert "pdf" in err.value.title("en")
    with pytest.raises(TypeNotAllowed):
        sniff(image("PNG"), "logo.png", allowed={"pdf"})


def test_unknown_and_empty() -> None:
    with pytest.raises(UnknownType):
        sniff(b"just some text", "notes.txt", allowed=BOTH)
    with pytest.raises(EmptyFile):
        sniff(b"", "empty.pdf", allowed=BOTH)


def test_check_size() -> None:
    check_size(100, 100)
    with pytest.raises(PayloadTooLarge) as err:
        check_size(101, 100)
    assert err.value.code == "upload.too_large"
    assert "100" in err.value.title("en") and "100" in err.value.title("zh-CN")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\合同.pdf", "合同.pdf"),
        ("evil\x00name\r\n.pdf", "evilname.pdf"),
        ("", "file"),
        ("  /  ", "file"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_upload_errors_have_codes_and_both_languages() -> None:
    codes = [
        "upload.not_pdf",
        "upload.encrypted_pdf",
        "upload.corrupt_pdf",
        "upload.not_image",
        "upload.type_not_allowed",
        "upload.unknown_type",
        "upload.image_too_large",
        "upload.empty",
        "storage.object_not_found",
        "storage.integrity",
        "storage.data_missing",
        "storage.concurrent_upload",
    ]
    for code in codes:
        cls = CATALOGUE[code]
        assert cls.zh and cls.en and cls.zh != cls.en, code
        assert 400 <= cls.status < 500, code


def test_detect_is_magic_only() -> None:
    assert sniff_mod.detect(b"%PDF-1.7") == "pdf"
    assert sniff_mod.detect(b"RIFF\0\0\0\0WEBPVP8 ") == "image"
    assert sniff_mod.detect(b"RIFF\0\0\0\0AVI ") is None
