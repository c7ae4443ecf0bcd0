"""RFC 3161 timestamps: an in-platform TSA core and clients for it or any TSA by URL."""

from sealhub.esign.tsa.authority import LocalTimeStamper, TimestampAuthority, url_timestamper

__all__ = ["LocalTimeStamper", "TimestampAuthority", "url_timestamper"]
