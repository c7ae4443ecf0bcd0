"""Fixtures of the e-seal library tests: a CA with seal keys, a SoftHSM2 token."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealhub.esign.keys import FileKey, KeyAlgorithm
from sealhub.esign.pki import CertificateAuthority, create_ca

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


def file_key(algorithm: KeyAlgorithm) -> FileKey:
    return FileKey.generate(algorithm)
