"""Labels and colours of every lifecycle, served once so the console never restates them."""

from __future__ import annotations

import functools
from typing import Any

from sealhub import __version__, contexts
from sealhub.api.common import api_router

router = api_router("/meta", tags=["meta"])


@functools.cache
def all_labels() -> dict[str, list[dict[str, Any]]]:
    """Every context's `schemas.enum_labels()`, in the order of the contexts list."""
    labels: dict[str, list[dict[str, Any]]] = {}
    for module in contexts.modules("schemas"):
        table = getattr(module, "enum_labels", None)
        if table is None:
            continue
        mine = table()
        if clash := labels.keys() & mine.keys():
            raise RuntimeError(f"enum labels named twice: {sorted(clash)}")
        labels.update(mine)
    return labels


@router.get("/enums")
async def enums() -> dict[str, list[dict[str, Any]]]:
    """Every status, kind and type with zh/en labels and a tag colour."""
    return all_labels()


@router.get("/version")
async def version() -> dict[str, str]:
    return {"version": __version__}
