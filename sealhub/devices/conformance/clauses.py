"""The clauses of docs/device-protocol.md the kit checks, and its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

CLAUSES: dict[str, str] = {
    "§2.2": "hello is signed by the registered device key and names the serial",
    "§4.3": "every uplink message carries a valid signature",
    "§4.4": "a downlink with a forged signature is rejected (bad_signature)",
    "§4.5": "every uplink message is canonical and matches its schema",
    "§5.1": "uplink sequence numbers strictly increase",
    "§5.2": "uplink times are within the skew; a stale downlink is rejected (stale)",
    "§5.3": "a replayed downlink is rejected (replay)",
    "§6.1": "hello announces protocol version 1, known capabilities and the journal state",
    "§6.3": "probe is answered with a hello",
    "§6.4": "a heartbeat follows the welcome, with plausible telemetry",
    "§7.1": "journal records are numbered and hash-chained",
    "§7.2": "unacknowledged records (and those made offline) are resent after reconnect",
    "§7.3": "acknowledged records are never resent",
    "§8.1": "the exported bundle verifies (signature, numbering, chain, count)",
    "§9.2": "every accepted command gets an ack, then a result",
    "§9.3": "a retried command (same id, new envelope) is answered the same, not run again",
    "§9.4.1": "authorise",
    "§9.4.2": "revoke: the authorisation can no longer unlock",
    "§9.4.3": "lock (with a lock record)",
    "§9.4.4": "temporary unlock with a reason (with an unlock record)",
    "§9.4.5": "mode",
    "§9.4.6": "fingerprint enrol (slots 0-99; slot 100 rejected as bad_args)",
    "§9.4.7": "fingerprint delete",
    "§9.4.8": "camera on/off",
    "§9.4.9": "config",
    "§9.4.10": "time sync",
    "§9.4.11": "reboot: result, then a new hello",
    "§9.4.12": "firmware: a signed manifest installs; a forged one is refused",
    "§9.4.13": "export answers a bundle",
    "§9.4.14": "diag (test bench): alarm on request",
    "§9.5": "an unknown command is rejected (unknown_command)",
    "§10.1": "an application code opens only when it matches the authorisation's",
    "§10.3": "a one-time code opens once; reuse and wrong codes are refused",
    "§10.5": "presses beyond the count or by a person not allowed are refused as alarms; "
    "at zero the device locks itself",
}


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass
class Report:
    serial: str
    results: dict[str, tuple[Status, str]] = field(default_factory=dict)

    def check(self, clause: str, ok: bool, why: str = "") -> None:
        """Record a check; a clause fails if any of its checks fails (the first reason kept)."""
        assert clause in CLAUSES, clause
        current = self.results.get(clause)
        if current is not None and current[0] is Status.FAIL:
            return
        self.results[clause] = (Status.PASS, "") if ok else (Status.FAIL, why)

    def skip(self, clause: str, why: str) -> None:
        if clause not in self.results:
            self.results[clause] = (Status.SKIP, why)

    def failed(self) -> set[str]:
        return {c for c, (s, _) in self.results.items() if s is Status.FAIL}

    @property
    def ok(self) -> bool:
        return not self.failed()

    def lines(self) -> list[str]:
        out = [f"SealHub device conformance: {self.serial}, protocol v1"]
        for clause in sorted(self.results, key=_order):
            status, why = self.results[clause]
            text = f"{status.value}  {clause:<8} {CLAUSES[clause]}"
            out.append(f"{text}: {why}" if why else text)
        counts = {k: sum(1 for st, _ in self.results.values() if st is k) for k in Status}
        out.append(
            f"{len(self.results)} clauses: {counts[Status.PASS]} pass, "
            f"{counts[Status.FAIL]} fail, {counts[Status.SKIP]} skip"
        )
        return out


def _order(clause: str) -> tuple[int, ...]:
    return tuple(int(p) for p in clause.lstrip("§").split("."))
