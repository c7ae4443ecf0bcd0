"""The SealHub smart-seal device protocol v1 (docs/device-protocol.md), pure: no MQTT client,
no database, no web framework. Shared by the platform, the simulator and the conformance kit.

    topics       MQTT topic names (§3)
    messages     every message kind as a frozen dataclass (§4–§13)
    codec        canonical JSON, strict typed decoding, signed envelopes (§4)
    signing      Ed25519 device and platform keys (§2, §4.3, §4.4)
    acceptance   replay / window / staleness rules (§5)
    journal      the hash-chained journal and the platform's chain tracker (§7)
    bundle       offline bundles and their verifier (§8)
    otc          one-time offline unlock codes (§10.3)
    firmware     signed firmware manifests (§12)
    schema       JSON Schemas of every kind (shipped in schemas/)
"""

from sealhub.devices.protocol.messages import VERSION

__all__ = ["VERSION"]
