"""One-time offline unlock codes (§10.3) and signed firmware manifests (§12)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.devices.protocol import firmware, otc
from sealhub.devices.protocol.signing import Signer

SECRET = bytes(range(32))
SERIAL = "SH-OTC-0001"
T0 = 1_790_000_000_000


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40 * 60_000), st.text(min_size=1, max_size=20))
def test_a_code_opens_once_within_thirty_minutes(later_ms: int, person: str) -> None:
    code = otc.issue(SECRET, SERIAL, person, T0)
    assert len(code) == 8 and code.isdigit()
    device = otc.OtcVerifier(SECRET, SERIAL)
    verdict = device.check(person, code, T0 + later_ms)
    slots_later = otc.slot_of(T0 + later_ms) - otc.slot_of(T0)
    if slots_later < otc.SLOTS_VALID:
        assert verdict is otc.OtcVerdict.OK
        assert device.check(person, code, T0 + later_ms) is otc.OtcVerdict.USED
    else:
        assert verdict is otc.OtcVerdict.INVALID


def test_a_code_is_bound_to_person_device_and_secret() -> None:
    code = otc.issue(SECRET, SERIAL, "alice", T0)
    assert otc.OtcVerifier(SECRET, SERIAL).check("bob", code, T0) is otc.OtcVerdict.INVALID
    assert otc.OtcVerifier(SECRET, "SH-OTC-0002").check("alice", code, T0) is (
        otc.OtcVerdict.INVALID
    )
    assert otc.OtcVerifier(b"\x01" * 32, SERIAL).check("alice", code, T0) is (
        otc.OtcVerdict.INVALID
    )
    # a code from the future is not valid yet
    future = otc.issue(SECRET, SERIAL, "alice", T0 + 600_000)
    assert otc.OtcVerifier(SECRET, SERIAL).check("alice", future, T0) is otc.OtcVerdict.INVALID


def test_known_answer() -> None:
    # pinned so another implementation can check itself against ours
    assert otc.derive(SECRET, SERIAL, "alice", 5_966_666) == "07423512"
    assert otc.derive(SECRET, SERIAL, "alice", 5_966_667) != "07423512"


def test_firmware_manifest_signature_and_image() -> None:
    key = Signer.from_seed(b"\x05" * 32)
    image = b"\x7fELF" + bytes(1000)
    manifest = firmware.sign_manifest(
        model="SH-1",
        version="2.0.1",
        image=image,
        url="https://example.invalid/fw.bin",
        min_battery=30,
        created_at=T0,
        signer=key,
    )
    assert firmware.verify_manifest(manifest, key.verifier())
    assert firmware.image_matches(manifest, image)
    assert not firmware.image_matches(manifest, image + b"\x00")
    assert not firmware.image_matches(manifest, b"\x00" + image[1:])
    for field, value in [("version", "2.0.2"), ("image_sha256", "0" * 64), ("size", 1)]:
        forged = dataclasses.replace(manifest, **{field: value})
        assert not firmware.verify_manifest(forged, key.verifier())
    assert not firmware.verify_manifest(manifest, Signer.from_seed(b"\x06" * 32).verifier())
