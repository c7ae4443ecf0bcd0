"""Firmware manifests (§12): signed by the platform's firmware key; image by SHA-256."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.codec import as_json, canonical
from sealhub.devices.protocol.signing import Signer, Verifier


def sign_manifest(
    *,
    model: str,
    version: str,
    image: bytes,
    url: str,
    min_battery: int,
    created_at: int,
    signer: Signer,
) -> m.Manifest:
    unsigned = m.Manifest(
        model=model,
        version=version,
        image_sha256=hashlib.sha256(image).hexdigest(),
        size=len(image),
        url=url,
        min_battery=min_battery,
        created_at=created_at,
        sig="",
    )
    return dataclasses.replace(unsigned, sig=signer.sign(_signed_bytes(unsigned)))


def _signed_bytes(manifest: m.Manifest) -> bytes:
    doc = as_json(manifest)
    doc.pop("sig")
    return canonical(doc)


def verify_manifest(manifest: m.Manifest, verifier: Verifier) -> bool:
    return verifier.verify(_signed_bytes(manifest), manifest.sig)


def image_matches(manifest: m.Manifest, image: bytes) -> bool:
    return len(image) == manifest.size and hmac.compare_digest(
        hashlib.sha256(image).hexdigest(), manifest.image_sha256
    )
