"""/api/v1 routes for smart-seal devices: provisioning, status, binding, twin, commands."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, File, Query, Request, Response, UploadFile

from sealhub.api.common import Page, api_router, idempotent, read_upload
from sealhub.api.deps import Db, PagingDep, Require, RuntimeDep
from sealhub.devices import schemas
from sealhub.devices import service as devices_service
from sealhub.devices.keys import platform_signer
from sealhub.devices.policy import CommandState, DeviceStatus
from sealhub.platform.actor import Actor
from sealhub.platform.errors import PayloadTooLarge
from sealhub.platform.types import Instant

router = api_router(tags=["devices"])

Reader = Annotated[Actor, Depends(Require("device.read"))]
Controller = Annotated[Actor, Depends(Require("device.control"))]


def broker_url_for_devices(runtime: RuntimeDep) -> str:
    s = runtime.settings
    if s.mqtt_public_url:
        return s.mqtt_public_url
    if s.mqtt_url:
        return s.mqtt_url.split("@")[-1] if "@" in s.mqtt_url else s.mqtt_url
    return f"mqtt://{s.mqtt_host}:{s.mqtt_port}"


@router.get("/devices", response_model=Page[schemas.DeviceOut])
async def list_devices(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    status: DeviceStatus | None = None,
    online: bool | None = None,
    unit_id: uuid.UUID | None = None,
    seal_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[schemas.DeviceOut]:
    """Devices with their twins; sort by created_at, name, serial or last_seen_at."""
    rows, total = await devices_service.list_devices(
        session,
        actor,
        status=status,
        online=online,
        unit_id=unit_id,
        seal_id=seal_id,
        q=q,
        paging=paging,
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/devices", status_code=201, response_model=schemas.ProvisionedOut)
async def provision(
    body: schemas.ProvisionIn, request: Request, session: Db, runtime: RuntimeDep, actor: Controller
) -> Response:
    """Register a device by serial + claim code (or QR); its credentials are shown once."""
    url = broker_url_for_devices(runtime)
    return await idempotent(
        request,
        session,
        actor,
        lambda: devices_service.provision(
            session,
            runtime.envelope,
            actor,
            data=body,
            broker_url=url,
            platform_public_hex=platform_signer(runtime.envelope).public_hex,
        ),
    )


@router.get("/devices/{device_id}", response_model=schemas.DeviceOut)
async def get_device(device_id: uuid.UUID, session: Db, actor: Reader) -> schemas.DeviceOut:
    """One device with its twin."""
    return await devices_service.get_device(session, actor, device_id)


@router.post("/devices/{device_id}/suspend", response_model=schemas.DeviceOut)
async def suspend(
    device_id: uuid.UUID, body: schemas.ReasonIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Suspend a device (no connection, no commands)."""
    return await devices_service.suspend(session, actor, device_id, reason=body.reason)


@router.post("/devices/{device_id}/resume", response_model=schemas.DeviceOut)
async def resume(
    device_id: uuid.UUID, body: schemas.ReasonIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Put a suspended device back in service."""
    return await devices_service.resume(session, actor, device_id, reason=body.reason)


@router.post("/devices/{device_id}/decommission", response_model=schemas.DeviceOut)
async def decommission(
    device_id: uuid.UUID, body: schemas.ReasonIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Retire a device for good."""
    return await devices_service.decommission(session, actor, device_id, reason=body.reason)


@router.post("/devices/{device_id}/transfer", response_model=schemas.DeviceOut)
async def transfer(
    device_id: uuid.UUID, body: schemas.TransferIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Move a device to another unit."""
    return await devices_service.transfer(
        session, actor, device_id, unit_id=body.unit_id, reason=body.reason
    )


@router.post("/devices/{device_id}/bind", response_model=schemas.DeviceOut)
async def bind(
    device_id: uuid.UUID, body: schemas.BindIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Put a smart seal in the device (a swap is recorded and raises an alert)."""
    return await devices_service.bind(
        session, actor, device_id, seal_id=body.seal_id, reason=body.reason
    )


@router.post("/devices/{device_id}/unbind", response_model=schemas.DeviceOut)
async def unbind(
    device_id: uuid.UUID, body: schemas.ReasonIn, session: Db, actor: Controller
) -> schemas.DeviceOut:
    """Take the seal out of the device."""
    return await devices_service.unbind(session, actor, device_id, reason=body.reason)


@router.get("/devices/{device_id}/bindings", response_model=list[schemas.BindingOut])
async def bindings(device_id: uuid.UUID, session: Db, actor: Reader) -> list[schemas.BindingOut]:
    """The seals the device held, newest first."""
    return await devices_service.bindings(session, actor, device_id)


@router.get("/devices/{device_id}/telemetry", response_model=list[schemas.TelemetryOut])
async def telemetry(
    device_id: uuid.UUID,
    session: Db,
    actor: Reader,
    since: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[schemas.TelemetryOut]:
    """Heartbeats (battery, ink, signal...), newest first, thinned out as they age."""
    when: datetime | None = since
    return await devices_service.telemetry(session, actor, device_id, since=when, limit=limit)


@router.get("/devices/{device_id}/events", response_model=Page[schemas.DeviceEventOut])
async def device_events(
    device_id: uuid.UUID,
    session: Db,
    actor: Reader,
    paging: PagingDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[schemas.DeviceEventOut]:
    """The device's journal: stamps, alarms, unlocks; newest first."""
    rows, total = await devices_service.device_events(
        session, actor, device_id, kind=kind, paging=paging
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/requests/{request_id}/device-events", response_model=Page[schemas.DeviceEventOut])
async def request_device_events(
    request_id: uuid.UUID, session: Db, actor: Reader, paging: PagingDep
) -> Page[schemas.DeviceEventOut]:
    """The presses (with photos) smart seals reported for an application."""
    rows, total = await devices_service.request_events(session, actor, request_id, paging=paging)
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/devices/{device_id}/commands", response_model=Page[schemas.CommandOut])
async def list_commands(
    device_id: uuid.UUID,
    session: Db,
    actor: Reader,
    paging: PagingDep,
    state: CommandState | None = None,
) -> Page[schemas.CommandOut]:
    """The device's commands and their states, newest first."""
    rows, total = await devices_service.list_commands(
        session, actor, device_id, state=state, paging=paging
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/devices/{device_id}/commands", status_code=201, response_model=schemas.CommandOut)
async def create_command(
    device_id: uuid.UUID,
    body: schemas.CommandIn,
    request: Request,
    session: Db,
    actor: Controller,
) -> Response:
    """Send a command (lock, unlock, mode, camera, config, time sync, reboot...)."""
    return await idempotent(
        request,
        session,
        actor,
        lambda: devices_service.create_command(
            session,
            actor,
            device_id,
            kind=body.kind,
            params=body.params,
            timeout_seconds=body.timeout_seconds,
        ),
    )


@router.post("/devices/{device_id}/commands/{command_id}/cancel", response_model=schemas.CommandOut)
async def cancel_command(
    device_id: uuid.UUID, command_id: uuid.UUID, session: Db, actor: Controller
) -> schemas.CommandOut:
    """Cancel a command the device has not acknowledged."""
    return await devices_service.cancel_command(session, actor, device_id, command_id)


@router.post("/devices/{device_id}/commands/{command_id}/retry", response_model=schemas.CommandOut)
async def retry_command(
    device_id: uuid.UUID, command_id: uuid.UUID, session: Db, actor: Controller
) -> schemas.CommandOut:
    """Send a failed, timed-out or cancelled command again."""
    return await devices_service.retry_command(session, actor, device_id, command_id)


@router.get("/devices/{device_id}/fingerprints", response_model=list[schemas.FingerprintOut])
async def list_fingerprints(
    device_id: uuid.UUID, session: Db, actor: Reader
) -> list[schemas.FingerprintOut]:
    """Fingerprint slots (0-99) and the members they belong to."""
    return await devices_service.list_fingerprints(session, actor, device_id)


@router.post(
    "/devices/{device_id}/fingerprints", status_code=201, response_model=schemas.FingerprintOut
)
async def enrol_fingerprint(
    device_id: uuid.UUID, body: schemas.FingerprintIn, session: Db, actor: Controller
) -> schemas.FingerprintOut:
    """Bind a slot to a member; the device enrols the finger presented next."""
    return await devices_service.enrol_fingerprint(
        session, actor, device_id, slot=body.slot, user_id=body.user_id
    )


@router.delete(
    "/devices/{device_id}/fingerprints/{fingerprint_id}", response_model=schemas.CommandOut
)
async def delete_fingerprint(
    device_id: uuid.UUID, fingerprint_id: uuid.UUID, session: Db, actor: Controller
) -> schemas.CommandOut:
    """Free a fingerprint slot: the device deletes the template it holds there."""
    return await devices_service.delete_fingerprint(session, actor, device_id, fingerprint_id)


@router.get("/requests/{request_id}/device-codes", response_model=list[schemas.ApplicationCodeOut])
async def application_codes(
    request_id: uuid.UUID,
    session: Db,
    actor: Annotated[Actor, Depends(Require("request.create"))],
) -> list[schemas.ApplicationCodeOut]:
    """The applicant's codes to type on the smart seals of their application."""
    return await devices_service.application_codes(session, actor, request_id)


@router.post(
    "/devices/{device_id}/offline-codes", status_code=201, response_model=schemas.OfflineCodeOut
)
async def offline_code(
    device_id: uuid.UUID,
    body: schemas.OfflineCodeIn,
    session: Db,
    runtime: RuntimeDep,
    actor: Annotated[Actor, Depends(Require("device.read", "seal.custody"))],
) -> schemas.OfflineCodeOut:
    """A one-time unlock code a keeper reads out to a device with no network."""
    return await devices_service.offline_code(
        session, runtime, actor, device_id, user_id=body.user_id
    )


@router.put("/device-media/{token}", status_code=204, response_class=Response)
async def upload_media(token: str, request: Request, session: Db, runtime: RuntimeDep) -> Response:
    """A device uploads a granted photo (the URL is the credential: one use, short-lived)."""
    data = await request.body()
    if len(data) > runtime.settings.max_upload_bytes:
        raise PayloadTooLarge(limit=runtime.settings.max_upload_bytes)
    await devices_service.receive_upload(session, runtime, token, data)
    return Response(status_code=204)


@router.get("/devices/{device_id}/photo", response_class=Response)
async def photo(
    device_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: Reader,
    sha256: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> Response:
    """A photo the device uploaded (stamped page, unlock), by its SHA-256."""
    content_type, data = await devices_service.photo(session, runtime, actor, device_id, sha256)
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/devices/{device_id}/bundles", response_model=schemas.ImportedOut)
async def import_bundle(
    device_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: Controller,
    file: Annotated[UploadFile, File()],
) -> schemas.ImportedOut:
    """Import an offline bundle (no-upload edition): verified in full, all or nothing."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    done = await devices_service.import_bundle(session, actor, device_id, data)
    return schemas.ImportedOut.model_validate(done)
