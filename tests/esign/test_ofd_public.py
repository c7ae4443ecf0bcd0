"""The public verification page (POST /api/v1/esign/verify) accepts OFD and .esl files."""

from __future__ import annotations

import pytest

from tests.esign.gmkit import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


async def _verify(client, name: str, data: bytes) -> dict:
    r = await client.post("/api/v1/esign/verify", files={"file": (name, data, "application/ofd")})
    assert r.status_code == 200, r.text
    return r.json()


# the database only lists the platform's CAs here (esign's tests cover that on every backend)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_public_page_reports_ofd_and_seals(client):
    good = await _verify(client, "x.ofd", (CORPUS / "ofd" / "signedFile.ofd").read_bytes())
    assert good["signed"] is True and good["ok"] is True and good["file_type"] == "ofd"
    (sig,) = good["signatures"]
    assert sig["intact"] and sig["valid"] and sig["signer"]["algorithm"] == "sm2sign_with_sm3"
    assert "seal:国家税务总局江苏省税务局" in sig["notes"]
    # not the platform's CA: not trusted
    assert sig["trusted"] is False and good["trusted"] is False
    unsigned = await _verify(client, "x.ofd", (CORPUS / "ofd" / "helloworld.ofd").read_bytes())
    assert unsigned["signed"] is False and unsigned["ok"] is False
    seal = await _verify(client, "x.esl", (CORPUS / "ses" / "SESealData.DER").read_bytes())
    assert seal["signed"] is True and seal["ok"] is False
    assert seal["signatures"][0]["problems"] == ["maker_signature_invalid"]
