"""Inspection's front door: inspect a photo (the job), read results, the highlight images,
the report per application, the organisation's precision setting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.inspection import pipeline
from sealhub.inspection.compare import THRESHOLDS, Precision, Verdict
from sealhub.inspection.errors import InspectionNotFound, NotInspectedYet
from sealhub.inspection.events import PhotoInspected
from sealhub.inspection.imprint import Imprint, reference_imprint
from sealhub.inspection.models import InspectionResult, InspectionSetting
from sealhub.inspection.ocr import OcrEngine, default_engine
from sealhub.inspection.originals import OriginalPage, read_document
from sealhub.inspection.photo import decode
from sealhub.inspection.repository import ResultRepository, SettingRepository
from sealhub.inspection.schemas import ReportOut, ResultOut, SettingOut
from sealhub.notify import alerts
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.requests import service as requests_service
from sealhub.seals import service as seals_service
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime

HIGHLIGHT_PURPOSE = "inspection_highlight"
IMAGE_KINDS = frozenset({"image"})
ANOMALIES = frozenset(
    {
        Verdict.DIFFERS,
        Verdict.NOT_IN_APPLICATION,
        Verdict.BLANK,
        Verdict.NO_IMPRINT,
        Verdict.IMPRINT_OUTSIDE,
    }
)

alerts.declare_kind(
    "inspection.page_differs",
    "盖章页与审批文件不一致",
    "Stamped page differs from the approved document",
    severity="critical",
)
alerts.declare_kind(
    "inspection.page_anomaly",
    "盖章页异常（空白页、非申请文件页或印章异常）",
    "Stamped page anomaly (blank, not in the application, or imprint)",
    severity="warning",
)

_VERDICT_WORDS = {
    Verdict.MATCHES: ("一致", "matches"),
    Verdict.DIFFERS: ("内容不一致", "differs"),
    Verdict.NOT_IN_APPLICATION: ("非申请文件页", "is not a page of the application"),
    Verdict.BLANK: ("空白页", "is blank"),
    Verdict.NO_IMPRINT: ("未见印章", "shows no imprint"),
    Verdict.IMPRINT_OUTSIDE: ("印章位置异常", "has its imprint outside the expected area"),
    Verdict.UNREADABLE: ("无法识别", "is unreadable"),
}

# originals read once per process (documents never change: keyed by their hash)
_ORIGINALS: OrderedDict[str, list[OriginalPage]] = OrderedDict()
_ORIGINALS_MAX = 16


async def _originals(data: bytes, sha256: str, content_type: str) -> list[OriginalPage]:
    pages = _ORIGINALS.get(sha256)
    if pages is None:
        pages = await asyncio.to_thread(read_document, data, content_type, default_engine())
        _ORIGINALS[sha256] = pages
        while len(_ORIGINALS) > _ORIGINALS_MAX:
            _ORIGINALS.popitem(last=False)
    return pages


async def precision_of(session: AsyncSession, org_id: uuid.UUID) -> Precision:
    row = await SettingRepository(session, system_in(org_id)).current()
    return Precision(row.precision) if row is not None else Precision.STRICT


@dataclass
class Inputs:
    """What one inspection needs, read in a short transaction (OCR runs outside any)."""

    org_id: uuid.UUID
    request_id: uuid.UUID
    photo_id: uuid.UUID
    number: str
    name: str
    filename: str
    photo: bytes
    precision: Precision
    candidates: list[tuple[uuid.UUID, OriginalPage]]
    reference: Imprint | None


async def inspection_inputs(
    session: AsyncSession,
    runtime: StorageRuntime,
    org_id: uuid.UUID,
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> Inputs:
    """Read the photo, the application's pages (text layer or OCR) and the seal's image."""
    actor = system_in(org_id)
    detail = await requests_service.get_request(session, actor, request_id)
    photo, data = await requests_service.photo_content(
        session, runtime, actor, request_id, photo_id
    )
    candidates: list[tuple[uuid.UUID, OriginalPage]] = []
    for doc in detail.documents:
        _, content = await requests_service.document_content(session, runtime, actor, doc.id)
        for page in await _originals(content, doc.sha256, doc.content_type):
            candidates.append((doc.id, page))
    return Inputs(
        org_id=org_id,
        request_id=request_id,
        photo_id=photo_id,
        number=detail.number,
        name=detail.name,
        filename=photo.filename,
        photo=data,
        precision=await precision_of(session, org_id),
        candidates=candidates,
        reference=await _reference(session, runtime, actor, [i.seal_id for i in detail.items]),
    )


@dataclass
class Outcome:
    reading: pipeline.PhotoReading
    seconds: float
    engine: str
    photo_png: bytes | None
    original_png: bytes | None


def run_inspection(inputs: Inputs, engine: OcrEngine | None = None) -> Outcome:
    """The CPU part (OCR, alignment, imprint, highlight images): no database, one thread."""
    engine = engine or default_engine()
    started = time.perf_counter()
    reading = pipeline.inspect(
        inputs.photo,
        [p.chars for _, p in inputs.candidates],
        engine,
        THRESHOLDS[inputs.precision],
        reference=inputs.reference,
    )
    seconds = round(time.perf_counter() - started, 3)
    photo_png = (
        None if reading.sheet is None else pipeline.highlight(reading.sheet, reading.comparison)
    )
    original_png = None
    if reading.page_index is not None:
        page = inputs.candidates[reading.page_index][1]
        original_png = pipeline.highlight(page.image, reading.comparison, side="original")
    return Outcome(reading, seconds, engine.name, photo_png, original_png)


async def store_inspection(
    session: AsyncSession, runtime: StorageRuntime, inputs: Inputs, outcome: Outcome
) -> ResultOut:
    """Store the verdict with the application (replacing an earlier one) and raise an alert
    for an anomaly."""
    actor = system_in(inputs.org_id)
    reading = outcome.reading
    # the images first: storing sniffs them in a child process, before this transaction
    # takes any write lock (SQLite holds one writer at a time)
    highlight_id = original_id = None
    for png, name in ((outcome.photo_png, "highlight"), (outcome.original_png, "original")):
        if png is None:
            continue
        obj = await storage_service.put(
            session,
            runtime,
            actor,
            png,
            filename=f"{name}-{inputs.photo_id}.png",
            purpose=HIGHLIGHT_PURPOSE,
            allowed_kinds=IMAGE_KINDS,
        )
        if name == "highlight":
            highlight_id = obj.id
        else:
            original_id = obj.id
    repo = ResultRepository(session, actor)
    row = await repo.of_photo(inputs.photo_id)
    if row is None:
        row = InspectionResult(
            org_id=inputs.org_id, request_id=inputs.request_id, photo_id=inputs.photo_id
        )
        session.add(row)
    before = None if row.verdict is None else {"verdict": row.verdict}
    matched = None if reading.page_index is None else inputs.candidates[reading.page_index]
    row.status = "done"
    row.verdict = reading.verdict
    row.document_id = None if matched is None else matched[0]
    row.page = None if matched is None else matched[1].number
    row.similarity = None if reading.comparison is None else reading.comparison.similarity
    row.precision = inputs.precision
    row.engine = outcome.engine
    row.details = pipeline.summary(reading)
    row.seconds = outcome.seconds
    row.inspected_at = clock.now()
    row.highlight_object_id = highlight_id
    row.original_object_id = original_id
    await session.flush()
    zh, en = _VERDICT_WORDS[reading.verdict]
    where = "" if row.page is None else f"（第 {row.page} 页）"
    where_en = "" if row.page is None else f" (page {row.page})"
    await audit.record(
        session,
        actor,
        "inspection.inspect",
        "photo",
        inputs.photo_id,
        summary=audit.Summary(
            f"检查“{inputs.name}”（{inputs.number}）的盖章照片“{inputs.filename}”：{zh}{where}",
            f"Inspected photo “{inputs.filename}” of “{inputs.name}” ({inputs.number}): "
            f"it {en}{where_en}",
        ),
        before=before,
        after={"verdict": row.verdict, "page": row.page, "similarity": row.similarity},
        event=PhotoInspected(
            org_id=inputs.org_id,
            request_id=inputs.request_id,
            photo_id=inputs.photo_id,
            result_id=row.id,
            verdict=str(row.verdict),
            document_id=row.document_id,
            page=row.page,
        ),
    )
    if reading.verdict in ANOMALIES:
        changes = [f"{d['original']}→{d['photo']}" for d in row.details.get("differences", [])[:10]]
        await alerts.raise_alert(
            session,
            org_id=inputs.org_id,
            kind="inspection.page_differs"
            if reading.verdict == Verdict.DIFFERS
            else "inspection.page_anomaly",
            subject_type="photo",
            subject_id=inputs.photo_id,
            details={
                "verdict": str(reading.verdict),
                "page": row.page,
                "changes": changes,
                "request_number": inputs.number,
            },
            request_id=inputs.request_id,
        )
    return ResultOut.model_validate(row)


async def _reference(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, seal_ids: list[uuid.UUID]
) -> Imprint | None:
    """The first of the application's seals that has a registered imprint image."""
    for seal_id in seal_ids:
        try:
            _, data = await seals_service.get_image(session, runtime, actor, seal_id)
        except Exception:  # noqa: S112 - no image registered (or unreadable): no likeness check
            continue
        img = decode(data)
        if img is not None:
            return reference_imprint(img)
    return None


async def photos_to_inspect(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID
) -> list[uuid.UUID]:
    """Ask for the application's photos to be inspected again (the caller enqueues them)."""
    detail = await requests_service.get_request(session, actor, request_id)
    await audit.record(
        session,
        actor,
        "inspection.rerun",
        "request",
        request_id,
        summary=audit.Summary(
            f"重新检查“{detail.name}”（{detail.number}）的 {len(detail.photos)} 张盖章照片",
            f"Asked to inspect the {len(detail.photos)} photos of “{detail.name}” "
            f"({detail.number}) again",
        ),
    )
    return [p.id for p in detail.photos]


async def results(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> list[ResultOut]:
    """The inspection results of an application the actor may see."""
    await requests_service.get_request(session, actor, request_id)
    rows = await ResultRepository(session, actor).of_request(request_id)
    return [ResultOut.model_validate(r) for r in rows]


async def result(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, photo_id: uuid.UUID
) -> ResultOut:
    """The result of one photo of an application the actor may see."""
    return ResultOut.model_validate(await _row(session, actor, request_id, photo_id))


async def _row(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, photo_id: uuid.UUID
) -> InspectionResult:
    detail = await requests_service.get_request(session, actor, request_id)
    row = await ResultRepository(session, actor).of_photo(photo_id)
    if row is None or row.request_id != request_id:
        if any(p.id == photo_id for p in detail.photos):
            raise NotInspectedYet()
        raise InspectionNotFound()
    return row


async def image(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
    *,
    side: str,
) -> bytes:
    """The straightened photo (side="photo") or the original page (side="original") with
    the differences highlighted, as PNG."""
    row = await _row(session, actor, request_id, photo_id)
    object_id = row.highlight_object_id if side == "photo" else row.original_object_id
    if object_id is None:  # waiting, or nothing to show (no page matched, unreadable)
        raise NotInspectedYet() if row.status == "pending" else InspectionNotFound()
    _, data = await storage_service.get(session, runtime, system_in(actor.org_id), object_id)
    return data


async def report(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ReportOut:
    """The inspection report of an application: every photo's verdict and differences."""
    detail = await requests_service.get_request(session, actor, request_id)
    rows = await results(session, actor, request_id)
    counts: dict[str, int] = {}
    for r in rows:
        key = str(r.verdict or r.status)
        counts[key] = counts.get(key, 0) + 1
    return ReportOut(
        request_id=request_id,
        number=detail.number,
        name=detail.name,
        generated_at=clock.now(),
        precision=await precision_of(session, actor.org_id),
        counts=counts,
        anomalies=sum(1 for r in rows if r.verdict in ANOMALIES),
        results=rows,
    )


async def get_setting(session: AsyncSession, actor: Actor) -> SettingOut:
    """The organisation's precision setting."""
    return SettingOut(precision=await precision_of(session, actor.org_id))


async def set_setting(session: AsyncSession, actor: Actor, *, precision: Precision) -> SettingOut:
    """Choose how small a difference counts (strict for contracts, loose for letters)."""
    repo = SettingRepository(session, actor)
    row = await repo.current()
    before = None if row is None else {"precision": row.precision}
    if row is None:
        row = InspectionSetting(org_id=actor.org_id, precision=precision)
        session.add(row)
    row.precision = precision
    row.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "inspection.set_precision",
        "org",
        actor.org_id,
        summary=audit.Summary(
            f"将盖章页检查精度设为“{'严格' if precision == Precision.STRICT else '宽松'}”",
            f"Set the inspection precision to “{precision}”",
        ),
        before=before,
        after={"precision": str(precision)},
    )
    return SettingOut(precision=precision)


def result_summary(r: ResultOut) -> dict[str, Any]:
    return r.model_dump(mode="json")


async def queue_photo(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID, photo_id: uuid.UUID
) -> None:
    """Note a photo as waiting for inspection (idempotent: one row per photo)."""
    repo = ResultRepository(session, system_in(org_id))
    if await repo.of_photo(photo_id) is None:
        session.add(InspectionResult(org_id=org_id, request_id=request_id, photo_id=photo_id))
        await session.flush()


async def waiting(session: AsyncSession, limit: int = 20) -> list[dict[str, str]]:
    """Photos waiting for inspection in every organisation, as job arguments."""
    from sealhub.inspection.repository import pending_everywhere

    return [
        {"org_id": str(o), "request_id": str(r), "photo_id": str(p)}
        for o, r, p in await pending_everywhere(session, limit)
    ]


async def mark_failed(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID, photo_id: uuid.UUID, why: str
) -> None:
    """A photo the pipeline could not process: stop the sweep from retrying it forever."""
    actor = system_in(org_id)
    row = await ResultRepository(session, actor).of_photo(photo_id)
    if row is None:
        row = InspectionResult(org_id=org_id, request_id=request_id, photo_id=photo_id)
        session.add(row)
    row.status = "failed"
    row.details = {"error": why[:500]}
    await session.flush()
    await audit.record(
        session,
        actor,
        "inspection.fail",
        "photo",
        photo_id,
        summary=audit.Summary("盖章照片检查失败", "Inspection of a stamped-page photo failed"),
        after={"error": why[:200]},
    )
