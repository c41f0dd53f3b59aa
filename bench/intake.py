"""Benchmark: 10,000 submissions through POST /api/v1/requests on PostgreSQL, concurrent clients.

Prints throughput and p50/p99 latency for OpenUM's intake beside a baseline measured in the same
run: a bare endpoint that parses the same JSON and inserts one row (bench/baseline_app.py).

    .venv/bin/python bench/intake.py [--requests 10000] [--concurrency 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_database() -> str:
    name = f"openum_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start(app: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/docs", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def payloads(n: int, members: list[str]) -> list[dict[str, object]]:
    codes = ["27447", "27130", "K0823", "J1745", "B4150", "0022", "G0299"]
    base = date(2026, 12, 1)
    out = []
    for i in range(n):
        out.append({
            "kind": "pre_service", "urgency": "non_urgent",
            "member": {"member_id": members[i % len(members)]},
            "requesting_provider_npi": "2547517799", "servicing_provider_npi": "1226468613",
            "service_lines": [{"code": codes[i % len(codes)], "units": 1,
                               "from_date": (base + timedelta(days=i // 97)).isoformat(),
                               "place_of_service": "22"}],
            "diagnoses": ["M17.11"],
            "clinical_indications": "Severe osteoarthritis, failed 6 months conservative therapy.",
        })
    return out


async def drive(url: str, bodies: list[dict[str, object]], headers: dict[str, str],
                concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            body = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post(url, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            latencies.append(time.perf_counter() - t0)
            if r.status_code not in (200, 201):
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, errors


def report(label: str, n: int, elapsed: float, lat: list[float], errors: int) -> None:
    lat = sorted(lat)
    p50 = statistics.median(lat) * 1000
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000
    print(f"{label:<34} {n:>6} req  {n / elapsed:>8.1f} req/s  p50 {p50:>7.1f} ms  "
          f"p99 {p99:>7.1f} ms  errors {errors}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from openum.dbmigrate import upgrade

    db_name = make_database()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    env = {**os.environ, "OPENUM_DATABASE_URL": url, "OPENUM_STORAGE_DIR": f"/tmp/{db_name}"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        subprocess.run([sys.executable, "-m", "openum.cli", "demo", "load"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        bodies = payloads(args.requests, [f"AWH2001{n:02d}" for n in range(1, 21)])

        base_proc, base_url = start("bench.baseline_app:app", env, args.workers)
        procs.append(base_proc)
        app_proc, app_url = start("openum.web.main:app", env, args.workers)
        procs.append(app_proc)
        tok = httpx.post(f"{app_url}/api/v1/auth/token",
                         data={"username": "intake", "password": "openum-demo"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {tok}"}

        print(f"PostgreSQL, {args.workers} uvicorn workers, {args.concurrency} concurrent clients, "
              f"{args.requests} requests each")
        asyncio.run(drive(f"{base_url}/bare", bodies[:200], {}, args.concurrency))  # warm-up
        asyncio.run(drive(f"{app_url}/api/v1/requests", payloads(200, ["AWH200199"]), auth,
                          args.concurrency))
        report("baseline: parse + insert one row", args.requests,
               *asyncio.run(drive(f"{base_url}/bare", bodies, {}, args.concurrency)))
        report("openum: POST /api/v1/requests", args.requests,
               *asyncio.run(drive(f"{app_url}/api/v1/requests", bodies, auth, args.concurrency)))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        drop_database(db_name)


if __name__ == "__main__":
    main()
