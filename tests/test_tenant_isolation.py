"""A member of organisation A can neither read nor change anything of organisation B.

Routes and their id-carrying fields come from the app itself (its routes and OpenAPI
schema): a new id-taking route, body field or list filter without a way to build it below
fails the test until it is covered.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sealhub.api.introspect import api_routes
from sealhub.platform import clock
from sealhub.platform.db import migrate
from tests.builders import PASSWORD, Api, add_member, create_unit, next_phone, register_org
from tests.dbs import scratch_database
from tests.esign.world import sealing_body
from tests.storage.samples import image as image_bytes
from tests.storage.samples import reportlab_pdf
from tests.support.openapi import body_id_fields, list_query_params, set_at
from tests.support.server import last_sms_code, running_servers, server_env
from tests.world import UPLOADS, World, build_world, upload_file

STREAM = "/api/v1/events"  # Server-Sent Events: tested on a real server below

# The kind of object an id field names, by the field's noun (`keeper_ids` → keeper).
NOUNS = {
    "org": "org",
    "unit": "unit",
    "parent": "unit",
    "primary_unit": "unit",
    "user": "user",
    "keeper": "user",
    "holder": "user",
    "to_user": "user",
    "actor": "user",
    "role": "role",
    "seal": "seal",
    "document": "document",
    "request": "request",
    "item": "item",
    "member": "member",
    "flow": "flow",
    "key": "key",
    "custody": "custody",
    "photo": "photo",
    "target": "seal",  # the audit filter takes any object's id
    "licence_object": "material",  # e-seal proof materials
    "authorisation_object": "material",
    "subject": "seal",  # so does the alerts' (an alert is about a device, a seal, a page...)
    "record": "request",  # evidence inclusion: any audit entry's or event's id
}

# Public by design, reachable with any organisation's ids: a CRL is published to every
# relying party; a sealed document's verification link is the capability printed on it.
PUBLIC_BY_DESIGN = {
    ("GET", "/api/v1/esign/cas/{ca_id}/crl"),
    ("GET", "/api/v1/esign/verify/{token}"),
}


def ids_of(api: Api, world: World, item_id: str) -> dict[str, str]:
    """One id of each kind of object of an organisation, by kind."""
    ids = {k.removesuffix("_id"): v for k, v in world.ids.items()}
    return {**ids, "org": api.org_id, "user": api.user_id, "item": item_id}


async def first_item(api: Api, request_id: str) -> str:
    req = await api.get(f"/api/v1/requests/{request_id}")
    return str(req["items"][0]["id"])


async def test_no_cross_tenant_access(client, app):
    a = await register_org(client, app, org_name="甲公司")
    b = await register_org(client, app, org_name="乙公司")
    world_b = await build_world(app, b)
    # organisation A also has data of its own, so "empty" answers prove nothing
    await create_unit(a, "甲的部门")
    await add_member(a, name="甲的员工", roles=["employee"])

    param_routes, list_routes = [], []
    for path, methods, _ in api_routes(app):
        if path == STREAM:
            continue
        params = re.findall(r"\{([^}]+)\}", path)
        for method in methods:
            (param_routes if params else list_routes).append((method, path, params))

    assert len(param_routes) > 20
    for method, path, params in param_routes:
        if (method, path) in PUBLIC_BY_DESIGN:
            continue
        missing = [p for p in params if p not in world_b.ids]
        assert not missing, f"{method} {path}: no object of B for {missing}; extend tests/world.py"
        url = path
        for p in params:
            url = url.replace("{" + p + "}", world_b.ids[p])
        if (method, path) in UPLOADS:
            r = await a.call(method, url, files=upload_file())
        else:
            r = await a.call(method, url, json=world_b.bodies.get((method, path), {}))
        assert r.status_code == 404, (
            f"A reached B via {method} {path}: {r.status_code} {r.text[:200]}"
        )

    secrets = set(world_b.ids.values()) | {world_b.marker}
    for method, path, _ in list_routes:
        if method != "GET":
            continue
        r = await a.call("GET", path)
        # A's admin may read every list: a 403 or 404 here would hide a leak, not disprove it
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:200]}"
        for secret in secrets:
            assert secret not in r.text, f"GET {path} leaked {secret} of organisation B"

    # and B still sees its own objects: the ids were real
    for path in world_b.readable:
        assert (await b.call("GET", path)).status_code == 200, path


async def test_list_filters_with_the_other_orgs_ids(client, app):
    """Every filter of every list, B's ids in each id filter and every enum value
    (`box=all` included): A gets 200 without B's data, or 404/422 — never B's rows."""
    a = await register_org(client, app, org_name="甲公司")
    b = await register_org(client, app, org_name="乙公司")
    world_a, world_b = await build_world(app, a), await build_world(app, b)
    theirs = ids_of(b, world_b, await first_item(b, world_b.ids["request_id"]))
    secrets = set(world_b.ids.values()) | {world_b.marker, b.user_id}
    tried = 0
    for route, params in list_query_params(app).items():
        if route == STREAM:
            continue
        queries: list[dict[str, str]] = [{}]
        for p in params:
            if p.carries_id:
                noun = p.name.removesuffix("_ids").removesuffix("_id")
                assert noun in NOUNS, f"GET {route}?{p.name}: which object? extend NOUNS"
                queries.append({p.name: theirs[NOUNS[noun]]})
            elif p.name == "q":
                queries.append({"q": world_b.marker})
            queries += [{p.name: v} for v in p.enum]
        for query in queries:
            r = await a.call("GET", route, params=query)
            assert r.status_code in (200, 404, 422), f"GET {route} {query}: {r.status_code}"
            for secret in secrets:
                assert secret not in r.text, f"GET {route} {query} leaked {secret} of B"
            tried += 1
        # the same filters find A's own data (they filter, they do not just fail)
        for p in params:
            if p.name == "box":
                for v in p.enum:
                    r = await a.call("GET", route, params={"box": v})
                    assert r.status_code == 200, f"GET {route}?box={v}: {r.status_code}"
    assert world_a.marker
    assert tried > 30


# Refusals other than 404/422 that are right for a field, and why.
OTHER_REFUSALS = {
    # the same 403 `auth.membership_inactive` for every organisation the person has no
    # active membership in (B's, a pending one, one that does not exist): no oracle
    "POST /api/v1/auth/switch-org": (403,),
}


# A body of A's own, valid but for the field under test, for each (method, route) that
# takes ids in its body. Each builder returns the URL (path ids are A's) and the body.
Base = Callable[[], Awaitable[tuple[Api, str, dict[str, Any]]]]


async def _bases(app: FastAPI, a: Api, wa: World) -> dict[str, Base]:
    ids = wa.ids
    now = clock.now()
    later = (now + timedelta(days=2)).isoformat()
    doc_page = reportlab_pdf(1)
    step = {"name": "管章人", "mode": "any", "approver": {"kind": "seal_keeper"}}

    async def my_seal() -> str:
        """A seal A's admin keeps: its applications route to A's admin (the world's flow)."""
        tag = uuid.uuid4().hex[:8]
        seal = await a.post(
            "/api/v1/seals",
            json={
                "kind": "physical",
                "type": "contract",
                "name": f"甲章{tag}",
                "code": f"A{tag}",
                "unit_id": ids["unit_id"],
                "keeper_ids": [a.user_id],
            },
        )
        return str(seal["id"])

    applicant = await add_member(
        a, name="甲的申请人", roles=["employee"], unit_ids=[ids["unit_id"]]
    )

    async def my_document(by: Api = a) -> str:
        r = await by.call(
            "POST",
            "/api/v1/documents",
            expect=201,
            files={"file": ("a.pdf", doc_page, "application/pdf")},
        )
        return str(r.json()["id"])

    async def pending_request() -> tuple[str, str]:
        seal_id = await my_seal()
        req = await applicant.post(
            "/api/v1/requests",
            json={
                "name": "甲的申请",
                "valid_from": now.isoformat(),
                "valid_until": later,
                "document_ids": [await my_document(applicant)],
                "items": [{"seal_id": seal_id, "presses": 1}],
                "submit": True,
            },
        )
        return str(req["id"]), seal_id

    async def org_units() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            "/api/v1/org/units",
            {
                "name": f"新部门{uuid.uuid4().hex[:6]}",
                "parent_id": ids["unit_id"],
            },
        )

    async def move() -> tuple[Api, str, dict[str, Any]]:
        unit = await create_unit(a, f"移动{uuid.uuid4().hex[:6]}")
        return a, f"/api/v1/org/units/{unit['id']}/move", {"parent_id": ids["unit_id"]}

    async def supervisors() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            f"/api/v1/org/units/{ids['unit_id']}/supervisors",
            {"titles": [{"title": "负责人", "user_ids": [a.user_id]}]},
        )

    async def new_member() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            "/api/v1/members",
            {
                "real_name": "新人",
                "phone": next_phone(),
                "password": PASSWORD,
                "role_ids": [ids["role_id"]],
                "unit_ids": [ids["unit_id"]],
            },
        )

    async def patch_member() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            f"/api/v1/members/{ids['member_id']}",
            {
                "role_ids": [ids["role_id"]],
                "unit_ids": [ids["unit_id"]],
            },
        )

    async def new_seal() -> tuple[Api, str, dict[str, Any]]:
        tag = uuid.uuid4().hex[:8]
        return (
            a,
            "/api/v1/seals",
            {
                "kind": "physical",
                "type": "contract",
                "name": f"新章{tag}",
                "code": f"N{tag}",
                "unit_id": ids["unit_id"],
                "keeper_ids": [a.user_id],
            },
        )

    async def patch_seal() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            f"/api/v1/seals/{ids['seal_id']}",
            {
                "unit_id": ids["unit_id"],
                "keeper_ids": [a.user_id],
            },
        )

    async def hand_out() -> tuple[Api, str, dict[str, Any]]:
        request_id, seal_id = await pending_request()
        await a.post(f"/api/v1/requests/{request_id}/approve", json={}, expect=200)
        return (
            a,
            f"/api/v1/seals/{seal_id}/hand-out",
            {
                "request_id": request_id,
                "holder_id": applicant.user_id,
                "expected_return_at": later,
            },
        )

    def flow(approver: dict[str, Any]) -> Base:
        async def build() -> tuple[Api, str, dict[str, Any]]:
            return (
                a,
                "/api/v1/flows",
                {
                    "name": f"流程{uuid.uuid4().hex[:6]}",
                    "priority": -100,  # never chosen over the world's flow
                    "conditions": {"unit_ids": [ids["unit_id"]]},
                    "steps": [{"name": "审批", "mode": "any", "approver": approver}],
                },
            )

        return build

    def put_flow(approver: dict[str, Any]) -> Base:
        async def build() -> tuple[Api, str, dict[str, Any]]:
            _, _, body = await flow(approver)()
            created = await a.post("/api/v1/flows", json=body)
            return a, f"/api/v1/flows/{created['id']}", body

        return build

    admin_unit = (await a.get(f"/api/v1/members/{a.member_id}"))["primary_unit_id"]

    async def preview() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            "/api/v1/flows/preview",
            {
                "seal_ids": [ids["seal_id"]],
                "presses": 1,
                "unit_id": admin_unit,
            },
        )

    async def new_request() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            "/api/v1/requests",
            {
                "name": "甲的申请",
                "valid_from": now.isoformat(),
                "valid_until": later,
                "document_ids": [await my_document()],
                "items": [{"seal_id": ids["seal_id"], "presses": 1}],
                "unit_id": admin_unit,
            },
        )

    async def transfer() -> tuple[Api, str, dict[str, Any]]:
        request_id, _ = await pending_request()
        keeper = await add_member(a, name="甲的同事", roles=["keeper"])
        return a, f"/api/v1/requests/{request_id}/transfer", {"to_user_id": keeper.user_id}

    async def add_approver() -> tuple[Api, str, dict[str, Any]]:
        request_id, _ = await pending_request()
        keeper = await add_member(a, name="甲的同事", roles=["keeper"])
        return a, f"/api/v1/requests/{request_id}/add-approver", {"user_id": keeper.user_id}

    def add_presses(field: str) -> Base:
        async def build() -> tuple[Api, str, dict[str, Any]]:
            request_id, seal_id = await pending_request()
            await a.post(f"/api/v1/requests/{request_id}/approve", json={}, expect=200)
            target = await first_item(a, request_id) if field == "item_id" else seal_id
            return (
                applicant,
                f"/api/v1/requests/{request_id}/add-presses",
                {
                    field: target,
                    "presses": 1,
                    "reason": "加盖",
                },
            )

        return build

    async def switch_org() -> tuple[Api, str, dict[str, Any]]:
        return a, "/api/v1/auth/switch-org", {"org_id": a.org_id}

    async def esign_application() -> tuple[Api, str, dict[str, Any]]:
        async def material() -> str:
            r = await a.call(
                "POST",
                "/api/v1/esign/materials",
                expect=201,
                files={"file": (f"{uuid.uuid4().hex}.png", image_bytes(), "image/png")},
            )
            return str(r.json()["id"])

        return (
            a,
            "/api/v1/esign/applications",
            {
                "seal_type": "contract",
                "seal_name": "甲的电子章",
                "seal_code": f"E{uuid.uuid4().hex[:8]}",
                "unit_id": ids["unit_id"],
                "design": {"shape": "round", "org_name": "甲公司", "title": "合同专用章"},
                "licence_object_id": await material(),
                "authorisation_object_id": await material(),
            },
        )

    async def esign_sealing() -> tuple[Api, str, dict[str, Any]]:
        # the employee's fresh application with the world's e-seal, approved by A's admin
        # (one of its keepers); the sealing of its document with a password confirmation
        doc = await my_document(applicant)
        req = await applicant.post(
            "/api/v1/requests",
            json={
                "name": "甲的电子用章",
                "valid_from": now.isoformat(),
                "valid_until": later,
                "document_ids": [doc],
                "items": [{"seal_id": ids["esign_seal_id"], "presses": 1}],
                "submit": True,
            },
        )
        await a.post(f"/api/v1/requests/{req['id']}/approve", json={}, expect=200)
        body = sealing_body(doc, ids["esign_seal_id"])
        return applicant, f"/api/v1/esign/requests/{req['id']}/sealings", body

    async def new_device() -> tuple[Api, str, dict[str, Any]]:
        return (
            a,
            "/api/v1/devices",
            {
                "serial": f"TI-{uuid.uuid4().hex[:12]}",
                "claim_code": "claim-ti",
                "name": "甲的设备",
                "unit_id": ids["unit_id"],
            },
        )

    async def my_device() -> str:
        _, url, body = await new_device()
        return str((await a.post(url, json=body))["device"]["id"])

    async def bind() -> tuple[Api, str, dict[str, Any]]:
        tag = uuid.uuid4().hex[:8]
        smart = await a.post(
            "/api/v1/seals",
            json={
                "kind": "smart",
                "type": "contract",
                "name": f"甲智能章{tag}",
                "code": f"AS{tag}",
                "unit_id": ids["unit_id"],
                "keeper_ids": [a.user_id],
            },
        )
        return a, f"/api/v1/devices/{await my_device()}/bind", {"seal_id": smart["id"]}

    async def transfer_device() -> tuple[Api, str, dict[str, Any]]:
        return a, f"/api/v1/devices/{await my_device()}/transfer", {"unit_id": ids["unit_id"]}

    async def offline_code() -> tuple[Api, str, dict[str, Any]]:
        return a, f"/api/v1/devices/{await my_device()}/offline-codes", {"user_id": a.user_id}

    async def fingerprint() -> tuple[Api, str, dict[str, Any]]:
        url = f"/api/v1/devices/{await my_device()}/fingerprints"
        return a, url, {"slot": 5, "user_id": a.user_id}

    role_approver = {"kind": "role", "role_id": ids["role_id"]}
    users_approver = {"kind": "users", "user_ids": [a.user_id]}
    return {
        "POST /api/v1/auth/switch-org": switch_org,
        "POST /api/v1/org/units": org_units,
        "POST /api/v1/org/units/{unit_id}/move": move,
        "PUT /api/v1/org/units/{unit_id}/supervisors": supervisors,
        "POST /api/v1/members": new_member,
        "PATCH /api/v1/members/{member_id}": patch_member,
        "POST /api/v1/seals": new_seal,
        "PATCH /api/v1/seals/{seal_id}": patch_seal,
        "POST /api/v1/seals/{seal_id}/hand-out": hand_out,
        "POST /api/v1/flows conditions.unit_ids": flow(step["approver"]),
        "POST /api/v1/flows steps.[].approver.role_id": flow(role_approver),
        "POST /api/v1/flows steps.[].approver.user_ids": flow(users_approver),
        "PUT /api/v1/flows/{flow_id} conditions.unit_ids": put_flow(step["approver"]),
        "PUT /api/v1/flows/{flow_id} steps.[].approver.role_id": put_flow(role_approver),
        "PUT /api/v1/flows/{flow_id} steps.[].approver.user_ids": put_flow(users_approver),
        "POST /api/v1/flows/preview": preview,
        "POST /api/v1/requests": new_request,
        "POST /api/v1/requests/{request_id}/transfer": transfer,
        "POST /api/v1/requests/{request_id}/add-approver": add_approver,
        "POST /api/v1/requests/{request_id}/add-presses item_id": add_presses("item_id"),
        "POST /api/v1/requests/{request_id}/add-presses seal_id": add_presses("seal_id"),
        "POST /api/v1/esign/applications": esign_application,
        "POST /api/v1/esign/requests/{request_id}/sealings": esign_sealing,
        "POST /api/v1/devices": new_device,
        "POST /api/v1/devices/{device_id}/bind": bind,
        "POST /api/v1/devices/{device_id}/transfer": transfer_device,
        "POST /api/v1/devices/{device_id}/fingerprints": fingerprint,
        "POST /api/v1/devices/{device_id}/offline-codes": offline_code,
    }


async def test_ids_of_the_other_org_in_request_bodies(client, app):
    """Each id-carrying body field (from the OpenAPI schema), B's id in it, the rest of the
    body A's own and valid: 404 or 422. The same body with A's id then succeeds, so the
    refusal was for the id and nothing else."""
    a = await register_org(client, app, org_name="甲公司")
    b = await register_org(client, app, org_name="乙公司")
    world_a, world_b = await build_world(app, a), await build_world(app, b)
    theirs = ids_of(b, world_b, await first_item(b, world_b.ids["request_id"]))
    bases = await _bases(app, a, world_a)
    fields = body_id_fields(app)
    assert len(fields) >= 15, [str(f) for f in fields]
    used = set()
    for field in fields:
        assert field.noun in NOUNS, f"{field}: which object does it name? extend NOUNS"
        key = f"{field.method} {field.route}"
        key = f"{key} {'.'.join(field.path)}" if f"{key} {'.'.join(field.path)}" in bases else key
        assert key in bases, f"{field}: no valid body of A to try it in; add one to _bases"
        used.add(key)
        who, url, body = await bases[key]()
        other = theirs[NOUNS[field.noun]]
        attempt = copy.deepcopy(body)
        assert set_at(attempt, field.path, [other] if field.many else other), (
            f"{field}: the base body has no such field"
        )
        r = await who.call(field.method, url, json=attempt)
        assert r.status_code in (404, 422, *OTHER_REFUSALS.get(key, ())), (
            f"A used B's {field.noun} in {field}: {r.status_code} {r.text[:300]}"
        )
        if r.status_code == 422 and r.json().get("code") == "validation":
            # a schema error would be a refusal for the shape, not for whose id it is
            pytest.fail(f"{field}: the body did not validate: {r.text[:300]}")
        mine = await who.call(field.method, url, json=body)
        assert mine.status_code < 300, (
            f"{field}: A's own body was refused too, so the test proved nothing: "
            f"{mine.status_code} {mine.text[:300]}"
        )
    assert used == set(bases), f"base bodies no field uses any more: {set(bases) - used}"


# ---------------------------------------------------------------- the live event stream


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real server process: SSE needs a real connection (the ASGI test transport buffers)."""
    tmp = tmp_path_factory.mktemp("stream")
    with scratch_database("sqlite", tmp) as url:
        migrate.upgrade(url)
        with running_servers(server_env(url, tmp)) as urls:
            yield urls[0], tmp


def _register(url: str, data_dir: Path, phone: str, **extra: object) -> httpx.Response:
    r = httpx.post(f"{url}/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202, r.text
    body = {
        "phone": phone,
        "code": last_sms_code(data_dir, phone),
        "password": PASSWORD,
        "real_name": "事件",
        **extra,
    }
    return httpx.post(f"{url}/api/v1/auth/register", json=body)


def test_event_stream_keeps_to_the_organisation(server):
    """A's listener gets A's events and never B's, though B's happen in between."""
    url, data_dir = server
    orgs = {}
    for name in ("甲公司", "乙公司"):
        r = _register(url, data_dir, next_phone(), create_org={"name": name})
        assert r.status_code == 201, r.text
        orgs[name] = r.json()
    a, b = orgs["甲公司"], orgs["乙公司"]
    received: list[dict[str, Any]] = []
    with (
        httpx.Client(timeout=httpx.Timeout(20.0)) as listener,
        listener.stream(
            "GET", f"{url}{STREAM}", headers={"Authorization": f"Bearer {a['token']}"}
        ) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith(": connected")

        def join(org: dict[str, Any]) -> None:
            code = org["organization"]["code"]
            assert _register(url, data_dir, next_phone(), org_code=code).status_code == 201

        def next_event() -> dict[str, Any]:
            deadline = time.monotonic() + 15
            for line in lines:
                if line.startswith("data: "):
                    event: dict[str, Any] = json.loads(line[6:])
                    return event
                assert time.monotonic() < deadline, "no event within 15 s"
            raise AssertionError("stream ended")

        join(a)  # the listener is live once A's own event arrives
        received.append(next_event())
        join(b)
        join(b)
        join(a)
        received.append(next_event())
    a_org = a["organization"]["id"]
    assert [e["org_id"] for e in received] == [a_org, a_org], received
    b_org = b["organization"]["id"]
    assert all(b_org not in json.dumps(e) for e in received)
