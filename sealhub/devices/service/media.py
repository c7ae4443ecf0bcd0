"""Media from devices (photos of stamped pages, unlock photos) and codes for people:
upload grants redeemed once, application codes, one-time offline codes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import keys, repository
from sealhub.devices.errors import MediaNotFound, NotMember, UploadNotFound, UploadRefused
from sealhub.devices.protocol import otc
from sealhub.devices.repository import DeviceRepository
from sealhub.devices.schemas import ApplicationCodeOut, OfflineCodeOut
from sealhub.devices.service._common import TARGET, label, label_en
from sealhub.devices.service.fleet import open_secret
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.errors import Forbidden
from sealhub.requests import service as requests_service
from sealhub.seals.schemas import SealKind
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime

PHOTO_PURPOSE = "device_photo"


async def receive_upload(
    session: AsyncSession, runtime: StorageRuntime, token: str, data: bytes
) -> str:
    """A device PUTs the bytes of a granted upload: checked against the grant's SHA-256 and
    size, then encrypted into the object store. Returns the SHA-256."""
    grant = await repository.grant_by_token(session, hashlib.sha256(token.encode()).hexdigest())
    now = clock.now()
    if grant is None:
        raise UploadNotFound()
    if grant.expires_at < now:
        raise UploadRefused(reason="expired")
    if grant.object_id is not None:
        raise UploadRefused(reason="used")
    if len(data) != grant.size:
        raise UploadRefused(reason="size")
    if hashlib.sha256(data).hexdigest() != grant.sha256:
        raise UploadRefused(reason="sha256")
    actor = system_in(grant.org_id)
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=f"{grant.sha256[:16]}.{_suffix(grant.content_type)}",
        purpose=PHOTO_PURPOSE,
        allowed_kinds=frozenset({"image"}),
    )
    grant.object_id, grant.uploaded_at = obj.id, now
    await session.flush()
    await audit.record(
        session,
        actor,
        "device.upload",
        TARGET,
        grant.device_id,
        summary=audit.Summary(
            f"设备上传照片（SHA-256 {grant.sha256[:12]}…）",
            f"Device uploaded a photo (SHA-256 {grant.sha256[:12]}…)",
        ),
        after={"sha256": grant.sha256, "object_id": str(obj.id), "size": grant.size},
    )
    return grant.sha256


def _suffix(content_type: str) -> str:
    return {"image/png": "png", "image/webp": "webp"}.get(content_type, "jpg")


async def application_codes(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID
) -> list[ApplicationCodeOut]:
    """The applicant's codes to type on the smart seals of an approved application."""
    req = await requests_service.get_request(session, actor, request_id)
    if req.applicant_id != actor.user_id:
        raise Forbidden()
    return [
        ApplicationCodeOut(
            item_id=i.id,
            seal_id=i.seal_id,
            code=keys.application_code(req.id, i.id, actor.user_id),
        )
        for i in req.items
        if i.seal_kind == SealKind.SMART
    ]


async def offline_code(
    session: AsyncSession,
    envelope_holder: StorageRuntime,
    actor: Actor,
    device_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
) -> OfflineCodeOut:
    """A one-time code a keeper reads out to a device with no network (single use on the
    device, valid for 30 minutes)."""
    device = await DeviceRepository(session, actor).get(device_id)
    info = (await identity_service.members_info(session, actor.org_id, [user_id])).get(user_id)
    if info is None or info.status != "active":
        raise NotMember()
    secret = open_secret(envelope_holder.envelope, device)
    now = clock.now()
    now_ms = int(now.timestamp() * 1000)
    code = otc.issue(secret, device.serial, str(user_id), now_ms)
    slot_end = (otc.slot_of(now_ms) + otc.SLOTS_VALID) * otc.SLOT_S
    valid_until = now + timedelta(seconds=slot_end - now_ms // 1000)
    await audit.record(
        session,
        actor,
        "device.issue_code",
        TARGET,
        device.id,
        summary=audit.Summary(
            f"为设备{label(device)}签发一次性开锁码（使用人 {info.real_name}）",
            f"Issued a one-time unlock code for {label_en(device)} (for {info.real_name})",
        ),
        after={"user_id": str(user_id), "valid_until": valid_until.isoformat()},
    )
    return OfflineCodeOut(code=code, valid_until=valid_until)


async def photo(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    device_id: uuid.UUID,
    sha256: str | None,
) -> tuple[str, bytes]:
    """A photo a device uploaded, by its SHA-256 (content type, bytes)."""
    await DeviceRepository(session, actor).get(device_id)
    found = await repository.uploaded_objects(session, device_id, [sha256] if sha256 else [])
    if sha256 is None or sha256 not in found:
        raise MediaNotFound()
    obj, data = await storage_service.get(session, runtime, actor, found[sha256])
    return obj.content_type, data
