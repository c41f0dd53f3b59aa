"""Benchmark: 10,000 submissions through POST /api/v1/requests on PostgreSQL, concurrent clients.

Prints throughput and p50/p99 latency for OpenUM's intake beside a baseline measured in the same
run: a bare endpoint that parses the same JSON and inserts one row (bench/baseline_app.py). For each
phase it also prints the CPU used by the client (this process), the server processes and
PostgreSQL, and what the database sessions were waiting for (sampled from pg_stat_activity and
pg_locks): on a 2-core machine the client shares the cores with the server. The per-user rate
limit is turned off for the run (OPENUM_RATE_LIMIT_PER_MINUTE=0).

    .venv/bin/python bench/intake.py [--requests 10000] [--concurrency 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (
    ROOT,
    CpuMeter,
    WaitSampler,
    drop_database,
    libpq_dsn,
    make_database,
    postmaster_pid,
    print_header,
)


def _lock_names() -> dict[int, str]:
    from openum.audit import service as audit

    key = getattr(audit, "_CHAIN_LOCK", None)
    return {key: "the audit chain, openum/audit/service.py"} if isinstance(key, int) else {}


LOCK_NAMES = _lock_names()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(app: str, env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve `app`; its output (OpenUM logs one JSON line per request) goes to the file `log`."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/docs", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def payloads(n: int, members: list[str], base: date = date(2026, 12, 1)) -> list[dict[str, object]]:
    codes = ["27447", "27130", "K0823", "J1745", "B4150", "0022", "G0299"]
    out: list[dict[str, object]] = []
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
                if errors == 1:
                    print(f"   first error: HTTP {r.status_code} {r.text[:300]}", file=sys.stderr)

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
    # The per-user rate limit (600/min by default) would throttle a load test from one account:
    # off here (0 turns it off), so the figures measure the intake path, not the limiter.
    env = {**os.environ, "OPENUM_DATABASE_URL": url, "OPENUM_STORAGE_DIR": f"/tmp/{db_name}",
           "OPENUM_RATE_LIMIT_PER_MINUTE": "0"}
    logs = Path(f"/tmp/{db_name}")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        subprocess.run([sys.executable, "-m", "openum.cli", "demo", "load"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        members = [f"AWH2001{n:02d}" for n in range(1, 21)]
        bodies = payloads(args.requests, members)

        base_proc, base_url = start("bench.baseline_app:app", env, args.workers, logs / "baseline.log")
        procs.append(base_proc)
        app_proc, app_url = start("openum.web.main:app", env, args.workers, logs / "openum.log")
        procs.append(app_proc)
        tok = httpx.post(f"{app_url}/api/v1/auth/token",
                         data={"username": "intake", "password": "openum-demo"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {tok}"}

        print_header("intake: POST /api/v1/requests vs a bare parse-and-insert endpoint")
        print(f"PostgreSQL, {args.workers} uvicorn workers, {args.concurrency} concurrent clients, "
              f"{args.requests} requests each")
        asyncio.run(drive(f"{base_url}/bare", bodies[:200], {}, args.concurrency))  # warm-up
        asyncio.run(drive(f"{app_url}/api/v1/requests", payloads(200, members, date(2027, 9, 1)), auth,
                          args.concurrency))
        # CPU seconds of the client (this process), the app's uvicorn processes and PostgreSQL over
        # each phase: on a small machine the client shares the cores and may be the bottleneck.
        # The database's sessions are sampled too: how many were busy, and how many were waiting
        # for a lock (OpenUM takes advisory locks for the audit chain and duplicate detection).
        pg = postmaster_pid()
        phases = [("baseline: parse + insert one row", base_proc, f"{base_url}/bare", {}),
                  ("openum: POST /api/v1/requests", app_proc, f"{app_url}/api/v1/requests", auth)]
        for label, proc, endpoint, headers in phases:
            with CpuMeter(server=proc.pid, **({"postgres": pg} if pg else {})) as cpu, \
                    WaitSampler(libpq_dsn(db_name), db_name, names=LOCK_NAMES) as waits:
                result = asyncio.run(drive(endpoint, bodies, headers, args.concurrency))
            report(label, args.requests, *result)
            print(cpu.line("client"))
            print(f"   cpu per request: server {cpu.tree_cpu['server'] / args.requests * 1000:.1f} ms, "
                  f"client {cpu.self_cpu / args.requests * 1000:.1f} ms"
                  + (f", postgres {cpu.tree_cpu['postgres'] / args.requests * 1000:.1f} ms" if pg else ""))
            print(waits.line())
    except BaseException:
        print(f"   server logs kept in {logs}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(logs, ignore_errors=True)  # the attachment store and the server logs
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        drop_database(db_name)


if __name__ == "__main__":
    main()
