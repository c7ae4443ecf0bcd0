"""Request dependencies: one transaction per request, authentication, permissions, paging."""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.api.problems import locale_of
from sealhub.identity import service as identity_service
from sealhub.identity.errors import CsrfFailed, NoMembership
from sealhub.platform.actor import Actor
from sealhub.platform.db import appends
from sealhub.platform.errors import Forbidden, Unauthenticated, ValidationFailed
from sealhub.platform.runtime import Runtime

SESSION_COOKIE = "sealhub_session"
CSRF_COOKIE = "sealhub_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the reply is sent.

    Safe methods read on an autocommit connection with no transaction to open or commit;
    the rare write one makes (an API key's last use, an audit entry) is still committed.
    """
    db = request.app.state.runtime.db
    async with db.gate or contextlib.nullcontext():
        if request.method in SAFE_METHODS:
            async with db.read_sessions() as session:
                yield session
                if session.new or session.dirty or session.deleted or appends.pending(session):
                    await session.commit()
            return
        async with db.sessions() as session, session.begin():
            yield session


# scope="function": the commit runs before the response, so "done" is never a lie
Db = Annotated[AsyncSession, Depends(db_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def bearer_or_cookie(request: Request) -> tuple[str | None, bool]:
    """The credential and whether it came from the cookie (which needs CSRF)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


async def current_auth(request: Request, session: Db) -> identity_service.Authenticated:
    token, from_cookie = bearer_or_cookie(request)
    if not token:
        raise Unauthenticated()
    runtime = get_runtime(request)
    auth = await identity_service.authenticate(session, runtime, token)
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not auth.csrf_token or not hmac.compare_digest(sent, auth.csrf_token):
            raise CsrfFailed()
    return auth


Auth = Annotated[identity_service.Authenticated, Depends(current_auth)]


async def current_actor(request: Request, auth: Auth) -> Actor:
    if auth.actor is None:
        raise NoMembership()
    return dataclasses.replace(
        auth.actor,
        ip=client_ip(request),
        client=request.headers.get("user-agent", "")[:255],
        locale=locale_of(request),
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]


class Require:
    """Dependency asserting permissions; routes are introspected for `.permissions`."""

    def __init__(self, *permissions: str) -> None:
        self.permissions = permissions

    async def __call__(self, actor: CurrentActor) -> Actor:
        for permission in self.permissions:
            if not actor.can(permission):
                raise Forbidden()
        return actor

    def __repr__(self) -> str:
        return f"Require{self.permissions}"


@dataclasses.dataclass(frozen=True)
class Paging:
    page: int
    page_size: int
    sort: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def sort_key(self, allowed: set[str], default: str) -> tuple[str, bool]:
        """(field, descending) from `sort=-created_at`; unknown fields are an error."""
        raw = self.sort or default
        desc = raw.startswith("-")
        field = raw.lstrip("-+")
        if field not in allowed:
            raise ValidationFailed(reason="unknown_sort", value=field)
        return field, desc


def paging(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
    sort: Annotated[str | None, Query(max_length=40, pattern=r"^[-+]?[a-z_]+$")] = None,
) -> Paging:
    return Paging(page=page, page_size=page_size, sort=sort)


PagingDep = Annotated[Paging, Depends(paging)]
