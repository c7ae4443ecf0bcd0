"""`sealhub verify FILE [--trust ROOT.pem ...] [--require-trust] [--json]`.

Exit codes: 0 every signature intact, valid and covering the file up to permitted changes;
1 a check failed; 2 the file is unsigned or unreadable. Trust is reported separately and
changes the exit code only with --require-trust."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import typer
from cryptography import x509

from sealhub.esign.verification import (
    SignatureReport,
    VerificationReport,
    VerifyOptions,
    verify_file,
)

MAX_FILE_BYTES = 200 * 1024 * 1024

_YES_NO = {True: "是 yes", False: "否 NO"}


def _load_roots(paths: list[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        data = path.read_bytes()
        try:
            if b"-----BEGIN" in data:
                roots += x509.load_pem_x509_certificates(data)
            else:
                roots.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise typer.BadParameter(f"{path}: not a PEM/DER certificate ({exc})") from exc
    return roots


def _line(label: str, value: object) -> str:
    return f"    {label:<28} {value}"


def _print_signature(sig: SignatureReport) -> None:
    verdict = "通过 OK" if sig.ok else "失败 FAILED"
    typer.echo(f"  签名 Signature #{sig.index} ({sig.kind}, field {sig.field_name}): {verdict}")
    if sig.signer is not None:
        typer.echo(_line("签章人 Signer", sig.signer.common_name))
        typer.echo(_line("单位 Organisation", sig.signer.organisation))
        if sig.signer.organisation_id:
            typer.echo(_line("单位标识 Organisation id", sig.signer.organisation_id))
        typer.echo(_line("算法 Algorithm", sig.signer.algorithm))
    if sig.signing_time:
        typer.echo(_line("签署时间 Signing time", sig.signing_time))
    if sig.timestamp:
        typer.echo(_line("时间戳 Timestamp", f"{sig.timestamp} (valid: {sig.timestamp_valid})"))
    typer.echo(_line("完整 Intact", _YES_NO[sig.intact]))
    typer.echo(_line("签名有效 Valid", _YES_NO[sig.valid]))
    typer.echo(_line("覆盖全文 Covers whole file", _YES_NO[sig.covers_whole_file]))
    typer.echo(_line("签后改动 Changes after", f"{sig.modification_level} ({sig.coverage})"))
    trust = _YES_NO[sig.trusted] + (f" ({sig.trust_problem})" if sig.trust_problem else "")
    typer.echo(_line("证书链可信 Chain trusted", trust))
    if sig.chain:
        typer.echo(_line("证书链 Chain", " → ".join(sig.chain)))
    rev = sig.revocation + (f" at {sig.revoked_at}" if sig.revoked_at else "")
    typer.echo(_line("吊销状态 Revocation", rev))
    if sig.problems:
        typer.echo(_line("问题 Problems", ", ".join(sig.problems)))


def _print(path: Path, report: VerificationReport, code: int) -> None:
    typer.echo(f"文件 File: {path} ({report.file_type})")
    if report.error:
        typer.echo(f"  错误 Error: {report.error}")
    if report.readable and not report.signed:
        typer.echo("  未签名 The file has no signature")
    for sig in report.signatures:
        _print_signature(sig)
    verdict = {0: "有效 VALID", 1: "无效 INVALID", 2: "未签名或无法读取 UNSIGNED/UNREADABLE"}[code]
    typer.echo(f"结论 Verdict: {verdict}")


def verify(
    file: Path = typer.Argument(..., help="the signed file (PDF)", exists=False),
    trust: list[Path] = typer.Option(
        [], "--trust", help="trusted root certificate (PEM/DER), repeatable"
    ),
    require_trust: bool = typer.Option(
        False, "--require-trust", help="fail unless every chain is trusted"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    online: bool = typer.Option(False, "--online", help="fetch CRL/OCSP named in the certificates"),
) -> None:
    """Verify the signatures of a file (验证电子签章)."""
    for name in ("pyhanko", "pyhanko_certvalidator"):  # findings go in the report, not logs
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise OSError("file too large")
        data = file.read_bytes()
    except OSError as exc:
        report = VerificationReport("unknown", readable=False, error=f"unreadable: {exc}")
    else:
        options = VerifyOptions(trust_roots=_load_roots(trust), allow_fetching=online)
        report = asyncio.run(verify_file(data, file.name, options))
    code = report.exit_code(require_trust=require_trust)
    if as_json:
        out = report.to_dict()
        out["exit_code"] = code
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print(file, report, code)
    raise typer.Exit(code)
