"""Operator tasks behind the CLI: first admin, demo data."""

from __future__ import annotations

from sealhub.identity import service as identity
from sealhub.platform.settings import get_settings


async def create_admin(*, phone: str, password: str, name: str, org_name: str) -> str:
    from sealhub.app import build_runtime

    runtime = build_runtime(get_settings())
    try:
        async with runtime.transaction() as session:
            _, org = await identity.bootstrap_admin(
                session, phone=phone, password=password, real_name=name, org_name=org_name
            )
            return org.code
    finally:
        await runtime.close()


async def seed_demo(*, force: bool = False) -> tuple[bool, list[tuple[str, str, str]]]:
    from sealhub.cli.demo import seed

    return await seed(force=force)
