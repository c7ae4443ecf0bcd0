"""The OpenAPI document tells the truth about errors: every operation declares its error
statuses as application/problem+json, and replies keep to it (issue 8, defect 10)."""

from __future__ import annotations

import json

from tests.builders import register_org

PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


async def test_every_error_is_declared_as_problem_json(client):
    doc = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in json.dumps(doc)
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "code"}
    for path, method, op in _operations(doc):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        for status in ("400", "401", "403", "404", "422", "500"):
            assert status in errors, (method, path, status)
        if method != "get":
            assert "409" in errors and "429" in errors, (method, path)
        if "requestBody" in op:
            assert "413" in errors and "415" in errors, (method, path)
        for status, reply in errors.items():
            assert list(reply["content"]) == [PROBLEM], (method, path, status)
            assert reply["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


async def test_error_replies_match_what_is_declared(client, app):
    doc = (await client.get("/openapi.json")).json()
    admin = await register_org(client, app)
    cases = [
        ("GET", "/api/v1/seals", None, None),  # 401 with a made-up token
        ("GET", "/api/v1/seals/00000000-0000-7000-8000-000000000000", admin, None),  # 404
        ("POST", "/api/v1/org/units", admin, {"name": 5}),  # 422
        ("POST", "/api/v1/org/units", admin, b"{oops"),  # 400
    ]
    for method, path, api, body in cases:
        kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
        if isinstance(body, bytes):
            kwargs["headers"] = {"content-type": "application/json"}
        bad_token = {"Authorization": "Bearer not-a-token"}
        r = await (
            api.call(method, path, **kwargs)
            if api
            else client.request(method, path, headers=bad_token)
        )
        assert r.status_code >= 400
        assert r.headers["content-type"].startswith(PROBLEM)
        template = next(
            p for p in doc["paths"] if _matches(p, path) and method.lower() in doc["paths"][p]
        )
        declared = doc["paths"][template][method.lower()]["responses"]
        assert str(r.status_code) in declared, (method, path, r.status_code)
        assert PROBLEM in declared[str(r.status_code)]["content"]


def _matches(template: str, path: str) -> bool:
    a, b = template.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b))
