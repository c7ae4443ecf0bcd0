"""End to end through the HTTP API: a 3-page contract, photos of its three stamped pages,
one with a changed amount -> that page "differs" with the changed characters, an alert is
raised; a bad photo is "unreadable"; the report in JSON and PDF; the precision setting."""

from __future__ import annotations

import asyncio
import random

import pytest

from sealhub import worker
from sealhub.inspection.samples import contracts
from sealhub.inspection.samples.corpus import make_case
from sealhub.inspection.samples.photographer import Distortion
from tests.requests.conftest import apply, approve_all, at, make_world, png_bytes, upload


async def _handed_out(client, app, doc_pdf: bytes):
    w = await make_world(client, app)
    doc = await upload(w.employee, doc_pdf, name="采购合同.pdf")
    req = await approve_all(w, await apply(w, document_ids=[doc["id"]]))
    await w.keeper.post(
        f"/api/v1/seals/{w.seal['id']}/hand-out",
        json={
            "request_id": req["id"],
            "holder_id": w.employee.user_id,
            "expected_return_at": at(4),
        },
    )
    return w, req["id"]


async def _photo(api, rid, data: bytes, name: str):
    r = await api.call(
        "POST", f"/api/v1/requests/{rid}/photos", files={"file": (name, data, "image/jpeg")}
    )
    return r.json()


async def _inspected(app, api, rid, n, tries=400):
    """Deliver the upload events, sweep the waiting photos into jobs, wait for the verdicts."""
    runtime = app.state.runtime
    for _ in range(5):
        await worker.relay_once(runtime)
    await worker.run_periodic(runtime)
    for _ in range(tries):
        results = await api.get(f"/api/v1/requests/{rid}/inspection")
        if len(results) == n and all(r["status"] == "done" for r in results):
            return results
        await asyncio.sleep(0.1)
    raise AssertionError(f"not inspected: {results}")


@pytest.fixture
def sqlite_only(app):
    # OCR of three photos is the costly part of the suite: once, on SQLite; the tables
    # themselves are checked on every backend by the light test below and the migrations
    if not app.state.runtime.settings.database_url.startswith("sqlite"):
        pytest.skip("OCR-heavy: runs once, on SQLite (storage of results: light test below)")


async def test_changed_amount_differs_and_raises_an_alert(client, app, sqlite_only):
    contract, pdf = contracts.contract_pdf(7)
    w, rid = await _handed_out(client, app, pdf)
    rng = random.Random(3)
    mild = Distortion(rotation=6.0, tilt=0.04, blur=0.6, light=0.25, jpeg=80)
    cases = [
        make_case(contract, 0, "amount", rng, distortion=mild),
        make_case(contract, 1, "", rng, distortion=mild),
        make_case(contract, 2, "", rng, distortion=Distortion(rotation=-9, light=0.3, jpeg=70)),
    ]
    photos = [
        await _photo(w.employee, rid, k.photo, f"第{i + 1}页.jpg") for i, k in enumerate(cases)
    ]
    results = await _inspected(app, w.employee, rid, 3)
    by_photo = {r["photo_id"]: r for r in results}
    first, second, third = (by_photo[p["id"]] for p in photos)
    assert (second["verdict"], second["page"]) == ("matches", 2)
    assert (third["verdict"], third["page"]) == ("matches", 3)
    assert (first["verdict"], first["page"]) == ("differs", 1)
    # the changed characters are the amount's digits: original vs photo
    facts = contract.facts
    forged = contracts.tamper_amount(facts, random.Random(3))
    diffs = first["details"]["differences"]
    assert diffs and all(d["kind"] == "changed" for d in diffs)
    changed = [(x, y) for x, y in zip(str(facts.amount), str(forged.amount)) if x != y]
    assert len(changed) >= 2
    assert sorted((d["original"], d["photo"]) for d in diffs) == sorted(changed)
    assert all(d["photo_box"] and 0 <= d["photo_box"][0] < d["photo_box"][2] <= 1 for d in diffs)
    # an alert for the page that differs, none for the others
    alerts = (await w.admin.get("/api/v1/alerts", params={"request_id": rid}))["items"]
    assert [(a["kind"], a["subject_id"]) for a in alerts] == [
        ("inspection.page_differs", photos[0]["id"])
    ]
    # the highlight images are PNGs of the page
    r = await w.employee.call(
        "GET", f"/api/v1/requests/{rid}/inspection/{photos[0]['id']}/image", expect=200
    )
    assert r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    r = await w.employee.call(
        "GET",
        f"/api/v1/requests/{rid}/inspection/{photos[0]['id']}/image",
        params={"side": "original"},
        expect=200,
    )
    assert r.content[:4] == b"\x89PNG"
    # the report, JSON and PDF
    report = await w.admin.get(f"/api/v1/requests/{rid}/inspection/report")
    assert report["counts"] == {"differs": 1, "matches": 2} and report["anomalies"] == 1
    r = await w.admin.call("GET", f"/api/v1/requests/{rid}/inspection/report.pdf", expect=200)
    assert r.content.startswith(b"%PDF-")


async def test_bad_photos_are_unreadable_never_matches(client, app):
    contract, pdf = contracts.contract_pdf(8)
    w, rid = await _handed_out(client, app, pdf)
    rng = random.Random(4)
    dark = make_case(contract, 0, "", rng, distortion=Distortion(dark=0.12, jpeg=70))
    photos = [
        await _photo(w.employee, rid, dark.photo, "太暗.jpg"),
        await _photo(w.employee, rid, png_bytes(5), "不是文件.png"),
    ]
    results = await _inspected(app, w.employee, rid, 2)
    verdicts = {r["photo_id"]: r["verdict"] for r in results}
    assert [verdicts[p["id"]] for p in photos] == ["unreadable", "unreadable"]
    assert all(r["details"]["problems"] for r in results)
    # unreadable photos are not anomalies of the page: no alert
    alerts = (await w.admin.get("/api/v1/alerts", params={"request_id": rid}))["items"]
    assert alerts == []


async def test_precision_setting(client, app):
    w = await make_world(client, app)
    assert await w.admin.get("/api/v1/inspection/settings") == {"precision": "strict"}
    await w.employee.call(
        "PUT", "/api/v1/inspection/settings", json={"precision": "loose"}, expect=403
    )
    out = await w.admin.put("/api/v1/inspection/settings", json={"precision": "loose"})
    assert out == {"precision": "loose"}
    assert await w.employee.get("/api/v1/inspection/settings") == {"precision": "loose"}
    r = await w.admin.call(
        "PUT", "/api/v1/inspection/settings", json={"precision": "sloppy"}, expect=422
    )
    assert r.status_code == 422
