"""The demo's three smart seals: started by the server (app lifespan) unless disabled.

Reads `<data_dir>/demo-devices.json` (the demo seed writes it); returns None when the file
is absent or `SEALHUB_DEMO_SIMULATORS=0`. The devices keep retrying until the broker is up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sealhub.simulator.fleet import Fleet, make_fleet
from sealhub.simulator.keys import load_list
from sealhub.simulator.runner import Behaviour

log = logging.getLogger("sealhub.simulator")
DEMO_FILE = "demo-devices.json"

DEMO_BEHAVIOUR = Behaviour(
    heartbeat=True,
    photos=True,
    video=True,
    press_every_s=90.0,  # presses on whatever authorisation the device holds
    alarm_every_s=1800.0,
)


def start_demo_simulators(settings: Any) -> asyncio.Task[None] | None:
    """Start the demo devices in the running loop; cancel the task to stop them."""
    if not getattr(settings, "demo_simulators", True):
        return None
    path = settings.data_dir / DEMO_FILE
    if not path.exists():
        return None
    devices = load_list(path)
    if not devices:
        return None
    fleet = make_fleet(
        devices, behaviour=DEMO_BEHAVIOUR, state_dir=settings.data_dir / "simulators"
    )
    log.info("demo simulators: %s", ", ".join(d.serial for d in devices))
    return asyncio.get_running_loop().create_task(_run(fleet), name="sealhub-demo-simulators")


async def _run(fleet: Fleet) -> None:
    fleet.start()
    try:
        await fleet.stop.wait()
    finally:
        await fleet.close()
