"""Fixtures of the e-seal library tests: a CA with seal keys, a SoftHSM2 token."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from sealhub.esign.keys import FileKey, KeyAlgorithm, SigningKey
from sealhub.esign.loopback import PkiServer
from sealhub.esign.pdf.seal import Sealer
from sealhub.esign.pki import (
    CertificateAuthority,
    cert_pem,
    create_ca,
    issue_seal_certificate,
    issue_tsa_certificate,
)
from sealhub.esign.tsa import TimestampAuthority, url_timestamper
from tests.esign.pdfs import nss_db

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "sealhub-test"
USER_PIN = "246810"
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="session")
def org_ca(now: dt.datetime) -> CertificateAuthority:
    return create_ca("上海示例科技有限公司", "91310115MA1K4XXXX1", now=now)


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A fresh SoftHSM2 token in a temp dir: (module path, token label, user PIN)."""
    if not Path(SOFTHSM_MODULE).exists() or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 not installed (Debian package softhsm2)")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    # SoftHSM2 reads its config when the module is first initialised in this process
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--so-pin",
            "13579",
            "--pin",
            USER_PIN,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    yield SOFTHSM_MODULE, TOKEN_LABEL, USER_PIN


@dataclass
class Pki:
    """A CA publishing CRL/OCSP/TSA on loopback, one e-seal key and certificate, a TSA."""

    server: PkiServer
    ca: CertificateAuthority
    key: FileKey
    cert: x509.Certificate
    tsa: TimestampAuthority
    nssdir: Path

    def seal_cert(self, key: SigningKey, name: str = "合同专用章") -> x509.Certificate:
        cert = issue_seal_certificate(
            self.ca,
            key,
            seal_name=name,
            org_name=ORG,
            credit_code=CREDIT_CODE,
            now=dt.datetime.now(dt.UTC),
        )
        self.server.issued.add(cert.serial_number)
        return cert

    def sealer(self, key: SigningKey | None = None, cert: x509.Certificate | None = None) -> Sealer:
        return Sealer(
            key or self.key,
            cert or self.cert,
            self.ca.chain,
            timestamper=url_timestamper(self.server.tsa_url),
            allow_fetching=True,  # CRL and OCSP from the loopback server
        )


ORG = "上海示例科技有限公司"
CREDIT_CODE = "91310115MA1K4XXXX1"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    server = PkiServer(clock).start()
    ca = create_ca(ORG, CREDIT_CODE, now=clock(), endpoints=server.endpoints)
    server.ca = ca
    tsa_key = FileKey.generate(KeyAlgorithm.EC_P256)
    tsa_cert = issue_tsa_certificate(ca, tsa_key, name="SealHub TSA", now=clock())
    server.tsa = TimestampAuthority(tsa_cert, tsa_key, chain=ca.chain, clock=clock)
    key = FileKey.generate(KeyAlgorithm.EC_P256)
    nssdir = nss_db(tmp_path_factory.mktemp("nss"), cert_pem(ca.root_cert))
    pki = Pki(server, ca, key, None, server.tsa, nssdir)  # type: ignore[arg-type]
    pki.cert = pki.seal_cert(key)
    server.issued.add(tsa_cert.serial_number)
    yield pki
    server.stop()
