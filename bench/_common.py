"""Helpers shared by the benchmarks: a scratch PostgreSQL database, timing and reporting.

Every benchmark creates its own database (openum_bench_<random>), migrates it with
openum.dbmigrate.upgrade, loads what it needs and drops it at the end, also on error.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_database() -> str:
    name = f"openum_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_url(db_name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"


def libpq_dsn(db_name: str) -> str:
    return f"host=127.0.0.1 port=5432 user=postgres dbname={db_name}"


@dataclass(frozen=True)
class Scratch:
    name: str
    url: str  # SQLAlchemy URL (psycopg 3)
    dsn: str  # libpq connection string, for psycopg directly


@contextmanager
def scratch_database(migrate: bool = True) -> Iterator[Scratch]:
    """A fresh database at the head migration, dropped on the way out whatever happens."""
    name = make_database()
    try:
        scratch = Scratch(name, sqlalchemy_url(name), libpq_dsn(name))
        if migrate:
            from openum.dbmigrate import upgrade

            upgrade(scratch.url)
        yield scratch
    finally:
        drop_database(name)


def server_version() -> str:
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SELECT version()").fetchone()
    return str(row[0]) if row else "?"


def git_revision() -> str:
    """The checked-out commit, and whether the working tree had uncommitted changes."""
    import subprocess

    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"git {sha}" + (" with uncommitted changes" if dirty else "")


def print_header(title: str) -> None:
    print(f"== {title}")
    print(f"   {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {server_version().split(' on ')[0]}, {git_revision()}")
    busy, total = machine_busy_seconds()
    time.sleep(1.0)
    busy2, total2 = machine_busy_seconds()
    print(f"   load average {os.getloadavg()[0]:.1f}; machine {((busy2 - busy) / (total2 - total)):.0%} busy "
          "just before the run (other work on the machine shares the cores)")
    print(f"   command: {' '.join([os.path.relpath(sys.executable, ROOT), *sys.argv])}")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timed_runs(fn: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    """Seconds per call of fn over `runs` calls, after `warmup` untimed calls; sorted."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return sorted(out)


def latency_line(label: str, secs: list[float]) -> str:
    ms = [s * 1000 for s in secs]
    return (f"{label:<46} n={len(ms):>4}  p50 {statistics.median(ms):8.3f} ms  "
            f"p99 {percentile(ms, 99):8.3f} ms  max {ms[-1]:8.3f} ms")


def rate_line(label: str, n: int, elapsed: float, unit: str = "items") -> str:
    per = elapsed / n * 1e6 if n else float("nan")
    return (f"{label:<46} {n:>9,} {unit} in {elapsed:8.2f} s  = {n / elapsed:>12,.0f} {unit}/s"
            f"  ({per:,.2f} us each)")


# --- CPU accounting from /proc (Linux), to tell who was busy during a timed phase -----------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from 'state' on (comm may hold spaces)


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        f = _stat_fields(int(entry.name))
        if f is None:
            continue
        parents[int(entry.name)] = int(f[1])
        cpu[int(entry.name)] = (int(f[11]) + int(f[12])) / _TICK
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over every core."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return (total - idle) / _TICK, total / _TICK


class CpuMeter:
    """CPU used by this process, by given process trees and by the whole machine over a phase."""

    def __init__(self, **trees: int) -> None:
        self.trees = trees

    def __enter__(self) -> CpuMeter:
        self._self0 = time.process_time()
        self._trees0 = {k: tree_cpu_seconds(p) for k, p in self.trees.items()}
        self._busy0, self._total0 = machine_busy_seconds()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t0
        self.self_cpu = time.process_time() - self._self0
        # live processes only: a process that exits during the phase takes its CPU time with it
        self.tree_cpu = {k: max(0.0, tree_cpu_seconds(p) - self._trees0[k]) for k, p in self.trees.items()}
        busy, total = machine_busy_seconds()
        self.machine_busy = busy - self._busy0
        self.machine_total = total - self._total0

    def line(self, self_label: str = "this process") -> str:
        cores = self.machine_total / self.wall if self.wall else float("nan")
        parts = [f"{self_label} {self.self_cpu:.1f} s CPU ({self.self_cpu / self.wall:.0%} of a core)"]
        parts += [f"{k} {v:.1f} s ({v / self.wall:.0%})" for k, v in self.tree_cpu.items()]
        parts.append(f"machine busy {self.machine_busy / self.machine_total:.0%} of {cores:.0f} cores")
        return "   cpu: " + ", ".join(parts)


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process (parent of every backend), if it runs on this machine."""
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        fields = _stat_fields(int(row[0])) if row else None  # while the backend still lives
    return int(fields[1]) if fields else None


# --- bulk rows ----------------------------------------------------------------------------------

REQUESTS_FROM_STAGING = """
INSERT INTO authorization_requests (id, authorization_id, plan_id, pack_version, channel, received_at,
    submitter_key, dedup_fingerprint, kind, urgency, urgency_asserted_by_practitioner, line_of_business,
    member_reference, status, missing_items, coverage, row_version)
SELECT i, 'BENCH-' || lpad(i::text, 8, '0'), plan_id, pack_version, 'rest', received_at, 'bench',
       md5(i::text), kind, urgency, false, lob, '{{}}'::jsonb, status, '[]'::jsonb, '{{}}'::jsonb, 1
FROM {table} ORDER BY i
"""


def insert_requests(conn: psycopg.Connection[Any], table: str) -> None:
    """Minimal authorization_requests rows, one per row of a staging table, in one INSERT ... SELECT.

    The staging table has: i (becomes the id), plan_id, pack_version, lob, kind, urgency,
    received_at, status. Nothing else of a request (member, lines, events) is filled in.
    """
    conn.execute(REQUESTS_FROM_STAGING.format(table=table))
    conn.execute("SELECT setval('authorization_requests_id_seq', (SELECT max(id) FROM authorization_requests))")


class WaitSampler:
    """Samples pg_stat_activity and pg_locks for one database while a phase runs, on its own thread.

    Reports how many backends were, on average, running a statement, how many of those were
    waiting for a lock, and which advisory lock keys were waited for (OpenUM serializes audit-chain
    appends and look-alike submissions with pg_advisory_xact_lock)."""

    SQL = """
        SELECT count(*) FILTER (WHERE state = 'active'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event <> 'advisory'),
               count(*) FILTER (WHERE state = 'idle in transaction')
        FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()
    """
    ADVISORY_SQL = """
        SELECT (l.classid::bigint << 32) | l.objid::bigint, count(*)
        FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = %s GROUP BY 1
    """

    def __init__(self, dsn: str, db_name: str, interval: float = 0.05,
                 names: dict[int, str] | None = None) -> None:
        self.dsn, self.db_name, self.interval = dsn, db_name, interval
        self.names = names or {}
        self.samples: list[tuple[int, ...]] = []
        self.advisory: dict[int, int] = {}

    def __enter__(self) -> WaitSampler:
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                row = conn.execute(self.SQL, (self.db_name,)).fetchone()
                if row:
                    self.samples.append(tuple(int(x) for x in row))
                for key, k in conn.execute(self.ADVISORY_SQL, (self.db_name,)):
                    self.advisory[int(key)] = self.advisory.get(int(key), 0) + int(k)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def line(self) -> str:
        if not self.samples:
            return "   db: no samples"
        n = len(self.samples)
        active, advisory, other, idle_tx = (sum(s[i] for s in self.samples) / n for i in range(4))
        out = (f"   db: on average {active:.1f} backends running a statement, {advisory:.1f} of them "
               f"waiting for an advisory lock, {other:.1f} for another lock; {idle_tx:.1f} idle in "
               f"transaction ({n} samples)")
        top = sorted(self.advisory.items(), key=lambda kv: -kv[1])[:2]
        for key, k in top:
            if k / n >= 0.05:
                out += (f"\n   db: advisory lock {key:#x} ({self.names.get(key, 'per-request key')}): "
                        f"{k / n:.1f} waiters on average")
        return out
