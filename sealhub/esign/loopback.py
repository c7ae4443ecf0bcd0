"""A small HTTP server publishing one CA's CRL, OCSP and TSA on loopback.

For tests, benchmarks and demos only: the platform serves the same cores from its API.
Paths: GET /crl (DER CRL), POST /ocsp (application/ocsp-request), POST /tsa
(application/timestamp-query)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sealhub.esign.pki.ca import CertificateAuthority, Endpoints
from sealhub.esign.pki.revocation import CertStatus, Revoked, build_crl, ocsp_respond
from sealhub.esign.tsa.authority import TimestampAuthority

_MAX_BODY = 64 * 1024


class PkiServer:
    """Start, then `endpoints` (for create_ca), then set `ca` (and `tsa`)."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self.ca: CertificateAuthority | None = None
        self.tsa: TimestampAuthority | None = None
        self.revoked: dict[int, Revoked] = {}
        self.issued: set[int] = set()
        self.hits = {"crl": 0, "ocsp": 0, "tsa": 0}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/crl" and server.ca is not None:
                    server.hits["crl"] += 1
                    body = build_crl(
                        server.ca, server.revoked.values(), now=server.clock(), number=1
                    )
                    self._reply(200, body, "application/pkix-crl")
                else:
                    self._reply(404, b"", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > _MAX_BODY:
                    self._reply(413, b"", "text/plain")
                    return
                body = self.rfile.read(length)
                if self.path == "/ocsp" and server.ca is not None:
                    server.hits["ocsp"] += 1
                    out = ocsp_respond(server.ca, body, server.status, now=server.clock())
                    self._reply(200, out, "application/ocsp-response")
                elif self.path == "/tsa" and server.tsa is not None:
                    server.hits["tsa"] += 1
                    self._reply(200, server.tsa.respond(body), "application/timestamp-reply")
                else:
                    self._reply(404, b"", "text/plain")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def status(self, serial: int) -> CertStatus:
        if serial in self.revoked:
            return CertStatus(True, self.revoked[serial])
        return CertStatus(known=serial in self.issued or not self.issued)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(crl_url=f"{self.base_url}/crl", ocsp_url=f"{self.base_url}/ocsp")

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    def start(self) -> PkiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
