"""The device channel: a passive observer sees only ciphertext, tampering is rejected, a
device provisioned for it cannot be downgraded to plain mode."""

from __future__ import annotations

import json
import os

import pytest

from sealhub.devices.protocol.channel import (
    SUITE,
    ChannelError,
    DeviceHandshake,
    DowngradeRefused,
    PlatformHandshake,
    refuse_plain,
)

PSK = os.urandom(32)


class Broker:
    """What a passive observer of the broker sees: every byte that crosses it."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def carry(self, message: bytes) -> bytes:
        self.seen.append(message)
        return message


def connect(broker: Broker, psk: bytes = PSK):  # type: ignore[no-untyped-def]
    device = DeviceHandshake(b"SEAL-0001", psk)
    platform = PlatformHandshake(PSK)
    accept = broker.carry(platform.accept(broker.carry(device.hello())))
    dev_channel, finish = device.accept(accept)
    plat_channel = platform.finish(broker.carry(finish))
    return dev_channel, plat_channel


def test_an_observer_sees_only_ciphertext_and_both_ends_read_plaintext() -> None:
    broker = Broker()
    dev, plat = connect(broker)
    secret = json.dumps({"cmd": "unlock", "application": "SQ-机密-2026", "presses": 3}).encode()
    assert plat.open(broker.carry(dev.seal(secret))) == secret
    reply = b'{"ok": true, "note": "PLATFORM-SECRET"}'
    assert dev.open(broker.carry(plat.seal(reply))) == reply
    wire = b"".join(broker.seen)
    for needle in (b"unlock", "机密".encode(), b"SQ-", b"PLATFORM-SECRET", PSK):
        assert needle not in wire


def test_a_tampered_record_is_rejected() -> None:
    broker = Broker()
    dev, plat = connect(broker)
    record = bytearray(dev.seal(b'{"presses": 1}'))
    for i in (0, 5, 13, len(record) - 1):  # version, epoch, sequence, tag
        bad = bytearray(record)
        bad[i] ^= 0x01
        with pytest.raises(ChannelError):
            plat.open(bytes(bad))
    assert plat.open(bytes(record)) == b'{"presses": 1}'
    with pytest.raises(ChannelError, match="replayed"):
        plat.open(bytes(record))


def test_a_tampered_handshake_or_wrong_secret_fails() -> None:
    device, platform = DeviceHandshake(b"SEAL-0001", PSK), PlatformHandshake(PSK)
    accept = bytearray(platform.accept(device.hello()))
    accept[60] ^= 0x01  # inside the X25519 share
    with pytest.raises(ChannelError):
        device.accept(bytes(accept))
    with pytest.raises(ChannelError, match="confirmation"):
        connect(Broker(), psk=os.urandom(32))  # a man in the middle without the secret


def test_rekeying_moves_both_directions_forward() -> None:
    dev, plat = connect(Broker())
    old = dev.seal(b"one")
    assert plat.open(old) == b"one"
    dev.rekey()
    assert dev.send.epoch == 1
    assert plat.open(dev.seal(b"two")) == b"two"
    assert plat.recv.epoch == 1
    with pytest.raises(ChannelError, match="epoch"):
        plat.open(old)  # the old epoch is gone


def test_a_provisioned_device_cannot_be_downgraded() -> None:
    device = DeviceHandshake(b"SEAL-0001", PSK, required=True)
    device.hello()
    # an attacker (or a misconfigured platform) answers "plain"
    with pytest.raises(DowngradeRefused):
        device.accept(b"plain-mode-please")
    # or accepts with another suite
    platform = PlatformHandshake(PSK)
    accept = platform.accept(device.hello())
    weak = b"x25519-only/hkdf-sha256/aes128gcm".ljust(len(SUITE), b"-")
    forged = accept.replace(SUITE, weak)  # same length: the framing still parses
    with pytest.raises(DowngradeRefused):
        device.accept(forged)
    # and plaintext messages are refused outright
    with pytest.raises(DowngradeRefused):
        refuse_plain(b'{"cmd": "unlock"}', required=True)
    assert refuse_plain(b"{}", required=False) == b"{}"
    # a hello without the hybrid suite is refused by the platform as well
    with pytest.raises(DowngradeRefused):
        PlatformHandshake(PSK).accept(
            device.hello().replace(b"x25519-mlkem768", b"x25519-mlkemXXX")
        )
