"""The import-linter contracts cover exactly the contexts listed in sealhub/contexts.py.

import-linter reads static TOML, so the list cannot generate them; this test keeps them in
step and names what is missing, with the TOML to paste."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sealhub import contexts

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = ("models", "repository")


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return list(config["contracts"])


def _private_modules(ctx: str) -> list[str]:
    """The modules of a context nobody else may import (those that exist)."""
    folder = ROOT / "sealhub" / ctx
    return [
        f"sealhub.{ctx}.{name}"
        for name in PRIVATE
        if (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()
    ]


def _snippet(ctx: str) -> str:
    modules = ", ".join(f'"{m}"' for m in _private_modules(ctx))
    return (
        "\n[[tool.importlinter.contracts]]\n"
        f'name = "{ctx} keeps its models and repository to itself"\n'
        'type = "protected"\n'
        f"protected_modules = [{modules}]\n"
        f'allowed_importers = ["sealhub.{ctx}", "sealhub.models"]\n'
    )


def test_one_protected_contract_per_context():
    protected = {
        c["allowed_importers"][0].removeprefix("sealhub."): c
        for c in _contracts()
        if c["type"] == "protected"
    }
    missing = [ctx for ctx in contexts.CONTEXTS if ctx not in protected]
    assert not missing, "add to pyproject.toml:\n" + "".join(_snippet(c) for c in missing)
    extra = sorted(set(protected) - set(contexts.CONTEXTS))
    assert not extra, f"contracts for contexts not in sealhub/contexts.py: {extra}"
    for ctx in contexts.CONTEXTS:
        contract = protected[ctx]
        assert contract["allowed_importers"] == [f"sealhub.{ctx}", "sealhub.models"], ctx
        assert sorted(contract["protected_modules"]) == _private_modules(ctx), (
            f"the contract of {ctx} must protect what exists; replace it with:\n" + _snippet(ctx)
        )


def _named(name: str) -> dict[str, Any]:
    found = [c for c in _contracts() if c["name"] == name]
    assert len(found) == 1, f"one contract named {name!r}"
    return found[0]


def test_platform_knows_every_context():
    forbidden = set(_named("platform knows no context")["forbidden_modules"])
    missing = sorted(set(contexts.packages()) - forbidden)
    assert not missing, f"add to 'platform knows no context' forbidden_modules: {missing}"


def test_every_context_is_kept_from_the_edges():
    contract = _named("contexts never import the edges")
    assert sorted(contract["source_modules"]) == sorted(contexts.packages()), (
        "'contexts never import the edges' source_modules must be exactly "
        f"{list(contexts.packages())}"
    )
    assert {"sealhub.api", "sealhub.cli", "fastapi"} <= set(contract["forbidden_modules"])
