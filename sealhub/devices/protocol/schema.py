"""JSON Schemas (draft 2020-12) of every message kind, generated from the dataclasses.

The shipped files in `schemas/` are what device makers read; `python -m
sealhub.devices.protocol.schema` regenerates them and a test keeps them in step.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

from sealhub.devices.protocol import messages as m

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_I64 = {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}


def type_schema(tp: Any) -> dict[str, Any]:
    if tp is int:
        return dict(_I64)
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is Any:
        return {}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return {"anyOf": [type_schema(inner), {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1])}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return object_schema(tp)
    raise TypeError(f"unsupported type {tp!r}")


def object_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    variants = {f: spec for (c, f), spec in m.VARIANTS.items() if c is cls}
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        props[f.name] = {"type": "object"} if f.name in variants else type_schema(hints[f.name])
        if f.default is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    for name, (key, table) in variants.items():
        props[key] = {"enum": list(table)}
        out["allOf"] = [
            {
                "if": {"properties": {key: {"const": tag}}},
                "then": {"properties": {name: object_schema(sub)}},
            }
            for tag, sub in table.items()
        ]
    return out


def envelope_schema(direction: str, kind: str) -> dict[str, Any]:
    body = m.KINDS[(direction, kind)]
    return {
        "$schema": DRAFT,
        "$id": f"https://sealhub.dev/schemas/device/v1/{direction}.{kind}.json",
        "title": f"SealHub device protocol v1: {direction}/{kind}",
        "type": "object",
        "properties": {
            "v": {"const": m.VERSION},
            "kind": {"const": kind},
            "device": {"type": "string", "pattern": "^[A-Za-z0-9_-]{4,64}$"},
            "seq": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
            "ts": dict(_I64),
            "body": object_schema(body),
            "sig": {"type": "string", "pattern": "^[A-Za-z0-9_-]{86}$"},
        },
        "required": ["v", "kind", "device", "seq", "ts", "body", "sig"],
        "additionalProperties": False,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every kind."""
    return {f"{d}.{k}.json": envelope_schema(d, k) for d, k in m.KINDS}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def load(direction: str, kind: str) -> dict[str, Any]:
    """The shipped schema of one kind."""
    text = resources.files(__package__).joinpath("schemas", f"{direction}.{kind}.json")
    loaded: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return loaded


def write(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, schema in all_schemas().items():
        (folder / name).write_text(render(schema), "utf-8")
        names.append(name)
    return names


if __name__ == "__main__":
    written = write(Path(__file__).parent / "schemas")
    print(f"wrote {len(written)} schemas")
