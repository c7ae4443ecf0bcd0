"""Which real servers the test session uses, found the way a newcomer's machine has them.

An explicit `SEALHUB_TEST_*_URL` always wins. Otherwise the session probes the usual local
address of each server (short timeouts) and, when it answers, exports the URL so every
test and every xdist worker sees the same choice. `SEALHUB_TEST_NO_SERVICES=1` turns
discovery (and the S3 server start) off: SQLite and local files only.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from sqlalchemy.engine import make_url

NO_SERVICES = "SEALHUB_TEST_NO_SERVICES"
PROBE_TIMEOUT = 0.5


@dataclass(frozen=True)
class Service:
    name: str
    env: str
    default: str  # the usual local address (trust auth / empty root password)


SERVICES = (
    Service(
        "postgresql", "SEALHUB_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    ),
    Service("mariadb", "SEALHUB_TEST_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/test"),
    Service("redis", "SEALHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
)


def _tcp_open(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return None
    except OSError as exc:
        return f"nothing answers on {host}:{port} ({exc.strerror or exc})"


def probe(service: Service, url: str) -> str | None:
    """None when the server at `url` accepts us, else why not (one line)."""
    if service.name == "redis":
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        if why := _tcp_open(host, port):
            return why
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as s:
                s.sendall(b"PING\r\n")
                reply = s.recv(64)
        except OSError as exc:
            return f"{host}:{port} did not answer PING ({exc})"
        return None if reply.startswith(b"+PONG") else f"{host}:{port}: {reply[:40]!r}"
    parsed = make_url(url)
    host, port = parsed.host or "127.0.0.1", parsed.port
    port = port or (5432 if service.name == "postgresql" else 3306)
    if why := _tcp_open(host, port):
        return why
    try:
        if service.name == "postgresql":
            import psycopg2

            psycopg2.connect(
                host=host,
                port=port,
                user=parsed.username or "postgres",
                password=parsed.password or "",
                dbname=parsed.database or "postgres",
                connect_timeout=2,
            ).close()
        else:
            import pymysql

            pymysql.connect(
                host=host,
                port=port,
                user=parsed.username or "root",
                password=parsed.password or "",
                database=parsed.database or None,
                connect_timeout=2,
            ).close()
    except Exception as exc:  # any driver error means "cannot use it"; say which
        return f"{host}:{port} refused the sign-in: {str(exc).strip().splitlines()[0]}"
    return None


def discover(
    environ: os._Environ[str] | dict[str, str], services: tuple[Service, ...] = SERVICES
) -> dict[str, str]:
    """Fill the unset URLs in `environ` from the local defaults that answer.

    Returns one line per service for the report header."""
    lines: dict[str, str] = {}
    off = environ.get(NO_SERVICES, "") not in ("", "0")
    for service in services:
        explicit = environ.get(service.env)
        if explicit:
            lines[service.name] = f"{_safe(explicit)} (from {service.env})"
        elif off:
            lines[service.name] = f"skipped: {NO_SERVICES} is set"
        elif why := probe(service, service.default):
            lines[service.name] = f"skipped: {why}; set {service.env} to use another"
        else:
            environ[service.env] = service.default
            lines[service.name] = f"{_safe(service.default)} (found on the local default)"
    return lines


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # redis:// is not an SQLAlchemy URL; it carries no password here
        return url
