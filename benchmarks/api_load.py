"""API load on loopback: read endpoints served by uvicorn in a second process, on SQLite or PostgreSQL.

Target (issue 5): read endpoints at 500 requests per second or more with a p99 latency of at
most 100 ms on this 2-core machine, on SQLite and on PostgreSQL. The server is a separate
process (`uvicorn`, one worker, the app of `spacehome serve`); this process is the client: an
asyncio loop with `--concurrency` keep-alive connections, each sending requests back to back for
`--seconds` per endpoint (after a warm-up), so every run is bounded in time.

The client speaks HTTP/1.1 over asyncio streams itself (a request line, headers up to the blank
line, a body of ``Content-Length`` bytes) instead of using httpx: on this machine an httpx
client reached only ~430 requests per second against a server that does nothing, so it measured
itself, not the API. Each run first measures the client's own ceiling the same way, against a
no-op ASGI app under the same uvicorn (the reference row), so a result can be read against it.

    .venv/bin/python benchmarks/api_load.py [--database sqlite|postgresql|both] [--seconds 10]
                                            [--concurrency 4] [--endpoint PATH ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as common
import httpx

TARGET_RPS = 500.0
TARGET_P99_MS = 100.0
DEFAULT_ENDPOINTS = [
    "/api/v1/health",
    "/api/v1/station?at=2026-05-01T00:00:00Z",
    "/api/v1/calls?limit=20",
]
#: A database of the benchmark's own on the local server (created if missing), not ``test``.
POSTGRESQL_SERVER = os.environ.get("SPACEHOME_BENCH_POSTGRESQL", "postgres@127.0.0.1:5432")
POSTGRESQL_DATABASE = "spacehome_bench"
#: Calls in the benchmark database, each open to all 193 UN member states: a page of 20 is ~14 kB.
SEEDED_CALLS = 30

#: The reference: the same uvicorn serving an ASGI app that does nothing (the client's ceiling).
NO_OP_SERVER = """
import uvicorn
async def app(scope, receive, send):
    if scope["type"] == "http":
        body = b'{{"status":"ok"}}'
        await send({{"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]}})
        await send({{"type": "http.response.body", "body": body}})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""

SERVER = """
import uvicorn
from spacehome.api.main import build_app
uvicorn.run(build_app({url!r}), host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def postgresql_url() -> str:
    import psycopg

    user, host = POSTGRESQL_SERVER.split("@")
    with psycopg.connect(f"postgresql://{user}@{host}/test", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (POSTGRESQL_DATABASE,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {POSTGRESQL_DATABASE}")
    return f"postgresql+psycopg://{user}@{host}/{POSTGRESQL_DATABASE}"


def seed_calls(url: str, count: int = SEEDED_CALLS) -> None:
    """Give ``/calls`` real pages: ``count`` calls open to every UN member state (kept if present)."""
    from datetime import UTC, datetime, timedelta

    from spacehome.domain.program import Modality
    from spacehome.errors import ConflictError
    from spacehome.services.program import ProgramService

    service = ProgramService.open(url)
    opens = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(count):
        try:
            service.create_call(
                call_id=f"bench-{number:02d}",
                title=f"Benchmark call {number} (synthetic)",
                modalities=[Modality.OWN_EXPERIMENT, Modality.EXTERNAL_EXPOSURE],
                opens_at=(opens + timedelta(days=number)).isoformat(),
                closes_at=(opens + timedelta(days=number + 90)).isoformat(),
                envelope={"crew_hours": 200, "rack_months": 24, "adapter_months": 12, "upmass_kg": 500, "downlink_gb": 100},
                eligible_countries=None,
                now=opens,
            )
        except ConflictError:
            pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str | None, port: int) -> subprocess.Popen[bytes]:
    """uvicorn with the served app on ``url``, or with the no-op app when ``url`` is None."""
    script = NO_OP_SERVER.format(port=port) if url is None else SERVER.format(url=url, port=port)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


async def hammer(base: str, path: str, seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    """Send GET ``path`` back to back on ``concurrency`` keep-alive connections for ``seconds``."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:"),
                    None,
                )
                if length is None:
                    raise SystemExit(f"{path}: a response without Content-Length; this client reads no other")
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if head[9:12] != b"200":
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), latencies, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(label: str, url: str | None, endpoints: list[str], seconds: float, concurrency: int) -> list[list[object]]:
    """Load each endpoint in turn; ``url`` None is the reference (the no-op app)."""
    if url is not None:
        seed_calls(url)
    port = free_port()
    proc = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    rows: list[list[object]] = []
    try:
        for path in endpoints:
            asyncio.run(hammer(base, path, 1.0, concurrency))  # warm-up
            t0 = time.perf_counter()
            count, lat, errors = asyncio.run(hammer(base, path, seconds, concurrency))
            wall = time.perf_counter() - t0
            rps = count / wall
            p50 = statistics.median(lat) * 1e3
            p99 = percentile(lat, 0.99) * 1e3
            ok = rps >= TARGET_RPS and p99 <= TARGET_P99_MS and errors == 0
            verdict = "reference" if url is None else "PASS" if ok else "FAIL"
            rows.append([label, path, count, f"{rps:.0f}", f"{p50:.1f}", f"{p99:.1f}", errors, verdict])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--endpoint", action="append", help="path to load (repeatable)")
    args = parser.parse_args(argv)
    endpoints = args.endpoint or DEFAULT_ENDPOINTS
    common.header("API load on loopback: uvicorn (1 worker) in a second process")
    print(f"client    asyncio HTTP/1.1 keep-alive, {args.concurrency} connections, {args.seconds:g} s per endpoint after 1 s warm-up")
    rows = run("no-op app", None, ["/api/v1/health"], args.seconds, args.concurrency)
    if args.database in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix="spacehome-load-")) / "load.sqlite3"
        rows += run("SQLite", f"sqlite:///{path}", endpoints, args.seconds, args.concurrency)
    if args.database in ("postgresql", "both"):
        rows += run("PostgreSQL", postgresql_url(), endpoints, args.seconds, args.concurrency)
    print()
    print(common.table(["database", "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "errors", "verdict"], rows))
    ok = all(r[-1] in ("PASS", "reference") for r in rows)
    print(f"\n{'PASS' if ok else 'FAIL'}: read endpoints >= {TARGET_RPS:g} req/s with p99 <= {TARGET_P99_MS:g} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
