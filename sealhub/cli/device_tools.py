"""The code behind `sealhub devices import-bundle` and `mosquitto-passwd`."""

from __future__ import annotations

from sealhub.app import build_runtime
from sealhub.devices import service as devices_service
from sealhub.platform.errors import AppError
from sealhub.platform.settings import get_settings


async def import_bundle_file(data: bytes) -> tuple[int, str]:
    """(exit code, message): 0 when stored, 1 when rejected (nothing stored)."""
    runtime = build_runtime(get_settings())
    try:
        from sealhub import contexts

        contexts.load_models()
        async with runtime.transaction() as session:
            done = await devices_service.import_bundle_as_system(session, data)
        return 0, (
            f"imported {done.records} records ({done.first}-{done.last}): "
            f"{done.stored} new, {done.already} already stored"
        )
    except AppError as exc:
        return 1, f"rejected: {exc.title('en')}"
    finally:
        await runtime.close()


async def mosquitto_lines() -> str:
    runtime = build_runtime(get_settings())
    try:
        from sealhub import contexts

        contexts.load_models()
        async with runtime.db.read_sessions() as session:
            return await devices_service.mosquitto_passwords(session)
    finally:
        await runtime.close()
