"""One-time offline unlock codes (§10.3): derived from the per-device secret, single use,
valid for the slot they were issued in and the next five (30 minutes)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum

SLOT_S = 300
SLOTS_VALID = 6  # the issuing slot and the next five
DIGITS = 8


def slot_of(now_ms: int) -> int:
    return now_ms // 1000 // SLOT_S


def derive(secret: bytes, serial: str, person: str, slot: int) -> str:
    """The code for `person` on device `serial` in time slot `slot`."""
    msg = f"sealhub.otc.v1|{serial}|{person}|{slot}".encode()
    digest = hmac.new(secret, msg, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**DIGITS:0{DIGITS}d}"


def issue(secret: bytes, serial: str, person: str, now_ms: int) -> str:
    """A code a keeper reads out now (the platform's side)."""
    return derive(secret, serial, person, slot_of(now_ms))


class OtcVerdict(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # wrong code, wrong person, or expired
    USED = "used"


@dataclass
class OtcVerifier:
    """The device's side: remembers (person, slot) pairs already used."""

    secret: bytes
    serial: str
    used: set[tuple[str, int]] = field(default_factory=set)

    def check(self, person: str, code: str, now_ms: int) -> OtcVerdict:
        """Verify and, when valid, consume the code."""
        current = slot_of(now_ms)
        for slot in range(current, current - SLOTS_VALID, -1):
            if hmac.compare_digest(derive(self.secret, self.serial, person, slot), code):
                if (person, slot) in self.used:
                    return OtcVerdict.USED
                self.used.add((person, slot))
                # forget pairs too old to be valid again
                self.used = {(p, s) for p, s in self.used if s > current - SLOTS_VALID}
                return OtcVerdict.OK
        return OtcVerdict.INVALID
