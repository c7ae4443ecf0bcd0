"""Imports a module that does not exist: the start must fail, not drop this context's events."""

from __future__ import annotations

import sealhub_no_such_module  # noqa: F401  # type: ignore[import-not-found]
