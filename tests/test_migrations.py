"""Migrations: upgrade → downgrade → upgrade on each backend, no drift, one linear chain."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Uuid, bindparam, insert, inspect, select, text

from sealhub.models import metadata
from sealhub.platform.db import migrate
from sealhub.platform.db.base import UTCDateTime
from sealhub.platform.db.engine import make_engine
from tests.conftest import backend_params
from tests.dbs import scratch_database


async def _tables_and_diff(url: str) -> tuple[set[str], list[object]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def inspect_sync(sync_conn):  # type: ignore[no-untyped-def]
                tables = set(inspect(sync_conn).get_table_names())
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return tables, compare_metadata(ctx, metadata())

            return await conn.run_sync(inspect_sync)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", backend_params())
def test_upgrade_downgrade_upgrade(backend, tmp_path):
    with scratch_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        tables, diff = asyncio.run(_tables_and_diff(url))
        assert {"organizations", "users", "memberships", "audit_entries"} <= tables
        assert diff == [], f"models and migrations differ: {diff}"
        migrate.downgrade(url, "base")
        tables, _ = asyncio.run(_tables_and_diff(url))
        assert tables <= {"alembic_version"}
        migrate.upgrade(url)
        tables, diff = asyncio.run(_tables_and_diff(url))
        assert "organizations" in tables and diff == []


def test_revision_chain_is_linear():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    heads = script.get_heads()
    assert len(heads) == 1, f"several heads: {heads}"
    for rev in script.walk_revisions():
        down = rev.down_revision
        assert down is None or isinstance(down, str), f"merge revision {rev.revision}"


async def _seed_and_read(url: str, seed: bool) -> tuple[str | None, str | None, list[str]]:
    """Seed (optionally) an audit row, a queued event and a role; read back their names."""
    tables = metadata().tables
    audit, outbox, roles, orgs = (
        tables[n] for n in ("audit_entries", "outbox_events", "roles", "organizations")
    )
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if seed:
                at = datetime(2026, 1, 1, tzinfo=UTC)
                org = uuid.uuid4()
                await conn.execute(insert(orgs).values(id=org, name="旧数据", code="old-data"))
                # a person with a membership: foreign keys into users must survive column drops
                user = uuid.uuid4()
                await conn.execute(
                    text(
                        "INSERT INTO users (id, phone, password_hash, totp_enabled, failed_logins,"
                        " locale, created_at, updated_at) VALUES (:id, '13900000000', 'x',"
                        " :no, 0, 'zh-CN', :at, :at)"
                    ).bindparams(
                        bindparam("id", user, type_=Uuid()),
                        bindparam("no", False, type_=Boolean()),
                        bindparam("at", at, type_=UTCDateTime()),
                    )
                )
                await conn.execute(
                    insert(tables["memberships"]).values(
                        id=uuid.uuid4(), org_id=org, user_id=user, real_name="老员工"
                    )
                )
                await conn.execute(
                    insert(audit).values(
                        id=uuid.uuid4(),
                        at=at,
                        actor_name="x",
                        action="org.unit_logo",
                        target_type="unit",
                        summary="",
                        summary_en="",
                    )
                )
                await conn.execute(
                    insert(outbox).values(
                        id=uuid.uuid4(),
                        name="requests.approved",
                        payload={},
                        created_at=at,
                        attempts=0,
                    )
                )
                await conn.execute(
                    insert(roles).values(
                        id=uuid.uuid4(),
                        org_id=org,
                        name="审批",
                        builtin_key="approver",
                        description="",
                        permissions=["request.read", "request.approve"],
                        data_scope="unit",
                    )
                )
            action = (await conn.execute(select(audit.c.action))).scalar()
            name = (await conn.execute(select(outbox.c.name))).scalar()
            perms = (await conn.execute(select(roles.c.permissions))).scalar()
            return action, name, list(perms or [])
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", backend_params())
def test_upgrade_keeps_data_seeded_at_the_previous_revision(backend, tmp_path):
    """People upgrade with their data: rows written before the naming scheme are renamed
    (docs/adr/0001-naming.md), and back on downgrade."""
    with scratch_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0002")
        assert asyncio.run(_seed_and_read(url, seed=True)) == (
            "org.unit_logo",
            "requests.approved",
            ["request.read", "request.approve"],
        )
        migrate.upgrade(url)
        assert asyncio.run(_seed_and_read(url, seed=False)) == (
            "unit.set_logo",
            "request.approved",
            ["request.read"],
        )
        migrate.downgrade(url, "0002")
        action, name, perms = asyncio.run(_seed_and_read(url, seed=False))
        assert (action, name) == ("org.unit_logo", "requests.approved")
        assert "request.approve" in perms
