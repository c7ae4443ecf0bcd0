"""The permission cache is invalidated after the commit, never before it.

A role is removed in one transaction; before it commits, a sign-in check of that member runs
on another connection (it must still see the old rows: the change is not committed) and
caches the actor. Invalidated before the commit, that stale actor was cached under the new
version and the removed role kept working for the cache's lifetime."""

from __future__ import annotations

import uuid

from sealhub.identity import service as identity_service
from sealhub.platform.runtime import Runtime
from tests.builders import add_member, register_org, role_ids


async def test_a_removed_role_stops_working_despite_a_concurrent_sign_in_check(app, client):
    admin = await register_org(client, app)
    member = await add_member(admin, name="陈审批", roles=["approver"])
    await member.get("/api/v1/members")  # approver holds member.read
    employee = await role_ids(admin, ["employee"])
    runtime: Runtime = app.state.runtime

    async with runtime.transaction() as session:
        actor = (await identity_service.authenticate(session, runtime, admin.token)).actor
        assert actor is not None
        await identity_service.update_member(
            session,
            runtime,
            actor,
            uuid.UUID(member.member_id),
            role_ids=[uuid.UUID(r) for r in employee],
        )
        # the member's request arrives now, on another connection, before the commit
        async with runtime.db.sessions() as other:
            seen = await identity_service.authenticate(other, runtime, member.token)
            assert seen.actor is not None and seen.actor.can("member.read")

    await member.get("/api/v1/members", expect=403)


async def test_a_rolled_back_change_keeps_the_cache(app, client):
    admin = await register_org(client, app)
    member = await add_member(admin, name="林审批", roles=["approver"])
    employee = await role_ids(admin, ["employee"])
    runtime: Runtime = app.state.runtime
    await member.get("/api/v1/members")  # cached
    cached = await runtime.cache.get(f"authz:{member.org_id}")

    class Abort(Exception):
        pass

    try:
        async with runtime.transaction() as session:
            actor = (await identity_service.authenticate(session, runtime, admin.token)).actor
            assert actor is not None
            await identity_service.update_member(
                session,
                runtime,
                actor,
                uuid.UUID(member.member_id),
                role_ids=[uuid.UUID(r) for r in employee],
            )
            raise Abort
    except Abort:
        pass
    assert await runtime.cache.get(f"authz:{member.org_id}") == cached
    await member.get("/api/v1/members")
