"""The model registry: every context's tables (from the contexts list) for Alembic and tests.

The one module besides a context itself that may import that context's `models`."""

from __future__ import annotations

from sqlalchemy import MetaData

from sealhub import contexts
from sealhub.platform.db.base import Base


def metadata() -> MetaData:
    contexts.load_models()
    return Base.metadata
