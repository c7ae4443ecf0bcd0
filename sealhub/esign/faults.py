"""Every error code of the e-seal library layer, registered by importing this module.

`sealhub.esign.errors` (the context's error module, read by `contexts.modules("errors")`
for docs/api.md) imports this, so the codes are listed whether or not a library module
happened to be imported first. Light: no pyHanko, no PKCS#11 library."""

from __future__ import annotations

from sealhub.esign.imaging.errors import FontMissing, InvalidImprint, InvalidSealSpec
from sealhub.esign.keys.port import KeyUnavailable, KeyUnsupported
from sealhub.esign.pdf.errors import SealingFailed
from sealhub.esign.pki.backup import BackupInvalid
from sealhub.esign.pki.ca import CaImportFailed

__all__ = [
    "BackupInvalid",
    "CaImportFailed",
    "FontMissing",
    "InvalidImprint",
    "InvalidSealSpec",
    "KeyUnavailable",
    "KeyUnsupported",
    "SealingFailed",
]
