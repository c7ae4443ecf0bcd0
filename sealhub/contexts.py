"""The one list of bounded contexts; everything wired per context is found from it.

Adding a context is adding its name to `CONTEXTS` (and its contract to pyproject.toml, which
`tests/test_architecture_contexts.py` checks). From each `sealhub.<ctx>` package, by
convention, when the file exists:

    models.py            its tables (sealhub.models, Alembic, tests)
    events.py            its typed events (declared, so the relay knows them)
    handlers.py          outbox event handlers (`@events.on(...)`)
    jobs.py / tasks.py   background jobs (`@jobs.job(...)`, `@jobs.periodic`)
    schemas.py           `enum_labels()` for /api/v1/meta/enums
    errors.py            its error codes (docs/api.md)

A module whose file exists but fails to import stops the start: an event handler that did
not load would otherwise lose its events silently.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from types import ModuleType

CONTEXTS: tuple[str, ...] = (
    "identity",
    "seals",
    "requests",
    "storage",
    "analytics",
    "notify",
    "devices",
)

# platform modules that hold tables or jobs of their own
PLATFORM_MODELS: tuple[str, ...] = (
    "sealhub.platform.events",
    "sealhub.platform.audit",
    "sealhub.platform.idempotency",
)
PLATFORM_JOBS: tuple[str, ...] = ("sealhub.platform.maintenance",)


def packages() -> tuple[str, ...]:
    return tuple(f"sealhub.{ctx}" for ctx in CONTEXTS)


def module(package: str, name: str) -> ModuleType | None:
    """`<package>.<name>` imported if its file exists, else None; import errors propagate."""
    full = f"{package}.{name}"
    # find_spec imports the package (which must exist) but not the module itself
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def modules(name: str, pkgs: Iterable[str] | None = None) -> list[ModuleType]:
    """Every context's `<name>` module that exists, in the order of the list."""
    found = (module(pkg, name) for pkg in (packages() if pkgs is None else pkgs))
    return [m for m in found if m is not None]


def load_models(pkgs: Iterable[str] | None = None) -> None:
    for name in PLATFORM_MODELS:
        importlib.import_module(name)
    modules("models", pkgs)


def load_handlers_and_jobs(pkgs: Iterable[str] | None = None) -> None:
    """Import what registers handlers, jobs and periodic tasks (platform's jobs included)."""
    for name in PLATFORM_JOBS:
        importlib.import_module(name)
    pkgs = packages() if pkgs is None else tuple(pkgs)
    for name in ("events", "handlers", "jobs", "tasks"):
        modules(name, pkgs)
