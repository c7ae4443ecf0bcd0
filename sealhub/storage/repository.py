"""Tenant-bound queries on stored objects."""

from __future__ import annotations

from sealhub.platform.db.repository import TenantRepository
from sealhub.storage.errors import ObjectNotFound
from sealhub.storage.models import StoredObject


class StoredObjectRepository(TenantRepository[StoredObject]):
    model = StoredObject
    not_found = ObjectNotFound

    async def by_sha256(self, sha256: str) -> StoredObject | None:
        """The tenant's object with this content hash, if any."""
        stmt = self.tenant().where(StoredObject.sha256 == sha256)
        return (await self.session.execute(stmt)).scalar_one_or_none()
