"""Per-organisation PKI: CA create/import, e-seal/TSA certificates, CRL, OCSP, backups."""

from sealhub.esign.pki.backup import (
    Backup,
    BackupInvalid,
    SealKeyEntry,
    export_backup,
    restore_backup,
)
from sealhub.esign.pki.ca import (
    CaImportFailed,
    CertificateAuthority,
    Endpoints,
    cert_pem,
    create_ca,
    export_ca_pkcs12,
    import_ca_pem,
    import_ca_pkcs12,
    issue_seal_certificate,
    issue_tsa_certificate,
    renew_seal_certificate,
)
from sealhub.esign.pki.revocation import (
    CertStatus,
    RevocationReason,
    Revoked,
    build_crl,
    ocsp_respond,
)

__all__ = [
    "Backup",
    "BackupInvalid",
    "CaImportFailed",
    "CertStatus",
    "CertificateAuthority",
    "Endpoints",
    "RevocationReason",
    "Revoked",
    "SealKeyEntry",
    "build_crl",
    "cert_pem",
    "create_ca",
    "export_backup",
    "export_ca_pkcs12",
    "import_ca_pem",
    "import_ca_pkcs12",
    "issue_seal_certificate",
    "issue_tsa_certificate",
    "ocsp_respond",
    "renew_seal_certificate",
    "restore_backup",
]
