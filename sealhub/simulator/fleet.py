"""N simulated smart seals in one asyncio process."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sealhub.devices.protocol.signing import Verifier
from sealhub.platform import clock
from sealhub.simulator import state
from sealhub.simulator.device import SimDevice
from sealhub.simulator.keys import Provisioned
from sealhub.simulator.runner import Behaviour, Broker, DeviceRunner


def wall_ms() -> int:
    return int(clock.now().timestamp() * 1000)


def build_device(
    p: Provisioned,
    *,
    breaks: Iterable[str] = (),
    no_upload: bool = False,
    seed: int | None = None,
    state_dir: Path | None = None,
) -> SimDevice:
    device = SimDevice(
        serial=p.serial,
        signer=p.signer(),
        secret=bytes.fromhex(p.device_secret_hex),
        platform=Verifier.from_hex(p.platform_public_key_hex)
        if p.platform_public_key_hex
        else None,
        clock=wall_ms,
        breaks=frozenset(breaks),
        no_upload=no_upload,
        rng=random.Random(seed),  # noqa: S311 - simulated behaviour, not secrets
    )
    if state_dir is None or not state.restore(device, state_dir):
        # §5.1: numbers never go back, even for a device that lost its state: start from
        # the clock (gaps are allowed)
        device.seq = max(device.seq, wall_ms())
    return device


@dataclass
class Fleet:
    runners: list[DeviceRunner]
    http: httpx.AsyncClient
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    state_dir: Path | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for runner in self.runners:
            self._tasks.append(loop.create_task(runner.run(self.stop)))
        if self.state_dir is not None:
            self._tasks.append(loop.create_task(self._save_every(5.0)))

    async def wait_connected(self, within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            await asyncio.gather(*(r.connected.wait() for r in self.runners))

    async def run_for(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds if seconds > 0 else None)

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.save()
        await self.http.aclose()

    def save(self) -> None:
        if self.state_dir is not None:
            for runner in self.runners:
                state.save(runner.device, self.state_dir)

    async def _save_every(self, seconds: float) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), seconds)
            await asyncio.to_thread(self.save)


def make_fleet(
    devices: list[Provisioned],
    *,
    behaviour: Behaviour | None = None,
    breaks: Iterable[str] = (),
    no_upload: bool = False,
    seed: int | None = None,
    state_dir: Path | None = None,
) -> Fleet:
    """Runners for `devices` (not started)."""
    http = httpx.AsyncClient(timeout=30)
    base = seed if seed is not None else secrets.randbits(32)
    runners = []
    for i, p in enumerate(devices):
        device = build_device(
            p, breaks=breaks, no_upload=no_upload, seed=base + i, state_dir=state_dir
        )
        runners.append(
            DeviceRunner(
                device=device,
                broker=Broker.parse(p.broker_url),
                username=p.mqtt_username,
                password=p.mqtt_password,
                http=http,
                behaviour=behaviour or Behaviour(),
                rng=random.Random(base + 10_000 + i),  # noqa: S311
            )
        )
    return Fleet(runners=runners, http=http, state_dir=state_dir)
