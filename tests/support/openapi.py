"""Walk the app's OpenAPI schema: which request fields and query parameters carry ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

Path = tuple[str, ...]  # field path; "[]" steps into every element of a list


@dataclass(frozen=True)
class IdField:
    method: str
    route: str
    path: Path

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def many(self) -> bool:
        return self.name.endswith("_ids")

    @property
    def noun(self) -> str:
        """`keeper_ids` → keeper, `steps.[].approver.role_id` → role."""
        return self.name.removesuffix("_ids").removesuffix("_id")

    def __str__(self) -> str:
        return f"{self.method} {self.route} {'.'.join(self.path)}"


def _is_id(name: str, schema: dict[str, Any]) -> bool:
    if name.endswith(("_id", "_ids")):
        return True
    return schema.get("format") == "uuid" or any(
        s.get("format") == "uuid" for s in schema.get("anyOf", [])
    )


def body_id_fields(app: FastAPI) -> list[IdField]:
    """Every JSON request-body field (nested in objects and lists too) that carries ids."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(schema: dict[str, Any], at: Path, out: list[Path], depth: int = 0) -> None:
        schema = resolve(schema)
        if depth > 8:
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, at, out, depth + 1)
        if schema.get("type") == "array" and "items" in schema:
            walk(schema["items"], (*at, "[]"), out, depth + 1)
        for name, prop in schema.get("properties", {}).items():
            if _is_id(name, resolve(prop)):
                if (*at, name) not in out:
                    out.append((*at, name))
            else:
                walk(prop, (*at, name), out, depth + 1)

    fields = []
    for route, ops in spec["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            found: list[Path] = []
            walk(content["application/json"]["schema"], (), found)
            fields += [IdField(method.upper(), route, p) for p in found]
    return fields


@dataclass(frozen=True)
class QueryParam:
    route: str
    name: str
    enum: tuple[str, ...]
    carries_id: bool


def list_query_params(app: FastAPI) -> dict[str, list[QueryParam]]:
    """GET routes without path parameters → their query parameters."""
    spec = app.openapi()
    out: dict[str, list[QueryParam]] = {}
    for route, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None or "{" in route:
            continue
        params = []
        for p in op.get("parameters", []):
            if p["in"] != "query":
                continue
            schema = p.get("schema", {})
            enum = tuple(schema.get("enum", ()))
            params.append(QueryParam(route, p["name"], enum, _is_id(p["name"], schema)))
        out[route] = params
    return out


def set_at(body: Any, path: Path, value: Any) -> bool:
    """Set `value` at `path` in a copy-on-write-free way (mutates); False when absent."""
    head, rest = path[0], path[1:]
    if head == "[]":
        if not isinstance(body, list) or not body:
            return False
        return all(set_at(item, rest, value) for item in body)
    if not isinstance(body, dict):
        return False
    if not rest:
        if head not in body:
            return False
        body[head] = value
        return True
    return head in body and set_at(body[head], rest, value)
