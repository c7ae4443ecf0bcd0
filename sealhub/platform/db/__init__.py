"""Database plumbing: declarative base, portable column types, engine and sessions."""

from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin, UTCDateTime
from sealhub.platform.db.engine import Database

__all__ = ["Base", "CreatedUpdatedMixin", "Database", "IdMixin", "TenantMixin", "UTCDateTime"]
