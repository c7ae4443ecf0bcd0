"""Ports the runtime carries; adapters live in the contexts that own them."""

from __future__ import annotations

from typing import Protocol


class BlobStore(Protocol):
    """A flat byte store addressed by key (local folder, S3...)."""

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


class SmsSender(Protocol):
    """Sends one text message to a phone number."""

    async def send(self, phone: str, template: str, params: dict[str, str]) -> None: ...
