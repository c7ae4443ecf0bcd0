"""The esign context's front door: e-seal applications, certificates and CRLs, sealing with
a willingness check, and verification.

One module per use-case cluster; callers keep `from sealhub.esign import service`."""

from sealhub.esign.service.applications import (
    apply,
    get_application,
    list_applications,
    material_content,
    preview,
    review,
    upload_material,
)
from sealhub.esign.service.ca import (
    crl_of,
    ensure_ca,
    expire_and_remind,
    get_ca,
    get_certificate,
    list_certificates,
    refresh_crl,
    renew_certificate,
    revoke_certificate,
    revoke_for_seal,
    set_tsa,
)
from sealhub.esign.service.sealing import (
    list_sealings,
    seal_document,
    seal_image,
    sealed_file,
    send_willingness_code,
)
from sealhub.esign.service.verify import throttle, verify_pdf, verify_token

__all__ = [
    "apply",
    "crl_of",
    "ensure_ca",
    "expire_and_remind",
    "get_application",
    "get_ca",
    "get_certificate",
    "list_applications",
    "list_certificates",
    "list_sealings",
    "material_content",
    "preview",
    "refresh_crl",
    "renew_certificate",
    "review",
    "revoke_certificate",
    "revoke_for_seal",
    "seal_document",
    "seal_image",
    "sealed_file",
    "send_willingness_code",
    "set_tsa",
    "throttle",
    "upload_material",
    "verify_pdf",
    "verify_token",
]
