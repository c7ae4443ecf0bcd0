"""Throw-away databases on each supported server, created per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql", "mariadb")
ENV = {"postgresql": "SEALHUB_TEST_PG_URL", "mariadb": "SEALHUB_TEST_MYSQL_URL"}


def server_url(backend: str) -> str | None:
    return os.environ.get(ENV[backend]) if backend in ENV else None


def _sync_admin(url: str) -> str:
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql"}[
        parsed.get_backend_name()
    ]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


@contextmanager
def scratch_database(backend: str, tmp: Path) -> Iterator[str]:
    """An empty database (async URL); dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    base = server_url(backend)
    assert base, backend
    name = f"sealhub_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_sync_admin(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if backend == "mariadb":
            conn.execute(
                sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
        else:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
