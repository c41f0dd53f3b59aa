"""Benchmark: regulatory clocks for 1,000,000 requests, and the deadline worker's scan on PostgreSQL.

(a) engine: `openum.deadlines.engine.due_times` for N requests (default 1,000,000) spread over both
    reference packs' lines of business, request kinds and urgencies, received at random instants
    over a year, split over P processes (default 2). Baseline in the same run: the same loop over
    the same inputs doing only the bare arithmetic `received_at + timedelta(days=14)`.
(b) worker: a scratch PostgreSQL database with N open requests and one open decision deadline
    each (bulk-loaded with INSERT ... SELECT generate_series), of which 1% are due for a check
    (escalation at 50/75/90% of the clock, or a breach). Times `openum.deadlines.worker.scan_once`
    (its batch size, default 200) and the scan query alone (EXPLAIN ANALYZE of the SELECT ... FOR
    UPDATE SKIP LOCKED, checking that ix_deadlines_next_check is used). Baseline in the same run:
    a plain `SELECT count(*)` of the same due rows.

    .venv/bin/python bench/clocks.py [--requests 1000000] [--processes 2] [--part a|b|both]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (
    ROOT,
    CpuMeter,
    insert_requests,
    latency_line,
    postmaster_pid,
    print_header,
    rate_line,
    scratch_database,
    timed_runs,
)
from openum.clock import FrozenClock
from openum.db import make_engine, make_session_factory
from openum.deadlines import engine, worker
from openum.deadlines.model import DueTime, NoClockRule
from openum.deadlines.models import Deadline
from openum.deadlines.schema import Obligation
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.vocabulary import RequestKind, Urgency

# --- the request mix ---------------------------------------------------------------------------

# Share of requests by line of business (Medi-Cal is the larger plan) and by kind and urgency.
# Combinations a pack has no clock for (e.g. reconsideration on Medi-Cal) are left out and the
# rest renormalized. Post-service clocks do not depend on urgency: those are non-urgent.
LOB_SHARE = {"medi-cal": 0.60, "commercial": 0.30, "qhp": 0.10}
KIND_SHARE = {
    (RequestKind.PRE_SERVICE, Urgency.NON_URGENT): 0.55,
    (RequestKind.PRE_SERVICE, Urgency.URGENT): 0.12,
    (RequestKind.CONCURRENT, Urgency.URGENT): 0.15,
    (RequestKind.CONCURRENT, Urgency.NON_URGENT): 0.05,
    (RequestKind.POST_SERVICE, Urgency.NON_URGENT): 0.10,
    (RequestKind.RECONSIDERATION, Urgency.NON_URGENT): 0.03,
}
YEAR_START = datetime(2026, 1, 2, tzinfo=UTC)  # the packs take effect 2026-01-01 (plan time)
BASELINE_DELTA = timedelta(days=14)


@dataclass(frozen=True)
class Combo:
    plan_id: str
    lob: str
    kind: RequestKind
    urgency: Urgency
    weight: float


REGISTRY: PackRegistry | None = None  # loaded once in the parent; forked workers inherit it


def registry() -> PackRegistry:
    global REGISTRY
    if REGISTRY is None:
        REGISTRY = PackRegistry.from_dir(ROOT / "packs")
    return REGISTRY


def pack_of(plan_id: str) -> PlanPack:
    return registry().versions(plan_id)[-1]


def request_mix() -> list[Combo]:
    """Every (line of business, kind, urgency) the packs have a clock for, with its share."""
    out = []
    probe = YEAR_START + timedelta(days=60)
    for plan_id in registry().plan_ids():
        pack = pack_of(plan_id)
        for lob in pack.manifest.lines_of_business:
            for (kind, urgency), share in KIND_SHARE.items():
                try:
                    engine.due_times(pack=pack, line_of_business=lob.id, kind=kind, urgency=urgency,
                                     received_at=probe)
                except NoClockRule:
                    continue
                out.append(Combo(plan_id, lob.id, kind, urgency, LOB_SHARE.get(lob.id, 0.0) * share))
    total_by_lob: dict[str, float] = {}
    for c in out:
        total_by_lob.setdefault(c.lob, 0.0)
        total_by_lob[c.lob] += c.weight
    return [Combo(c.plan_id, c.lob, c.kind, c.urgency,
                  c.weight / total_by_lob[c.lob] * LOB_SHARE[c.lob] / sum(LOB_SHARE.values()))
            for c in out if c.weight > 0]


Inputs = list[tuple[PlanPack, str, RequestKind, Urgency, datetime]]


def make_inputs(n: int, seed: int) -> Inputs:
    mix = request_mix()
    rng = random.Random(seed)
    packs = {c.plan_id: pack_of(c.plan_id) for c in mix}
    picks = rng.choices(mix, weights=[c.weight for c in mix], k=n)
    year = 365 * 24 * 3600
    return [(packs[c.plan_id], c.lob, c.kind, c.urgency,
             YEAR_START + timedelta(seconds=rng.randrange(year), microseconds=rng.randrange(10**6)))
            for c in picks]


# --- (a) the pure engine ---------------------------------------------------------------------


def _part_a_worker(n: int, seed: int, barrier: Any, out: Any) -> None:
    """One process's share: inputs first (untimed), then the baseline loop, then the engine loop.

    The barrier lines the processes up before each timed loop, so the wall time of a phase is
    the span from the first start to the last end."""
    inputs = make_inputs(n, seed)
    barrier.wait()
    b0, bc0 = time.perf_counter(), time.process_time()
    count = 0
    for _pack, _lob, _kind, _urgency, received in inputs:
        _ = received + BASELINE_DELTA
        count += 1
    b1, bc1 = time.perf_counter(), time.process_time()
    barrier.wait()
    e0, ec0 = time.perf_counter(), time.process_time()
    due = 0
    for pack, lob, kind, urgency, received in inputs:
        due += len(engine.due_times(pack=pack, line_of_business=lob, kind=kind, urgency=urgency,
                                    received_at=received))
    e1, ec1 = time.perf_counter(), time.process_time()
    out.put({"n": count, "base": (b0, b1), "engine": (e0, e1), "due_times": due,
             "base_cpu": bc1 - bc0, "engine_cpu": ec1 - ec0})


def check_sample(inputs: Inputs) -> tuple[int, int]:
    """(due times checked, due times earlier than receipt): the engine's first property."""
    checked = bad = 0
    for pack, lob, kind, urgency, received in inputs:
        for d in engine.due_times(pack=pack, line_of_business=lob, kind=kind, urgency=urgency,
                                  received_at=received):
            checked += 1
            bad += d.due_at is not None and d.due_at < received
    return checked, bad


def part_a(n: int, processes: int, seed: int, preview_sample: int) -> None:
    print(f"\n-- (a) engine.due_times for {n:,} requests, {processes} process(es)")
    mix = request_mix()
    for c in sorted(mix, key=lambda c: -c.weight):
        print(f"   mix {c.lob:<10} {c.kind.value:<16} {c.urgency.value:<11} {c.weight:6.1%}")
    shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_part_a_worker, args=(k, seed + i, barrier, out))
             for i, k in enumerate(shares)]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=1800) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
    wall = time.perf_counter() - t0
    total = sum(r["n"] for r in results)
    base_wall = max(r["base"][1] for r in results) - min(r["base"][0] for r in results)
    eng_wall = max(r["engine"][1] for r in results) - min(r["engine"][0] for r in results)
    print(rate_line(f"baseline: received_at + timedelta, {processes} proc", total, base_wall, "req"))
    print(rate_line(f"engine.due_times, {processes} proc (wall)", total, eng_wall, "req"))
    for i, r in enumerate(results):
        print(rate_line(f"   process {i}: due_times alone", r["n"], r["engine"][1] - r["engine"][0], "req"))
    # CPU seconds the processes got: on a shared machine wall time also counts waiting for a core.
    base_cpu = sum(r["base_cpu"] for r in results)
    eng_cpu = sum(r["engine_cpu"] for r in results)
    print(rate_line("baseline, per CPU-second", total, base_cpu, "req"))
    print(rate_line("engine.due_times, per CPU-second", total, eng_cpu, "req"))
    print(f"   the processes had {eng_cpu / eng_wall:.2f} cores of CPU during the engine phase "
          f"({processes} asked for)")
    due = sum(r["due_times"] for r in results)
    print(f"   {due:,} due times computed ({due / total:.2f} per request); whole pool incl. input "
          f"generation {wall:.1f} s; engine / baseline time: {eng_wall / base_wall:,.0f}x")
    checked, bad = check_sample(make_inputs(20_000, seed + 1000))
    print(f"   check on a separate 20,000-request sample: {checked:,} due times, {bad} earlier than receipt")

    if preview_sample:
        sample = make_inputs(preview_sample, seed + 2000)
        t, c0 = time.perf_counter(), time.process_time()
        for pack, lob, kind, urgency, received in sample:
            engine.preview(pack=pack, line_of_business=lob, kind=kind, urgency=urgency, received_at=received)
        el, cpu = time.perf_counter() - t, time.process_time() - c0
        print(rate_line("engine.preview (calculator), 1 proc, sample", preview_sample, el, "req"))
        print(rate_line("engine.preview, per CPU-second", preview_sample, cpu, "req"))
        print("   (preview is what GET /api/v1/timeliness/preview and `openum clocks` run; measured on "
              "this sample only, not extrapolated)")


# --- (b) the worker's scan on PostgreSQL -------------------------------------------------------

NOW = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)  # a Wednesday, 9 a.m. Pacific


@dataclass(frozen=True)
class MixRow:
    lo: float
    hi: float
    combo: Combo
    span: timedelta
    decision: DueTime


def mix_rows() -> list[MixRow]:
    """Each combination's real decision clock (from the engine) and its share of [0, 1)."""
    rows, lo = [], 0.0
    probe = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday morning on both coasts
    for c in request_mix():
        due = engine.due_times(pack=pack_of(c.plan_id), line_of_business=c.lob, kind=c.kind,
                               urgency=c.urgency, received_at=probe)
        decision = engine.find(due, Obligation.DECISION)
        assert decision is not None and decision.due_at is not None
        rows.append(MixRow(lo, lo + c.weight, c, decision.due_at - probe, decision))
        lo += c.weight
    return rows


LOAD_SQL = """
CREATE UNLOGGED TABLE bench_mix (lo float8, hi float8, lob text, plan_id text, pack_version text,
    kind text, urgency text, span interval, layer_id text, layer_kind text, rule_id text, rule text,
    clock text, citation text, adverse boolean);
"""

GEN_SQL = """
CREATE UNLOGGED TABLE bench_gen AS
SELECT x.i, m.*, r.frac, r.level, %(now)s::timestamptz - m.span * r.frac AS received_at,
       'in_clinical_review' AS status
FROM (SELECT i, random() AS pick, random() AS u FROM generate_series(1, %(n)s) AS i) AS x
JOIN bench_mix m ON x.pick >= m.lo AND (x.pick < m.hi OR m.hi >= 0.999999)
CROSS JOIN LATERAL (
  SELECT CASE
    WHEN x.i %% 100 <> 0 THEN x.u * 0.999
    WHEN (x.i / 100) %% 20 < 9 THEN 0.50 + x.u * 0.25
    WHEN (x.i / 100) %% 20 < 15 THEN 0.75 + x.u * 0.15
    WHEN (x.i / 100) %% 20 < 19 THEN 0.90 + x.u * 0.0999
    ELSE 1.0001 + x.u * 0.2 END AS frac
) AS f
CROSS JOIN LATERAL (
  SELECT f.frac, CASE
    WHEN x.i %% 100 <> 0 THEN (f.frac >= %(f1)s)::int + (f.frac >= %(f2)s)::int + (f.frac >= %(f3)s)::int
    WHEN (x.i / 100) %% 20 < 9 THEN 0
    WHEN (x.i / 100) %% 20 < 15 THEN 1
    WHEN (x.i / 100) %% 20 < 19 THEN 2
    ELSE 3 END AS level
) AS r;
"""

DEADLINES_SQL = """
INSERT INTO deadlines (id, request_pk, obligation, outcome, due_at, due_status, clock_started_at,
    layer_id, layer_kind, rule_id, rule, clock, citation, missed_is_adverse_determination, state,
    escalation_level, next_check_at)
SELECT i, i, 'decision', 'any', received_at + span, 'final', received_at, layer_id, layer_kind, rule_id,
       rule, clock, citation, adverse, 'open', level,
       CASE level WHEN 0 THEN received_at + span * %(f1)s WHEN 1 THEN received_at + span * %(f2)s
                  WHEN 2 THEN received_at + span * %(f3)s
                  ELSE received_at + span + interval '1 microsecond' END
FROM bench_gen ORDER BY i;
SELECT setval('deadlines_id_seq', %(n)s);
"""


# The requests whose deadlines are due now are the only ones the worker loads: they get what a
# real request has (a service line, a diagnosis, its receipt and routing events), so the ORM loads
# and the letters of a missed Medicaid deadline work on real rows. The other 99% stay minimal.
DUE_DETAILS_SQL = """
INSERT INTO service_lines (request_pk, sequence, code, code_system, modifiers, units, from_date,
    place_of_service, requirement, used_units)
SELECT i, 1, '72148', 'CPT', '[]'::jsonb, 1, (received_at + interval '10 days')::date, '22',
       'prior_authorization', 0
FROM bench_gen WHERE i %% 100 = 0 ORDER BY i;
INSERT INTO diagnoses (request_pk, sequence, code, description)
SELECT i, 1, 'M54.16', 'Radiculopathy, lumbar region' FROM bench_gen WHERE i %% 100 = 0 ORDER BY i;
INSERT INTO request_events (request_pk, at, type, actor, actor_role, from_status, to_status, reason, data)
SELECT i, received_at, e.type, 'bench', 'intake_coordinator', e.from_status, e.to_status, e.reason, '{}'::jsonb
FROM bench_gen CROSS JOIN (VALUES
    (1, 'received', NULL, 'received', 'received by api'),
    (2, 'status_changed', 'received', 'in_clinical_review', 'complete: clinical review')
  ) AS e(k, type, from_status, to_status, reason)
WHERE i %% 100 = 0 ORDER BY i, e.k;
"""


def bulk_load(dsn: str, n: int, fractions: list[float], seed: float) -> None:
    import psycopg

    params = {"n": n, "now": NOW, "f1": fractions[0], "f2": fractions[1], "f3": fractions[2]}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LOAD_SQL)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bench_mix VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(m.lo, m.hi, m.combo.lob, m.combo.plan_id, pack_of(m.combo.plan_id).version,
                  m.combo.kind.value, m.combo.urgency.value, m.span, m.decision.layer_id,
                  m.decision.layer_kind.value, m.decision.rule_id, m.decision.rule, m.decision.clock,
                  m.decision.citation, m.decision.missed_is_adverse_determination) for m in mix_rows()])
        # Which mix entry each request takes and how far through its clock it is: every 100th
        # request is due for a check now (45% reach 50% of the clock, 30% reach 75%, 20% reach
        # 90%, 5% breach); the others are at a random point before their next check.
        conn.execute("SELECT setseed(%s)", (seed,))
        t = time.perf_counter()
        conn.execute(GEN_SQL, params)
        print(f"   generated {n:,} requests' clocks  {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        insert_requests(conn, "bench_gen")
        print(f"   loaded authorization_requests   {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        for stmt in [s for s in DEADLINES_SQL.split(";\n") if s.strip()]:
            conn.execute(stmt, params)
        print(f"   loaded deadlines                {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        for stmt in [s for s in DUE_DETAILS_SQL.split(";\n") if s.strip()]:
            conn.execute(stmt, params)
        print(f"   lines, diagnoses, events of the due 1% {time.perf_counter() - t:4.1f} s")
        conn.execute("DROP TABLE bench_gen")
        conn.execute("DROP TABLE bench_mix")
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE authorization_requests")
        conn.execute("VACUUM ANALYZE deadlines")
        print(f"   vacuum analyze                  {time.perf_counter() - t:6.1f} s")


def scan_statement(batch: int) -> Any:
    """The worker's scan query, built as scan_once builds it (openum/deadlines/worker.py)."""
    from sqlalchemy import select

    return (select(Deadline).where(Deadline.state == "open", Deadline.next_check_at <= NOW)
            .order_by(Deadline.next_check_at).limit(batch).with_for_update(skip_locked=True))


def part_b(n: int, batch: int, runs: int, seed: float) -> None:
    print(f"\n-- (b) worker scan: {n:,} open requests with a decision deadline each, 1% due, "
          f"batch {batch}")
    fractions = sorted({tuple(pack_of(p).manifest.timeliness.escalation_fractions)
                        for p in registry().plan_ids()})
    if len(fractions) != 1 or len(fractions[0]) != 3:
        raise SystemExit(f"the load assumes one set of three escalation fractions; packs have {fractions}")
    with scratch_database() as db:
        print(f"   scratch database {db.name}")
        t = time.perf_counter()
        bulk_load(db.dsn, n, list(fractions[0]), seed)
        print(f"   bulk load total                 {time.perf_counter() - t:6.1f} s")
        sa_engine = make_engine(db.url)
        factory = make_session_factory(sa_engine)
        try:
            _measure_scan(sa_engine, factory, batch, runs, n)
        finally:
            sa_engine.dispose()


def _measure_scan(sa_engine: Any, factory: Any, batch: int, runs: int, n_loaded: int) -> None:
    from sqlalchemy import event, func, select, text

    with sa_engine.connect() as conn:
        sizes = conn.execute(text(
            "SELECT pg_size_pretty(pg_total_relation_size('deadlines')), "
            "pg_size_pretty(pg_relation_size('ix_deadlines_next_check')), "
            "(SELECT count(*) FROM deadlines), (SELECT count(*) FROM authorization_requests)")).one()
        print(f"   deadlines: {sizes[2]:,} rows, {sizes[0]} with indexes (ix_deadlines_next_check "
              f"{sizes[1]}); authorization_requests: {sizes[3]:,} rows")

        conn.rollback()
        count_q = select(func.count()).select_from(Deadline).where(
            Deadline.state == "open", Deadline.next_check_at <= NOW)

        def count_due() -> int:
            got = int(conn.execute(count_q).scalar_one())
            conn.rollback()
            return got

        due = count_due()
        base = timed_runs(count_due, runs)
        print(latency_line(f"baseline: SELECT count(*) of the {due:,} due rows", base))

        stmt = scan_statement(batch)
        compiled = stmt.compile(dialect=sa_engine.dialect)
        plan = [r[0] for r in conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params)]
        conn.rollback()  # EXPLAIN ANALYZE ran the FOR UPDATE: let go of the locks
        uses_index = any("ix_deadlines_next_check" in line for line in plan)

        def scan_query() -> int:
            got = len(conn.execute(stmt).all())
            conn.rollback()
            return got

        alone = timed_runs(scan_query, runs)
        print(latency_line(f"scan query alone (FOR UPDATE SKIP LOCKED LIMIT {batch})", alone))
    print("   EXPLAIN (ANALYZE, BUFFERS) of the worker's scan query:")
    for line in plan:
        print(f"     {line}")
    print(f"   ix_deadlines_next_check used: {'yes' if uses_index else 'NO'}")

    clock = FrozenClock(NOW)
    statements = Counter[str]()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        table = words[words.index("FROM") + 1] if words[0] == "SELECT" and "FROM" in words else (
            words[2] if words[0] in ("INSERT", "DELETE") else words[1])
        statements[f"{words[0]} {table}"] += 1

    event.listen(sa_engine, "before_cursor_execute", count)
    pg = postmaster_pid()
    with CpuMeter(**({"postgres": pg} if pg else {})) as cpu:
        result = worker.scan_once(factory, registry=registry(), clock=clock, batch=batch)
    elapsed = cpu.wall
    event.remove(sa_engine, "before_cursor_execute", count)
    print(rate_line(f"worker.scan_once (batch {batch})", result.rows, elapsed, "rows"))
    print(cpu.line("worker (this process)"))
    print(f"   {result.escalations:,} escalations, {result.breaches:,} breaches, "
          f"{result.adverse_determinations:,} Medicaid adverse determinations (438.404(c)(5)), "
          f"{result.pends_expired} pends expired; "
          f"{elapsed / max(result.rows, 1) * batch * 1000:,.0f} ms per batch of {batch}")
    with sa_engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(Deadline).where(
            Deadline.state == "open", Deadline.next_check_at <= NOW)).scalar_one()
        left_new = conn.execute(select(func.count()).select_from(Deadline).where(
            Deadline.state == "open", Deadline.next_check_at <= NOW, Deadline.id > n_loaded)).scalar_one()
        alerts = conn.execute(text("SELECT count(*) FROM deadline_alerts")).scalar_one()
        notices = conn.execute(text("SELECT count(*) FROM notices")).scalar_one()
        blocked = conn.execute(text(
            "SELECT count(*) FROM request_events WHERE type = 'notice_blocked'")).scalar_one()
    print(f"   after the scan: {left} rows still due ({left_new} of them created during the scan, by "
          f"the adverse determinations' refresh: the next scan takes them), {alerts:,} alerts recorded, "
          f"{notices:,} notices written, {blocked} notices blocked")
    total = sum(statements.values())
    print(f"   SQL statements during the scan: {total:,} ({total / max(result.rows, 1):.1f} per row handled):")
    for what, k in statements.most_common(8):
        print(f"     {k:>8,}  {what}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--processes", type=int, default=2, help="processes for part (a)")
    ap.add_argument("--batch", type=int, default=200, help="scan_once batch size for part (b)")
    ap.add_argument("--runs", type=int, default=20, help="timed runs of each query in part (b)")
    ap.add_argument("--preview-sample", type=int, default=10_000,
                    help="engine.preview calls timed in part (a); 0 to skip")
    ap.add_argument("--part", choices=["a", "b", "both"], default="both")
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()

    print_header("clocks: due times and the deadline worker's scan")
    t = time.perf_counter()
    registry()
    print(f"   packs loaded in {time.perf_counter() - t:.1f} s: {', '.join(registry().plan_ids())}")
    if args.part in ("a", "both"):
        part_a(args.requests, args.processes, args.seed, args.preview_sample)
    if args.part in ("b", "both"):
        part_b(args.requests, args.batch, args.runs, seed=0.42)


if __name__ == "__main__":
    main()
