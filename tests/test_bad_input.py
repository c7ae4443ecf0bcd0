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


# ---- strict input: dates, integers, names, settings, scalar types (issue 8, defects 7, 9, 10)

LATE = "9999-12-31T23:59:59-14:00"  # year 10000 in UTC
EARLY = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC


def _refused(r: httpx.Response) -> None:
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.json()["code"] == "common.validation"
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_out_of_range_instants_are_422_not_500(client, app):
    from tests.requests.conftest import application, apply, make_world
    from tests.seals.test_custody import hand_out_body

    w = await make_world(client, app)
    for bad in (LATE, EARLY, "1969-12-31T23:59:59Z"):
        _refused(
            await w.employee.call("POST", "/api/v1/requests", json=application(w, valid_until=bad))
        )
    draft = await apply(w, submit=False)
    window = {"valid_from": "2030-01-01T00:00:00Z", "valid_until": LATE}
    _refused(await w.employee.call("POST", f"/api/v1/requests/{draft['id']}/window", json=window))
    key = {"name": "k", "permissions": ["seal.read"], "expires_at": LATE}
    _refused(await w.admin.call("POST", "/api/v1/api-keys", json=key))
    _refused(await w.admin.call("GET", "/api/v1/audit", params={"until": LATE}))
    _refused(await w.admin.call("GET", "/api/v1/audit", params={"since": EARLY}))
    _refused(await w.admin.call("GET", "/api/v1/requests", params={"created_from": EARLY}))
    _refused(await w.admin.call("GET", "/api/v1/requests", params={"created_to": LATE}))
    body = hand_out_body(w.employee.user_id, expected_return_at=LATE)
    _refused(await w.keeper.call("POST", f"/api/v1/seals/{w.seal['id']}/hand-out", json=body))
    # a number is not an instant (it would be read as a Unix timestamp)
    _refused(
        await w.employee.call("POST", "/api/v1/requests", json=application(w, valid_until=1e12))
    )


async def test_json_scalars_are_not_coerced(client, app):
    from tests.requests.conftest import application, make_world

    w = await make_world(client, app)
    items = [{"seal_id": w.seal["id"], "presses": "3"}]
    _refused(await w.employee.call("POST", "/api/v1/requests", json=application(w, items=items)))
    items = [{"seal_id": w.seal["id"], "presses": True}]
    _refused(await w.employee.call("POST", "/api/v1/requests", json=application(w, items=items)))
    _refused(await w.employee.call("POST", "/api/v1/requests", json=application(w, submit="true")))
    _refused(await w.admin.call("POST", "/api/v1/org/units", json={"name": "部", "sort": "1"}))
    # an integer beyond 64 bits is refused where the field has no tighter bound
    items = [{"seal_id": w.seal["id"], "presses": 1, "position": {"page": 2**64, "x": 1, "y": 1}}]
    _refused(await w.employee.call("POST", "/api/v1/requests", json=application(w, items=items)))
    # the well-formed body still works: ids, instants and enum values arrive as JSON text
    await w.employee.post("/api/v1/requests", json=application(w))


BAD_NAMES = [
    "法务\x00部",  # NUL
    "\x1b[31m红色\x1b[0m",  # terminal escape
    "合同\u202egpj.exe",  # right-to-left override
    "财务\u200b部",  # zero-width space
    "人事\u2066部\u2069",  # bidi isolate
    "行政\ufeff",  # zero-width no-break space
]


async def test_names_refuse_control_bidi_and_zero_width_characters(client, app):
    from tests.requests.conftest import application, make_world
    from tests.seals.conftest import new_seal

    w = await make_world(client, app)
    for name in BAD_NAMES:
        _refused(await w.admin.call("POST", "/api/v1/org/units", json={"name": name}))
        _refused(await w.admin.call("PATCH", "/api/v1/org", json={"name": name}))
        _refused(
            await w.admin.call(
                "POST", "/api/v1/members", json={"real_name": name, "phone": "+8613900000000"}
            )
        )
        _refused(await w.admin.call("POST", "/api/v1/roles", json={"name": name}))
        _refused(
            await w.admin.call(
                "POST", "/api/v1/api-keys", json={"name": name, "permissions": ["seal.read"]}
            )
        )
        seal = {"kind": "physical", "type": "contract", "name": name, "code": "X-1"}
        _refused(await w.admin.call("POST", "/api/v1/seals", json={**seal, "unit_id": w.root}))
        _refused(await w.employee.call("POST", "/api/v1/requests", json=application(w, name=name)))
        flow = {"name": name, "steps": [{"name": "a", "approver": {"kind": "seal_keeper"}}]}
        _refused(await w.admin.call("POST", "/api/v1/flows", json=flow))
    # ordinary names, Chinese and Latin with spaces and punctuation, are fine
    await new_seal(w.admin, w.root, code="OK-1", name="合同专用章 (Contract) №2")


async def test_org_settings_are_a_typed_schema(client, app):
    admin = await register_org(client, app)
    many = {f"k{i}": "x" for i in range(10_000)}
    _refused(await admin.call("PATCH", "/api/v1/org", json={"settings": many}))
    _refused(await admin.call("PATCH", "/api/v1/org", json={"settings": {"note": "x" * 100_000}}))
    # a huge integer once reached audit serialisation and answered 500
    r = await admin.call("PATCH", "/api/v1/org", json={"settings": {"block_on_photo_debt": 10**30}})
    _refused(r)
    r = await admin.call("PATCH", "/api/v1/org", json={"settings": {"block_on_photo_debt": "yes"}})
    _refused(r)
    out = await admin.patch("/api/v1/org", json={"settings": {"block_on_photo_debt": True}})
    assert out["settings"] == {"block_on_photo_debt": True}
    out = await admin.patch("/api/v1/org", json={"settings": {"block_on_photo_debt": None}})
    assert out["settings"] == {}
