"""Bad input gets problem details and stores nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from sealhub.app import create_app
from sealhub.storage.models import StoredObject
from tests.builders import login, register_org
from tests.conftest import make_settings
from tests.storage.samples import pypdf_pdf, reportlab_pdf

PROBLEM = "application/problem+json"


async def _objects(app, org_id: str) -> int:
    async with app.state.runtime.db.sessions() as s:
        stmt = (
            select(func.count())
            .select_from(StoredObject)
            .where(StoredObject.org_id == uuid.UUID(org_id))
        )
        return int(await s.scalar(stmt) or 0)


def _blob_files(app) -> int:
    root = Path(app.state.runtime.settings.resolved_storage_url().removeprefix("file://"))
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


async def test_bad_files_are_refused_and_nothing_is_kept(client, app):
    admin = await register_org(client, app)
    blobs_before = _blob_files(app)
    cases = [
        ("合同.pdf", b"this is not a PDF at all", 415),
        ("加密.pdf", pypdf_pdf(2, password="secret"), 415),
        ("损坏.pdf", reportlab_pdf(2)[:400], 415),
        ("空.pdf", b"", 422),
        ("程序.exe", b"MZ\x90\x00" + b"\x00" * 100, 415),
    ]
    codes = []
    for name, data, status in cases:
        r = await admin.call(
            "POST", "/api/v1/documents", files={"file": (name, data, "application/pdf")}
        )
        assert r.status_code == status, (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        body = r.json()
        assert body["code"].startswith("upload.") and body["title"]
        codes.append(body["code"])
    assert len(set(codes)) >= 3  # each failure says what was wrong
    assert await _objects(app, admin.org_id) == 0
    assert _blob_files(app) == blobs_before


async def test_oversized_upload_is_413_and_limit_is_a_setting(db_url, tmp_path):
    small = create_app(make_settings(db_url, tmp_path, max_upload_bytes=20_000))
    async with small.router.lifespan_context(small):
        transport = httpx.ASGITransport(app=small, client=("198.51.100.7", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            admin = await register_org(client, small)
            pdf = reportlab_pdf(60, text="大" * 200)
            assert len(pdf) > 20_000
            r = await admin.call(
                "POST", "/api/v1/documents", files={"file": ("big.pdf", pdf, "application/pdf")}
            )
            assert r.status_code == 413 and r.json()["code"] == "upload.too_large"
            ok = await admin.call(
                "POST",
                "/api/v1/documents",
                files={"file": ("ok.pdf", reportlab_pdf(1), "application/pdf")},
            )
            assert ok.status_code == 201
            assert await _objects(small, admin.org_id) == 1
            # a declared length beyond the limit is refused before the body is read
            r = await client.post(
                "/api/v1/documents",
                headers={**admin.headers, "content-length": str(10**9)},
                content=b"x",
            )
            assert r.status_code == 413


async def test_malformed_bodies_store_nothing(client, app):
    admin = await register_org(client, app)
    before = await admin.get("/api/v1/org/units")
    bad = [
        (b"{not json", "application/json", 400, "http.malformed_json"),
        (b'{"name": 12, "code": ["x"]}', "application/json", 422, "common.validation"),
        (
            b'{"name": "\xe6\xb3\x95\xe5\x8a\xa1", "colour": "red"}',
            "application/json",
            422,
            "common.validation",
        ),
    ]
    for content, ctype, status, code in bad:
        r = await admin.call(
            "POST", "/api/v1/org/units", content=content, headers={"content-type": ctype}
        )
        assert r.status_code == status and r.json()["code"] == code, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
    assert await admin.get("/api/v1/org/units") == before


async def test_phone_that_is_not_a_phone(client, app):
    admin = await register_org(client, app)
    for phone in ("12345", "+86 000 0000 0000", "abc", "1380000000"):
        r = await admin.call("POST", "/api/v1/members", json={"real_name": "某人", "phone": phone})
        assert r.status_code == 422 and r.json()["code"] == "auth.invalid_phone", (phone, r.text)
    assert (await admin.get("/api/v1/members"))["total"] == 1
    # and sign-in with a malformed phone is just a failed sign-in, not a 500
    r = await client.post("/api/v1/auth/login", json={"phone": "abc", "password": "x1234567"})
    assert r.status_code == 401
    await login(client, admin.phone)
