"""platform.db.repository: one paging helper and one get_many by ids for every context."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from sealhub.identity import service as identity_service
from sealhub.identity.errors import RoleNotFound
from sealhub.identity.models import Role
from sealhub.identity.repository import RoleRepository
from sealhub.platform.db.repository import page
from tests.builders import register_org


async def _actor(app, api):
    runtime = app.state.runtime
    async with runtime.db.sessions() as session:
        found = await identity_service.authenticate(session, runtime, api.token)
    assert found.actor is not None
    return found.actor


async def test_get_many_keeps_the_order_given_and_refuses_what_it_cannot_see(app, client):
    mine = await register_org(client, app)
    theirs = await register_org(client, app)
    actor, other = await _actor(app, mine), await _actor(app, theirs)
    async with app.state.runtime.db.sessions() as session:
        roles = list(
            await session.scalars(
                select(Role).where(Role.org_id == actor.org_id).order_by(Role.name)
            )
        )
        foreign = await session.scalar(select(Role).where(Role.org_id == other.org_id))
        assert foreign is not None
        repo = RoleRepository(session, actor)
        wanted = [roles[2].id, roles[0].id, roles[2].id]
        got = await repo.get_many(wanted, scoped=False)
        assert [r.id for r in got] == [roles[2].id, roles[0].id]
        assert await repo.get_many([]) == []
        with pytest.raises(RoleNotFound):
            await repo.get_many([roles[0].id, foreign.id], scoped=False)
        with pytest.raises(RoleNotFound):
            await repo.get_many([uuid.uuid4()], scoped=False)


async def test_page_counts_every_row_and_returns_one_slice(app, client):
    admin = await register_org(client, app)
    actor = await _actor(app, admin)
    async with app.state.runtime.db.sessions() as session:
        stmt = RoleRepository(session, actor).tenant()
        everything, total = await page(session, stmt, [Role.name, Role.id], 0, 100)
        assert total == len(everything) >= 5
        second, again = await page(session, stmt, [Role.name, Role.id], 2, 2)
        assert again == total
        assert [r.id for r in second] == [r.id for r in everything[2:4]]
