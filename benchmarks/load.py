"""Load generators: wrk (preferred, C, one thread) or an asyncio/httpx client in its own process.

Both keep `concurrency` HTTP/1.1 keep-alive connections busy for `duration` seconds (closed
loop) and report successful requests/s, p50/p99 latency and non-2xx/socket errors.

    python benchmarks/load.py URL --method POST --bodies bodies.json --token T   (the fallback)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx


@dataclass
class LoadResult:
    tool: str
    requests: int  # completed, any status
    errors: int  # non-2xx responses, socket errors and timeouts
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(
    url: str,
    *,
    method: str,
    token: str,
    bodies: list[str],
    duration: float,
    concurrency: int,
    tool: str = "auto",
    rate: float | None = None,
) -> LoadResult:
    """Closed loop (each connection sends as soon as it has its reply), or with `rate` an
    open loop: requests start on a fixed schedule of `rate` per second spread over the
    connections, latency counted from the scheduled start (no coordinated omission); the
    Python client does that, wrk cannot."""
    if rate is None and (tool == "wrk" or (tool == "auto" and have_wrk())):
        return _run_wrk(url, method, token, bodies, duration, concurrency)
    return _run_python(url, method, token, bodies, duration, concurrency, rate)


# ---- wrk ----

_LUA = """
local bodies = {}
for line in io.lines(%(bodies)s) do bodies[#bodies + 1] = line end
local reqs = {}
local i = 0
init = function(args)
  local headers = {}
  headers["Authorization"] = "Bearer " .. %(token)s
  headers["Content-Type"] = "application/json"
  headers["User-Agent"] = "sealhub-bench/wrk"
  for _, b in ipairs(bodies) do
    if %(method)s == "GET" then
      reqs[#reqs + 1] = wrk.format("GET", nil, headers, nil)
    else
      reqs[#reqs + 1] = wrk.format(%(method)s, nil, headers, b)
    end
  end
end
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"max_us": %%d, "status": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def _lua_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def _run_wrk(
    url: str, method: str, token: str, bodies: list[str], duration: float, concurrency: int
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "bodies.txt"
        body_file.write_text("\n".join(bodies or ["{}"]) + "\n")
        script = Path(tmp) / "bench.lua"
        script.write_text(
            _LUA
            % {
                "bodies": _lua_str(str(body_file)),
                "token": _lua_str(token),
                "method": _lua_str(method),
            }
        )
        cmd = [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    data = json.loads(line.removeprefix("BENCHJSON "))
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return LoadResult(
        tool="wrk",
        requests=data["requests"],
        errors=errors,
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


# ---- the Python fallback, in a child process so it never shares a core with the server ----


def _run_python(
    url: str,
    method: str,
    token: str,
    bodies: list[str],
    duration: float,
    concurrency: int,
    rate: float | None,
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "bodies.json"
        body_file.write_text(json.dumps(bodies))
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            url,
            "--method",
            method,
            "--token",
            token,
            "--bodies",
            str(body_file),
            "--duration",
            str(duration),
            "--concurrency",
            str(concurrency),
            *(["--rate", str(rate)] if rate else []),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return LoadResult(**json.loads(out.strip().splitlines()[-1]))


async def _python_load(
    url: str,
    method: str,
    token: str,
    bodies: list[str],
    duration: float,
    concurrency: int,
    rate: float | None = None,
) -> LoadResult:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "User-Agent": "sealhub-bench/python",
    }
    encoded = [b.encode() for b in bodies] or [b""]
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:
        start = time.perf_counter()
        deadline = start + duration

        async def worker(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < deadline:
                body = encoded[i % len(encoded)] if method != "GET" else None
                t0 = time.perf_counter()
                if rate:  # this connection's next slot on the schedule
                    t0 = start + i / rate
                    if t0 >= deadline:
                        break
                    await asyncio.sleep(max(0.0, t0 - time.perf_counter()))
                i += concurrency if rate else 1
                try:
                    r = await client.request(method, url, content=body)
                    ok = 200 <= r.status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        seconds = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return LoadResult(
        tool="python",
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=pct(0.50),
        p99_ms=pct(0.99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--token", default="")
    parser.add_argument("--bodies", type=Path)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, help="open loop: requests per second")
    args = parser.parse_args()
    bodies: list[str] = json.loads(args.bodies.read_text()) if args.bodies else []
    coro = _python_load(
        args.url, args.method, args.token, bodies, args.duration, args.concurrency, args.rate
    )
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(coro)
    else:
        result = uvloop.run(coro)
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
