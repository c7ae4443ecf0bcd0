"""Migrations: upgrade → downgrade → upgrade on each backend, no drift, one linear chain."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from sealhub.models import metadata
from sealhub.platform.db import migrate
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
