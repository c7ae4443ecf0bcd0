"""Identifiers: UUIDv7 (time-ordered) for rows, random tokens for secrets."""

from __future__ import annotations

import secrets
import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new time-ordered UUIDv7."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def digits(n: int) -> str:
    """n random decimal digits (SMS codes)."""
    return "".join(secrets.choice("0123456789") for _ in range(n))
