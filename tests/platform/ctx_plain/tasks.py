"""One job declared in `tasks.py` (the other accepted name besides `jobs.py`)."""

from __future__ import annotations

from sealhub.platform.jobs import job
from sealhub.platform.runtime import Runtime


@job("tests_plain.noop")
async def noop(runtime: Runtime) -> str:
    return "done"
