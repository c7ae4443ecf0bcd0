"""End to end: a real application's records go into the log through the audit trail, come
out as a package the offline verifier accepts, and tampering is named precisely."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import delete, insert, update

from sealhub.cli.evidence import run_audit
from sealhub.evidence import integrator
from sealhub.evidence.models import EvidenceEntry
from sealhub.evidence.verifier import verify_package
from sealhub.platform import clock
from sealhub.platform.audit import AuditEntry
from sealhub.platform.ids import new_id
from tests.requests.conftest import apply, approve_all, make_world


async def _integrate(app: FastAPI) -> None:
    await integrator.integrate_all(app.state.runtime, force_sign=True)


def _rezip(data: bytes, change: dict[str, bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in change:
                new = change[info.filename]
                if new is not None:
                    dst.writestr(info.filename, new)
            else:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


async def test_an_application_becomes_a_package_the_offline_verifier_accepts(
    client: Any, app: FastAPI, tmp_path: Path
) -> None:
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    rid = req["id"]
    await _integrate(app)

    where = await w.admin.get(f"/api/v1/requests/{rid}/evidence")
    actions = [p["what"] for p in where if p["kind"] == "audit"]
    assert "request.create" in actions and actions.count("request.approve") == 2
    assert all(p["in_signed_head"] and p["index"] is not None for p in where)

    r = await w.admin.call("GET", f"/api/v1/requests/{rid}/evidence/package", expect=200)
    assert r.headers["content-type"] == "application/zip"
    package = r.content
    verdict = verify_package(io.BytesIO(package))
    assert verdict.ok, verdict.reason
    assert verdict.records == len(where)

    # the command line, as a user runs it, with nothing but the file
    path = tmp_path / "evidence.zip"
    path.write_bytes(package)
    run = subprocess.run(
        [sys.executable, "-m", "sealhub.evidence.verifier", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0 and run.stdout.startswith("VALID:"), run.stdout + run.stderr

    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        manifest = orjson.loads(zf.read("manifest.json"))
        record = manifest["records"][1]["file"]
        original = zf.read(record)
        note = zf.read("checkpoint.txt").decode()

    # an edited record: the manifest's hash catches it...
    edited = original.replace(b"request.", b"requesT.", 1)
    bad = verify_package(io.BytesIO(_rezip(package, {record: edited})))
    assert not bad.ok and bad.reason.startswith(f"{record} was changed")
    # ...and with the manifest "fixed" too, the Merkle proof does
    import hashlib

    manifest["files"][record] = hashlib.sha256(edited).hexdigest()
    bad = verify_package(
        io.BytesIO(_rezip(package, {record: edited, "manifest.json": orjson.dumps(manifest)}))
    )
    assert not bad.ok and bad.reason.startswith(f"{record} (leaf ")
    assert "is not in the signed tree: calculated root" in bad.reason

    # a checkpoint stripped of either signature
    text, _, sigs = note.partition("\n\n")
    for drop, words in ((0, "no Ed25519 signature"), (1, "no ML-DSA-65 signature")):
        lines = [line for i, line in enumerate(sigs.splitlines()) if i != drop]
        stripped = (text + "\n\n" + "\n".join(lines) + "\n").encode()
        manifest2 = orjson.loads(orjson.dumps(manifest))
        manifest2["files"][record] = hashlib.sha256(original).hexdigest()
        manifest2["files"]["checkpoint.txt"] = hashlib.sha256(stripped).hexdigest()
        bad = verify_package(
            io.BytesIO(
                _rezip(
                    package, {"checkpoint.txt": stripped, "manifest.json": orjson.dumps(manifest2)}
                )
            )
        )
        assert not bad.ok and words in bad.reason, bad.reason


async def test_the_store_audit_names_rows_changed_removed_or_inserted(
    client: Any, app: FastAPI
) -> None:
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    await _integrate(app)
    org = uuid.UUID(w.admin.org_id or (await w.admin.get("/api/v1/auth/me"))["org_id"])
    runtime = app.state.runtime

    text, ok = await run_audit(runtime, org)
    assert ok, text
    assert text.startswith("OK")
    assert (await w.admin.get("/api/v1/evidence/audit"))["ok"] is True

    trail = await w.admin.get("/api/v1/audit", params={"target_id": req["id"]})
    approve = next(e for e in trail["items"] if e["action"] == "request.approve")
    create = next(e for e in trail["items"] if e["action"] == "request.create")
    async with runtime.transaction() as session:
        # an insider rewrites an approval, deletes the creation, and slips in an entry
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == uuid.UUID(approve["id"]))
            .values(summary="驳回", after={"forged": True})
        )
        await session.execute(delete(AuditEntry).where(AuditEntry.id == uuid.UUID(create["id"])))
        slipped = new_id()
        await session.execute(
            insert(AuditEntry).values(
                id=slipped,
                org_id=org,
                at=clock.now(),
                actor_name="ghost",
                action="request.approve",
                target_type="request",
                target_id=req["id"],
                summary="",
                summary_en="",
            )
        )
    # the INSERT above went through Core, not appends: no leaf, as an intruder's would
    text, ok = await run_audit(runtime, org)
    assert not ok
    assert f"changed   audit entry {approve['id']} (request.approve): after, summary differ" in text
    assert f"removed   audit entry {create['id']} (request.create)" in text
    assert f"inserted  audit entry {slipped} (request.approve): is not in the log" in text
    last = await w.admin.get("/api/v1/evidence/audit")
    assert last["ok"] is False and len(last["findings"]) >= 3

    # the leaf itself rewritten (data and leaf hash): the signed heads no longer match
    async with runtime.transaction() as session:
        row = (
            await session.execute(
                EvidenceEntry.__table__.select().where(EvidenceEntry.source_id == approve["id"])
            )
        ).one()
        from sealhub.evidence.verifier.merkle import leaf_hash

        forged = row.data.replace("request.approve", "request.rejectt")
        await session.execute(
            update(EvidenceEntry)
            .where(EvidenceEntry.id == row.id)
            .values(data=forged, leaf=leaf_hash(forged.encode()))
        )
    text, ok = await run_audit(runtime, org)
    assert not ok
    assert f"subtree hash (1, {row.seq // 2})" in text
    assert "the records below it no longer give its signed root" in text


async def test_proofs_heads_and_keys_over_the_api(client: Any, app: FastAPI) -> None:
    import base64

    from sealhub.evidence.verifier import merkle, verify_checkpoint
    from sealhub.evidence.verifier.note import KeyPair

    w = await make_world(client, app)
    await apply(w)
    await _integrate(app)
    head = await w.admin.get("/api/v1/evidence/heads/latest")
    keys = await w.admin.get("/api/v1/evidence/keys")
    pairs = [
        KeyPair(k["name"], base64.b64decode(k["ed25519"]), base64.b64decode(k["mldsa65"]))
        for k in keys
    ]
    cp, _ = verify_checkpoint(head["note"], pairs)
    assert cp.size == head["size"]

    trail = await w.admin.get("/api/v1/audit", params={"action": "request.create"})
    rec = trail["items"][0]["id"]
    p = await w.admin.get("/api/v1/evidence/inclusion", params={"record_id": rec})
    merkle.verify_inclusion(
        p["index"],
        p["tree_size"],
        merkle.leaf_hash(p["data"].encode()),
        [base64.b64decode(x) for x in p["path"]],
        cp.root,
    )
    assert orjson.loads(p["data"])["id"] == rec

    await apply(w)
    await _integrate(app)
    head2 = await w.admin.get("/api/v1/evidence/heads/latest")
    cp2, _ = verify_checkpoint(head2["note"], pairs)
    c = await w.admin.get(
        "/api/v1/evidence/consistency", params={"first": cp.size, "second": cp2.size}
    )
    merkle.verify_consistency(
        cp.size, cp2.size, [base64.b64decode(x) for x in c["path"]], cp.root, cp2.root
    )
    heads = await w.admin.get("/api/v1/evidence/heads")
    assert heads["total"] >= 2
    bad = await w.admin.call(
        "GET", "/api/v1/evidence/consistency", params={"first": 5, "second": 2}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "evidence.bad_tree_sizes"

    # an employee may not read the log
    r = await w.employee.call("GET", "/api/v1/evidence/heads/latest")
    assert r.status_code == 403


async def test_rotation_overlap_and_file_witness(client: Any, app: FastAPI) -> None:
    import base64

    from sealhub.evidence.verifier import verify_checkpoint
    from sealhub.evidence.verifier.note import KeyPair

    w = await make_world(client, app)
    folder = f"w-{uuid.uuid4().hex[:8]}"
    await w.admin.put(
        "/api/v1/evidence/witnesses",
        json={"witnesses": [{"kind": "file", "target": folder}]},
    )
    bad = await w.admin.call(
        "PUT",
        "/api/v1/evidence/witnesses",
        json={"witnesses": [{"kind": "file", "target": "../etc"}]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "evidence.bad_witness_target"
    await apply(w)
    await _integrate(app)  # makes the first key pair
    await w.admin.post("/api/v1/evidence/keys/rotate", json={"overlap_hours": 24}, expect=201)
    await apply(w)
    await _integrate(app)
    keys = await w.admin.get("/api/v1/evidence/keys")
    assert len(keys) == 2 and keys[0]["retires_at"] and keys[1]["retires_at"] is None
    head = await w.admin.get("/api/v1/evidence/heads/latest")
    assert head["note"].count("\u2014 ") == 4  # both generations, both algorithms
    for k in keys:  # a verifier holding either generation accepts the overlap's heads
        pair = KeyPair(k["name"], base64.b64decode(k["ed25519"]), base64.b64decode(k["mldsa65"]))
        assert verify_checkpoint(head["note"], [pair])[0].size == head["size"]
    drop = app.state.runtime.settings.data_dir / "witness" / folder / f"{head['size']}.checkpoint"
    assert drop.read_text() == head["note"]
    (witness,) = await w.admin.get("/api/v1/evidence/witnesses")
    assert witness["pushed_size"] == head["size"] and witness["last_error"] is None
