"""The e-seal journey through the HTTP API: apply, review, seal an approved application's
PDF after a willingness check, download, verify publicly."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.builders import sms_code
from tests.esign.helpers import (
    DESIGN,
    HAVE_PDFSIG,
    apply_eseal,
    approved_eseal,
    approved_request,
    cjk_pdf,
    esign_org,
    pdfsig,
    seal_body,
    sqlite_only_unless_marked,
)


@pytest.fixture(autouse=True)
def _backends(request: pytest.FixtureRequest, db_url: str) -> None:
    sqlite_only_unless_marked(request, db_url)


async def test_preview_is_a_true_size_red_seal(client, app):
    org = await esign_org(client, app)
    r = await org.admin.call("POST", "/api/v1/esign/preview", json={**DESIGN, "size_mm": 42})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert img.mode == "RGBA"
    # 42 mm at 300 DPI
    assert img.size == (round(42 / 25.4 * 300),) * 2
    assert img.getpixel((0, 0))[3] == 0  # transparent corner
    colours = {px[:3] for px in img.getdata() if px[3] > 0}
    assert colours == {(230, 0, 18)}, "only red pixels"
    # an employee may not design seals
    await org.employee.call("POST", "/api/v1/esign/preview", json=DESIGN, expect=403)


@pytest.mark.all_backends
async def test_apply_review_seal_download_verify(client, app, tmp_path):
    org = await esign_org(client, app)
    application = await apply_eseal(org)
    assert application["status"] == "pending"
    # nobody reviews their own application
    r = await org.admin.call(
        "POST",
        f"/api/v1/esign/applications/{application['id']}/review",
        json={"approve": True},
        expect=403,
    )
    assert r.json()["code"] == "esign.self_review"
    done = await org.reviewer.post(
        f"/api/v1/esign/applications/{application['id']}/review",
        json={"approve": True, "comment": "同意", "credit_code": "91310000MA1FL0000X"},
        expect=200,
    )
    assert done["status"] == "approved" and done["seal_id"] and done["certificate_id"]
    seal = await org.admin.get(f"/api/v1/seals/{done['seal_id']}")
    assert seal["kind"] == "electronic" and seal["status"] == "active"
    cert = await org.admin.get(f"/api/v1/esign/certificates/{done['certificate_id']}")
    assert cert["status"] == "valid" and "91310000MA1FL0000X" in cert["subject"]
    await org.admin.patch(f"/api/v1/seals/{seal['id']}", json={"keeper_ids": [org.keeper.user_id]})

    rid, doc_id = await approved_request(org, seal, pages=3)
    # a wrong password consumes nothing
    r = await org.employee.call(
        "POST",
        f"/api/v1/esign/requests/{rid}/sealings",
        json=seal_body(doc_id, seal["id"], secret="wrong-password"),
        expect=403,
    )
    assert r.json()["code"] == "esign.willingness_failed"
    # the SMS code the signer receives at this moment
    await org.employee.post("/api/v1/esign/willingness/sms", json=None, expect=202)
    body = seal_body(doc_id, seal["id"])
    body["willingness"] = {"method": "sms", "secret": sms_code(app, org.employee.phone)}
    body["qr"] = True
    sealing = await org.employee.post(f"/api/v1/esign/requests/{rid}/sealings", json=body)
    assert sealing["willingness_method"] == "sms"
    assert sealing["placements"][0]["page"] == 1
    detail = await org.employee.get(f"/api/v1/requests/{rid}")
    assert detail["items"][0]["presses_used"] == 1
    # the count is used up: a second sealing is refused
    r = await org.employee.call(
        "POST", f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"])
    )
    assert r.status_code == 409, r.text

    r = await org.employee.call("GET", f"/api/v1/esign/sealings/{sealing['id']}/file", expect=200)
    sealed = r.content
    assert r.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(sealed)).pages) == 3

    # public: no sign-in
    report = (
        await client.post(
            "/api/v1/esign/verify", files={"file": ("x.pdf", sealed, "application/pdf")}
        )
    ).json()
    assert report["ok"] is True and report["signed"] is True
    (sig,) = report["signatures"]
    assert sig["trusted"] and sig["intact"] and sig["covers_whole_file"]
    assert sig["signer"]["common_name"] == "合同专用章"
    assert sig["signer"]["organisation"] == "上海测试科技有限公司"
    assert sig["seal_id"] == seal["id"] and sig["revocation"] == "good"
    assert report["sealing_id"] == sealing["id"]
    by_link = (await client.get(f"/api/v1/esign/verify/{sealing['verify_token']}")).json()
    assert by_link["ok"] is True and by_link["sha256"] == report["sha256"]

    # a byte changed after sealing is caught
    at = sealed.index(b"ReportLab")
    tampered = sealed[:at] + b"X" + sealed[at + 1 :]
    bad = (
        await client.post(
            "/api/v1/esign/verify", files={"file": ("x.pdf", tampered, "application/pdf")}
        )
    ).json()
    assert bad["ok"] is False

    if HAVE_PDFSIG:
        ca = await org.admin.get("/api/v1/esign/ca")
        text = pdfsig(sealed, tmp_path, ca["root_cert_pem"])
        assert "Signature is Valid" in text and "Total document signed" in text, text
        assert "Certificate is Trusted" in text, text
        assert "Digest Mismatch" in pdfsig(tampered, tmp_path) or "Invalid" in pdfsig(
            tampered, tmp_path
        )


async def test_reject_with_reason(client, app):
    org = await esign_org(client, app)
    application = await apply_eseal(org)
    done = await org.reviewer.post(
        f"/api/v1/esign/applications/{application['id']}/review",
        json={"approve": False, "comment": "营业执照不清晰"},
        expect=200,
    )
    assert done["status"] == "rejected" and done["review_comment"] == "营业执照不清晰"
    assert done["seal_id"] is None
    r = await org.reviewer.call(
        "POST",
        f"/api/v1/esign/applications/{application['id']}/review",
        json={"approve": True},
        expect=409,
    )
    assert r.json()["code"] == "esign.invalid_transition"


@pytest.mark.parametrize("mode", ["keyword", "straddle"])
async def test_keyword_and_straddle(client, app, mode):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    rid, doc_id = await approved_request(org, seal, pdf=cjk_pdf(3, "甲方（盖章）："))
    placement = {"mode": mode, "keyword": "（盖章）" if mode == "keyword" else ""}
    sealing = await org.employee.post(
        f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"], **placement)
    )
    assert sealing["placements"][0]["mode"] == mode
    if mode == "keyword":
        # on the page the keyword is on, over it
        assert sealing["placements"][0]["page"] == 2
        assert 200 < sealing["placements"][0]["x"] < 340
    r = await org.employee.call("GET", f"/api/v1/esign/sealings/{sealing['id']}/file", expect=200)
    reader = PdfReader(io.BytesIO(r.content))
    if mode == "straddle":
        # every page carries its slice, drawn before the one signature
        for page in reader.pages:
            assert any(str(k).startswith("/ShS") for k in page["/Resources"]["/XObject"])
    report = (
        await client.post(
            "/api/v1/esign/verify", files={"file": ("x.pdf", r.content, "application/pdf")}
        )
    ).json()
    assert report["ok"] is True


async def test_bad_placement_and_unknown_keyword(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    rid, doc_id = await approved_request(org, seal, pages=1)
    for placement, reason in (
        ({"page": 5}, "page"),
        ({"mode": "keyword", "keyword": "不存在的词"}, "keyword"),
        ({"mode": "straddle"}, "pages"),
    ):
        r = await org.employee.call(
            "POST",
            f"/api/v1/esign/requests/{rid}/sealings",
            json=seal_body(doc_id, seal["id"], **placement),
            expect=422,
        )
        assert r.json()["code"] == "esign.bad_placement", (reason, r.text)
    detail = await org.employee.get(f"/api/v1/requests/{rid}")
    assert detail["items"][0]["presses_used"] == 0, "a refused sealing consumes nothing"


async def test_unsigned_or_garbage_is_not_ok(client, app):
    from tests.storage.samples import reportlab_pdf

    r = await client.post(
        "/api/v1/esign/verify", files={"file": ("x.pdf", reportlab_pdf(1), "application/pdf")}
    )
    assert r.status_code == 200 and r.json()["signed"] is False and r.json()["ok"] is False
    r = await client.post(
        "/api/v1/esign/verify", files={"file": ("x.pdf", b"not a pdf at all", "application/pdf")}
    )
    assert r.status_code == 200 and r.json()["readable"] is False and r.json()["ok"] is False
