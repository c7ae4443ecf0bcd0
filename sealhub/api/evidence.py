"""The evidence log over HTTP (`/api/v1/evidence/...`): tree heads, proofs, public keys,
witnesses, store audits, and an application's evidence package."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from sealhub.api.common import Page, api_router
from sealhub.api.deps import Db, PagingDep, Require, RuntimeDep
from sealhub.evidence import schemas
from sealhub.evidence import service as evidence
from sealhub.platform.actor import Actor

router = api_router(tags=["evidence"])
Reader = Annotated[Actor, Depends(Require("evidence.read"))]
Manager = Annotated[Actor, Depends(Require("evidence.manage"))]
PackageReader = Annotated[Actor, Depends(Require("evidence.read", "request.read"))]


@router.get("/evidence/heads", response_model=Page[schemas.HeadOut])
async def list_heads(session: Db, actor: Reader, paging: PagingDep) -> Page[schemas.HeadOut]:
    """Every signed tree head ever issued, newest first."""
    rows, total = await evidence.list_heads(
        session, actor, offset=paging.offset, limit=paging.page_size
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/evidence/heads/latest", response_model=schemas.HeadOut | None)
async def latest_head(session: Db, actor: Reader) -> schemas.HeadOut | None:
    """The newest signed tree head (its `note` is the checkpoint as signed); null before the
    first."""
    return await evidence.latest_head(session, actor)


@router.get("/evidence/keys")
async def public_keys(session: Db, actor: Reader) -> list[dict[str, Any]]:
    """The log's public keys, every generation."""
    return await evidence.public_keys(session, actor)


@router.post("/evidence/keys/rotate", status_code=201)
async def rotate_keys(
    body: schemas.RotateIn, session: Db, runtime: RuntimeDep, actor: Manager
) -> dict[str, Any]:
    """Start a new key pair; the old one co-signs until the overlap ends."""
    return await evidence.rotate_keys(
        session, actor, runtime.envelope, overlap_hours=body.overlap_hours
    )


@router.get("/evidence/inclusion", response_model=schemas.InclusionProof | None)
async def inclusion_proof(
    session: Db,
    actor: Reader,
    record_id: uuid.UUID | None = None,
    tree_size: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> schemas.InclusionProof | None:
    """The inclusion proof of a record (an audit entry's or event's id) in a signed tree head
    (the latest unless `tree_size`); null without `record_id`."""
    return await evidence.inclusion_proof(session, actor, record_id, tree_size=tree_size)


@router.get("/evidence/consistency", response_model=schemas.ConsistencyProof | None)
async def consistency_proof(
    session: Db,
    actor: Reader,
    first: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    second: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> schemas.ConsistencyProof | None:
    """That the tree of size `second` (default: the latest head) extends the one of size
    `first` (default: the head before it); null before the first head."""
    return await evidence.consistency_proof(session, actor, first, second)


@router.get("/evidence/witnesses", response_model=list[schemas.WitnessOut])
async def list_witnesses(session: Db, actor: Reader) -> list[schemas.WitnessOut]:
    """Where signed heads are pushed."""
    rows = await evidence.list_witnesses(session, actor)
    return [schemas.WitnessOut.model_validate(w) for w in rows]


@router.put("/evidence/witnesses", response_model=list[schemas.WitnessOut])
async def set_witnesses(
    body: schemas.WitnessesIn, session: Db, actor: Manager
) -> list[schemas.WitnessOut]:
    """Replace the witnesses (a kept target keeps its delivery state)."""
    rows = await evidence.set_witnesses(session, actor, body.witnesses)
    return [schemas.WitnessOut.model_validate(w) for w in rows]


@router.get("/evidence/audit", response_model=schemas.AuditOut | None)
async def last_audit(session: Db, actor: Reader) -> schemas.AuditOut | None:
    """The result of the last store audit (`sealhub evidence audit`)."""
    return await evidence.last_audit(session, actor)


@router.get("/requests/{request_id}/evidence")
async def positions(request_id: uuid.UUID, session: Db, actor: Reader) -> list[dict[str, Any]]:
    """Where an application's records sit in the log."""
    return await evidence.positions(session, actor, request_id)


@router.get("/requests/{request_id}/evidence/package", response_class=Response)
async def package(request_id: uuid.UUID, session: Db, actor: PackageReader) -> Response:
    """The application's evidence package (zip), verifiable offline."""
    data = await evidence.package(session, actor, request_id)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{request_id}.zip"',
            "X-Content-Type-Options": "nosniff",
        },
    )
