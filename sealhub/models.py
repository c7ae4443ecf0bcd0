"""Imports every context's tables so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib

from sealhub.platform.db.base import Base

MODEL_MODULES = (
    "sealhub.platform.events",
    "sealhub.platform.audit",
    "sealhub.platform.idempotency",
    "sealhub.identity.models",
    "sealhub.storage.models",
    "sealhub.seals.models",
    "sealhub.requests.models",
)


def metadata() -> object:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return Base.metadata
