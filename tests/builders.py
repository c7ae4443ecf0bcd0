"""Build test data the way users do: through the HTTP API."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from sealhub.identity.sms import CaptureSms

PASSWORD = "Passw0rd!x"
_counter = itertools.count(random.randint(0, 10_000_000))


def next_phone() -> str:
    """A valid, unique mainland mobile number."""
    return f"+86139{next(_counter) % 100_000_000:08d}"


def sms_code(app: FastAPI, phone: str) -> str:
    sms = app.state.runtime.sms
    assert isinstance(sms, CaptureSms)
    code = sms.last_code(phone)
    assert code, f"no SMS captured for {phone}"
    return code


@dataclass
class Api:
    """A signed-in client: bearer token, JSON in and out, status checked."""

    client: httpx.AsyncClient
    token: str
    phone: str = ""
    user_id: str = ""
    member_id: str = ""
    org_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(
        self, method: str, url: str, *, expect: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = await self.client.request(method, url, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (
                f"{method} {url} -> {response.status_code}: {response.text}"
            )
        return response

    async def get(self, url: str, expect: int | None = 200, **kw: Any) -> Any:
        return (await self.call("GET", url, expect=expect, **kw)).json()

    async def post(self, url: str, json: Any = None, expect: int | None = 201, **kw: Any) -> Any:
        r = await self.call("POST", url, json=json, expect=expect, **kw)
        return r.json() if r.content else None

    async def patch(self, url: str, json: Any = None, expect: int | None = 200, **kw: Any) -> Any:
        r = await self.call("PATCH", url, json=json, expect=expect, **kw)
        return r.json() if r.content else None

    async def put(self, url: str, json: Any = None, expect: int | None = 200, **kw: Any) -> Any:
        r = await self.call("PUT", url, json=json, expect=expect, **kw)
        return r.json() if r.content else None

    async def delete(self, url: str, expect: int | None = 204, **kw: Any) -> Any:
        r = await self.call("DELETE", url, expect=expect, **kw)
        return r.json() if r.content else None


async def login(client: httpx.AsyncClient, phone: str, password: str = PASSWORD) -> Api:
    r = await client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    assert r.status_code == 200, r.text
    api = Api(client, r.json()["token"], phone=phone)
    me = await api.get("/api/v1/auth/me")
    api.user_id = me["user"]["id"]
    api.member_id = me["member"]["id"] if me["member"] else ""
    api.org_id = me["organization"]["id"] if me["organization"] else ""
    return api


async def register_org(
    client: httpx.AsyncClient,
    app: FastAPI,
    *,
    org_name: str = "测试公司",
    real_name: str = "王管理",
) -> Api:
    """Sign up by phone + SMS code creating a new organisation; returns its admin."""
    phone = next_phone()
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202, r.text
    body = {
        "phone": phone,
        "code": sms_code(app, phone),
        "password": PASSWORD,
        "real_name": real_name,
        "create_org": {"name": org_name},
    }
    r = await client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    api = await login(client, phone)
    api.extra["org_code"] = r.json()["organization"]["code"]
    return api


async def role_ids(admin: Api, keys: list[str]) -> list[str]:
    """Ids of the organisation's built-in roles with these keys (admin, employee...)."""
    page = await admin.get("/api/v1/roles", params={"page_size": 200})
    by_key = {r["builtin_key"]: r["id"] for r in page["items"] if r["builtin_key"]}
    return [by_key[k] for k in keys]


async def add_member(
    admin: Api, *, name: str, roles: list[str], unit_ids: list[str] | None = None
) -> Api:
    """An admin adds a new person (password PASSWORD) with built-in roles; signed in."""
    phone = next_phone()
    body = {
        "real_name": name,
        "phone": phone,
        "password": PASSWORD,
        "role_ids": await role_ids(admin, roles),
        "unit_ids": unit_ids or [],
    }
    await admin.post("/api/v1/members", json=body)
    return await login(admin.client, phone)


async def create_unit(
    admin: Api, name: str, parent_id: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """A new org unit (under the root when no parent is given)."""
    body: dict[str, Any] = {"name": name}
    if parent_id is not None:
        body["parent_id"] = parent_id
    if code is not None:
        body["code"] = code
    unit: dict[str, Any] = await admin.post("/api/v1/org/units", json=body)
    return unit
