"""Seal certificates: revocation (by hand or with the seal), renewal, the public CRL, and
what verification says about signatures made before and after a revocation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from cryptography import x509

from sealhub import worker
from sealhub.platform import clock
from tests.esign.helpers import (
    approved_eseal,
    approved_request,
    esign_org,
    seal_body,
    sqlite_only_unless_marked,
)


@pytest.fixture(autouse=True)
def _backends(request: pytest.FixtureRequest, db_url: str) -> None:
    sqlite_only_unless_marked(request, db_url)


async def _seal(org, seal, presses: int = 1) -> tuple[str, bytes]:
    rid, doc_id = await approved_request(org, seal, pages=2, presses=presses)
    sealing = await org.employee.post(
        f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"])
    )
    r = await org.employee.call("GET", f"/api/v1/esign/sealings/{sealing['id']}/file", expect=200)
    return rid, r.content


async def _verify(client, pdf: bytes) -> dict:
    r = await client.post("/api/v1/esign/verify", files={"file": ("x.pdf", pdf, "application/pdf")})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.all_backends
async def test_revoked_certificate_cannot_seal_and_is_listed(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    cert_id = seal["application"]["certificate_id"]
    _, before = await _seal(org, seal)

    # the revocation is dated an hour back: the signature above now comes after it
    clock.advance(timedelta(hours=-1))
    revoked = await org.reviewer.post(
        f"/api/v1/esign/certificates/{cert_id}/revoke", json={"reason": "密钥泄露"}, expect=200
    )
    clock.reset()
    assert revoked["status"] == "revoked" and revoked["revoked_at"]

    rid, doc_id = await approved_request(org, seal, pages=2)
    r = await org.employee.call(
        "POST", f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"])
    )
    assert r.status_code == 409 and r.json()["code"] == "esign.no_valid_certificate", r.text
    detail = await org.employee.get(f"/api/v1/requests/{rid}")
    assert detail["items"][0]["presses_used"] == 0

    report = await _verify(client, before)
    (sig,) = report["signatures"]
    assert sig["intact"] and sig["valid"]
    assert sig["revocation"] == "revoked" and report["ok"] is False

    ca = await org.admin.get("/api/v1/esign/ca")
    r = await client.get(f"/api/v1/esign/cas/{ca['id']}/crl")  # public
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(r.content)
    cert = await org.admin.get(f"/api/v1/esign/certificates/{cert_id}")
    assert crl.get_revoked_certificate_by_serial_number(int(cert["serial"], 16)) is not None


async def test_signature_before_revocation_stays_good(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    _, sealed = await _seal(org, seal)
    await org.reviewer.post(
        f"/api/v1/esign/certificates/{seal['application']['certificate_id']}/revoke",
        json={"reason": "印章停用"},
        expect=200,
    )
    report = await _verify(client, sealed)
    (sig,) = report["signatures"]
    assert sig["revocation"] == "good" and sig["revoked_at"] and report["ok"] is True


async def test_seal_reported_lost_revokes_its_certificate(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    cert_id = seal["application"]["certificate_id"]
    await org.admin.post(
        f"/api/v1/seals/{seal['id']}/status",
        json={"status": "reported_lost", "reason": "U 盾遗失"},
        expect=200,
    )
    for _ in range(50):
        await worker.relay_once(app.state.runtime)
        cert = await org.admin.get(f"/api/v1/esign/certificates/{cert_id}")
        if cert["status"] == "revoked":
            break
        await asyncio.sleep(0.05)
    assert cert["status"] == "revoked", cert
    assert cert["revocation_reason"].startswith("seal.reported_lost")
    # found again and reactivated: still no sealing with the revoked certificate
    await org.admin.post(
        f"/api/v1/seals/{seal['id']}/status",
        json={"status": "active", "reason": "找到"},
        expect=200,
    )
    rid, doc_id = await approved_request(org, seal, pages=1)
    r = await org.employee.call(
        "POST", f"/api/v1/esign/requests/{rid}/sealings", json=seal_body(doc_id, seal["id"], y=100)
    )
    assert r.json()["code"] == "esign.no_valid_certificate", r.text


async def test_renewal_keeps_history_and_seals_again(client, app):
    org = await esign_org(client, app)
    seal = await approved_eseal(org)
    old_id = seal["application"]["certificate_id"]
    new = await org.reviewer.post(f"/api/v1/esign/certificates/{old_id}/renew", expect=200)
    assert new["previous_id"] == old_id and new["status"] == "valid"
    page = await org.admin.get("/api/v1/esign/certificates", params={"seal_id": seal["id"]})
    assert {c["status"] for c in page["items"]} == {"valid", "superseded"}
    _, sealed = await _seal(org, seal)
    (sig,) = (await _verify(client, sealed))["signatures"]
    assert sig["signer"]["serial"] == new["serial"]
    # employees cannot revoke or renew
    await org.employee.call("POST", f"/api/v1/esign/certificates/{new['id']}/renew", expect=403)
