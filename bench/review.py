"""Benchmark: a reviewer's queue among 1,000,000 requests on PostgreSQL, and policy evaluation.

(a) queue: a scratch PostgreSQL database with N requests (default 1,000,000) and one work item
    each, bulk-loaded with INSERT ... SELECT generate_series and spread over both packs' queues
    and lines of business, states (10% open, 5% waiting, 85% done) and 40 reviewers. Times the
    query `GET /api/v1/queues/mine` runs for the 50 earliest-due items (p50/p99 over --runs runs):
    the SQL is captured from a call of the router's own `my_queue` (so it is built by the router
    and its `_queues_for`, not re-typed here) and re-executed as is, with EXPLAIN ANALYZE showing
    the plan. Also times the whole `my_queue` call (query, then loading the 50 requests for the
    response). Baseline in the same run: a primary-key lookup of 50 work items.
(b) policies: `evaluate(policy, facts)` for every shipped policy of both packs with a criteria-met
    case, --iterations times each. Baseline in the same run: constructing the CaseFacts alone.

    .venv/bin/python bench/review.py [--requests 1000000] [--runs 200] [--iterations 10000]
                                     [--part a|b|both] [--compare-rewrite]

--compare-rewrite also times a UNION ALL formulation of the queue query that returns the same 50
items (evidence for docs/performance.md; it is not what the app runs).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (
    ROOT,
    insert_requests,
    latency_line,
    print_header,
    rate_line,
    scratch_database,
    timed_runs,
)
from openum.auth.models import User
from openum.db import make_engine, make_session_factory
from openum.packs.registry import PackRegistry
from openum.packs.schema import Setting
from openum.review import service
from openum.review.criteria import (
    Answer,
    CaseFacts,
    DoseFacts,
    DosePhase,
    Measurement,
    MedicalPolicy,
    PriorTreatment,
    TreatmentOutcome,
    evaluate,
)
from openum.review.criteria.schema import walk
from openum.review.router import my_queue
from openum.vocabulary import RequestKind

NOW = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)
LOB_SHARE = {"medi-cal": 0.60, "commercial": 0.30, "qhp": 0.10}
# Share of work by queue (within the queues a plan has) and the category typical of it.
QUEUE_SHARE = {
    "nurse": (0.50, "imaging_high_tech"),
    "physician": (0.14, "inpatient"),
    "pharmacy-technician": (0.08, "physician_administered_drug"),
    "bh-nurse": (0.08, "sud_residential"),
    "on-call": (0.06, "inpatient"),
    "pharmacist": (0.04, "physician_administered_drug"),
    "bh-director": (0.03, "behavioral_health"),
    "external": (0.02, "surgery"),
    "bh-vendor-on-call": (0.02, "behavioral_health"),
}
REVIEWERS = {"um_nurse": 20, "bh_nurse": 5, "pharmacy_technician": 3, "clinical_pharmacist": 3,
             "physician_reviewer": 6, "bh_clinical_director": 2, "external_reviewer": 1}
STATE_SHARE = {"open": 0.10, "waiting": 0.05}  # the rest are done
ASSIGNED_OPEN = 0.30  # open items already claimed by someone

_REGISTRY: PackRegistry | None = None


def registry() -> PackRegistry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = PackRegistry.from_dir(ROOT / "packs")
    return _REGISTRY


# --- (a) the queue ------------------------------------------------------------------------------

USERS_SQL = """
INSERT INTO users (username, full_name, role, password_hash, active, failed_logins, credentials, created_at)
SELECT 'bench-' || r.role || '-' || lpad(k::text, 2, '0'), 'Bench reviewer ' || k, r.role,
       'not-a-login', true, 0, '[]'::jsonb, %(now)s
FROM (VALUES {roles}) AS r(role, n), generate_series(1, r.n) AS k
ORDER BY r.role, k
"""

MIX_SQL = """
CREATE UNLOGGED TABLE bench_qmix (lo float8, hi float8, plan_id text, pack_version text, lob text,
    queue text, category text, kind text, urgency text, span interval, pool int[])
"""

# One row per request: its queue (mix entry), state, receipt, due time and assignee. Open and
# waiting items were received in the last 14 days; done ones over the past year.
GEN_SQL = """
CREATE UNLOGGED TABLE bench_items AS
SELECT x.i, m.plan_id, m.pack_version, m.lob, m.queue, m.category, m.kind, m.urgency,
       s.state, s.received_at, s.received_at + m.span AS due_at,
       CASE WHEN s.state = 'done' OR s.state = 'waiting' OR x.a < %(assigned)s
            THEN m.pool[1 + floor(x.p * array_length(m.pool, 1))::int] END AS assignee,
       CASE s.state WHEN 'done' THEN 'approved' WHEN 'waiting' THEN 'pended_for_information'
            ELSE CASE WHEN m.queue IN ('physician', 'bh-director') THEN 'in_physician_review'
                      ELSE 'in_clinical_review' END END AS status
FROM (SELECT i, random() AS pick, random() AS st, random() AS t, random() AS a, random() AS p
      FROM generate_series(1, %(n)s) AS i) AS x
JOIN bench_qmix m ON x.pick >= m.lo AND (x.pick < m.hi OR m.hi >= 0.999999)
CROSS JOIN LATERAL (
  SELECT st.state, CASE WHEN st.state = 'done' THEN %(now)s::timestamptz - x.t * interval '365 days'
                        ELSE %(now)s::timestamptz - x.t * interval '14 days' END AS received_at
  FROM (SELECT CASE WHEN x.st < %(open)s THEN 'open' WHEN x.st < %(open)s + %(waiting)s THEN 'waiting'
                    ELSE 'done' END AS state) AS st
) AS s
"""

ITEMS_SQL = """
INSERT INTO work_items (id, request_pk, queue, category, line_of_business, urgency, due_at, state,
    assignee_user_id, claimed_at, waiting_until, after_hours, post_stabilization, created_at, reason)
SELECT i, i, queue, category, lob, urgency, due_at, state, assignee,
       CASE WHEN assignee IS NOT NULL THEN received_at + interval '2 hours' END,
       CASE WHEN state = 'waiting' THEN %(now)s::timestamptz + (i %% 7 + 1) * interval '1 day' END,
       queue LIKE '%%on-call', false, received_at, 'routed by category'
FROM bench_items ORDER BY i
"""


# Open and waiting requests are what my_queue shows: they get what a real request has (a service
# line, a diagnosis, their receipt and routing events), since the endpoint loads them for the
# response. Done requests stay minimal rows.
DETAILS_SQL = """
INSERT INTO service_lines (request_pk, sequence, code, code_system, modifiers, units, from_date,
    place_of_service, requirement, used_units)
SELECT i, 1, '72148', 'CPT', '[]'::jsonb, 1, (received_at + interval '10 days')::date, '22',
       'prior_authorization', 0
FROM bench_items WHERE state <> 'done' ORDER BY i;
INSERT INTO diagnoses (request_pk, sequence, code, description)
SELECT i, 1, 'M54.16', 'Radiculopathy, lumbar region' FROM bench_items WHERE state <> 'done' ORDER BY i;
INSERT INTO request_events (request_pk, at, type, actor, actor_role, from_status, to_status, reason, data)
SELECT i, received_at, e.type, 'bench', 'intake_coordinator', e.from_status, e.to_status, e.reason, '{}'::jsonb
FROM bench_items CROSS JOIN (VALUES
    (1, 'received', NULL, 'received', 'received by api'),
    (2, 'status_changed', 'received', 'in_clinical_review', 'complete: clinical review')
  ) AS e(k, type, from_status, to_status, reason)
WHERE state <> 'done' ORDER BY i, e.k;
"""


def queue_mix(pools: dict[str, list[int]]) -> list[tuple[Any, ...]]:
    """(lo, hi, plan, version, lob, queue, category, kind, urgency, span, pool) rows summing to 1."""
    rows: list[list[Any]] = []
    for plan_id in registry().plan_ids():
        pack = registry().versions(plan_id)[-1]
        rf = service.routing_file(pack)
        assert rf is not None, f"{plan_id} has no routing"
        queues = [q for q in rf.queues if q.id in QUEUE_SHARE]
        total = sum(QUEUE_SHARE[q.id][0] for q in queues)
        for lob in pack.manifest.lines_of_business:
            for q in queues:
                share = LOB_SHARE[lob.id] / sum(LOB_SHARE.values()) * QUEUE_SHARE[q.id][0] / total
                pool = sorted({u for role in q.roles for u in pools.get(role, [])})
                for urgent, part, span in ((True, 0.25, timedelta(hours=72)), (False, 0.75, timedelta(days=7))):
                    rows.append([plan_id, pack.version, lob.id, q.id, QUEUE_SHARE[q.id][1],
                                 RequestKind.PRE_SERVICE.value, "urgent" if urgent else "non_urgent",
                                 span, pool, share * part])
    out: list[tuple[Any, ...]] = []
    lo = 0.0
    for r in rows:
        weight = float(r[-1])
        out.append((lo, lo + weight, *r[:-1]))
        lo += weight
    return out


def bulk_load(dsn: str, n: int, seed: float) -> dict[str, list[int]]:
    """Reviewers, requests and work items; returns the reviewers' ids by role."""
    import psycopg

    params = {"n": n, "now": NOW, "open": STATE_SHARE["open"], "waiting": STATE_SHARE["waiting"],
              "assigned": ASSIGNED_OPEN}
    with psycopg.connect(dsn, autocommit=True) as conn:
        roles = ", ".join(f"('{r}', {k})" for r, k in REVIEWERS.items())
        conn.execute(USERS_SQL.format(roles=roles), params)
        pools: dict[str, list[int]] = {}
        for uid, role in conn.execute("SELECT id, role FROM users ORDER BY id"):
            pools.setdefault(role, []).append(uid)
        conn.execute(MIX_SQL)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_qmix VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            queue_mix(pools))
        conn.execute("SELECT setseed(%s)", (seed,))
        t = time.perf_counter()
        conn.execute(GEN_SQL, params)
        print(f"   generated {n:,} work items          {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        insert_requests(conn, "bench_items")
        print(f"   loaded authorization_requests     {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        conn.execute(ITEMS_SQL, params)
        conn.execute("SELECT setval('work_items_id_seq', %s)", (n,))
        print(f"   loaded work_items                 {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        for stmt in [s for s in DETAILS_SQL.split(";\n") if s.strip()]:
            conn.execute(stmt)
        print(f"   lines, diagnoses, events of open/waiting {time.perf_counter() - t:4.1f} s")
        conn.execute("DROP TABLE bench_items")
        conn.execute("DROP TABLE bench_qmix")
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE authorization_requests")
        conn.execute("VACUUM ANALYZE work_items")
        conn.execute("VACUUM ANALYZE users")
        for table in ("service_lines", "diagnoses", "request_events"):
            conn.execute(f"VACUUM ANALYZE {table}")
        print(f"   vacuum analyze                    {time.perf_counter() - t:6.1f} s")
    return pools


def part_a(n: int, runs: int, seed: float, compare_rewrite: bool = False) -> None:
    print(f"\n-- (a) a reviewer's queue among {n:,} requests (one work item each), 50 earliest due")
    with scratch_database() as db:
        print(f"   scratch database {db.name}")
        t = time.perf_counter()
        pools = bulk_load(db.dsn, n, seed)
        print(f"   bulk load total                   {time.perf_counter() - t:6.1f} s")
        engine = make_engine(db.url)
        try:
            _measure_queue(engine, pools, runs, seed, compare_rewrite)
        finally:
            engine.dispose()


def _capture_queue_sql(engine: Any, factory: Any, user_id: int) -> tuple[str, Any, int]:
    """Call the router's my_queue once and keep the work_items query it sent, with its parameters."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM work_items" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with factory() as session:
            user = session.get(User, user_id)
            assert user is not None
            out = my_queue(session=session, registry=registry(), user=user, limit=50, include_waiting=False)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert len(seen) == 1, f"expected one queue query, saw {len(seen)}"
    return seen[0][0], seen[0][1], len(out)


def rewrite_sql(role: str, user_id: int) -> str:
    """NOT what the app runs: the same 50 items as my_queue, one ordered branch per queue.

    Each branch can walk ix_work_items_queue_due (state, queue, due_at) or ix_work_items_assignee_due
    in due order and stop after 50 rows; the outer query merges at most 50 rows per branch. Shown
    with --compare-rewrite only, as evidence for docs/performance.md, never as the measured figure.
    """
    branches = [f"(SELECT * FROM work_items WHERE state = 'open' AND assignee_user_id = {int(user_id)} "
                "ORDER BY due_at, id LIMIT 50)"]
    for pack in registry().all():
        rf = service.routing_file(pack)
        if rf is None:
            continue
        lobs = ", ".join(f"'{lob.id}'" for lob in pack.manifest.lines_of_business)
        for q in rf.queues:
            if role in q.roles:
                branches.append(
                    f"(SELECT * FROM work_items WHERE state = 'open' AND assignee_user_id IS NULL "
                    f"AND queue = '{q.id}' AND line_of_business IN ({lobs}) ORDER BY due_at, id LIMIT 50)")
    return ("SELECT * FROM (" + "\n  UNION ALL ".join(branches) + ") AS t "
            "ORDER BY due_at ASC NULLS LAST, id LIMIT 50")


def _measure_queue(engine: Any, pools: dict[str, list[int]], runs: int, seed: float,
                   compare_rewrite: bool = False) -> None:
    from sqlalchemy import text

    factory = make_session_factory(engine)
    with engine.connect() as conn:
        stats = conn.execute(text(
            "SELECT state, count(*), count(assignee_user_id) FROM work_items GROUP BY state ORDER BY state")).all()
        size = conn.execute(text(
            "SELECT pg_size_pretty(pg_total_relation_size('work_items')), "
            "pg_size_pretty(pg_relation_size('ix_work_items_queue_due')), "
            "pg_size_pretty(pg_relation_size('ix_work_items_assignee_due'))")).one()
    print("   work_items: " + ", ".join(f"{s} {k:,} ({a:,} assigned)" for s, k, a in stats)
          + f"; {size[0]} with indexes (queue_due {size[1]}, assignee_due {size[2]})")

    rng = random.Random(int(seed * 1000))
    max_id = sum(k for _, k, _ in stats)
    with engine.connect() as conn:
        def pk_lookup() -> int:
            ids = rng.sample(range(1, max_id + 1), 50)
            got = len(conn.exec_driver_sql("SELECT * FROM work_items WHERE id = ANY(%(ids)s)",
                                           {"ids": ids}).all())
            conn.rollback()
            return got

        base = timed_runs(pk_lookup, runs)
    print(latency_line("baseline: primary-key lookup of 50 work items", base))

    for role in ("um_nurse", "physician_reviewer"):
        user_id = pools[role][0]
        sql, params, returned = _capture_queue_sql(engine, factory, user_id)
        with engine.connect() as conn:
            mine = conn.execute(text(
                "SELECT count(*) FILTER (WHERE assignee_user_id = :u), count(*) FROM work_items "
                "WHERE state = 'open'"), {"u": user_id}).one()

            def queue_query(sql: str = sql, params: Any = params) -> int:
                got = len(conn.exec_driver_sql(sql, params).all())
                conn.rollback()
                return got

            secs = timed_runs(queue_query, runs)
            plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
            conn.rollback()

        def endpoint(user_id: int = user_id) -> int:
            with factory() as session:
                user = session.get(User, user_id)
                assert user is not None
                return len(my_queue(session=session, registry=registry(), user=user, limit=50,
                                    include_waiting=False))

        whole = timed_runs(endpoint, runs)
        print(f"\n   {role} (user id {user_id}): {mine[0]:,} open items assigned to them, "
              f"{mine[1]:,} open in all; my_queue returned {returned}")
        print(latency_line(f"my_queue's SQL, {role}", secs))
        print(latency_line(f"my_queue() whole call, {role}", whole))
        used = sorted({ix for ix in ("ix_work_items_queue_due", "ix_work_items_assignee_due", "pk_work_items")
                       if any(ix in line for line in plan)})
        print(f"   indexes in the plan: {', '.join(used) or 'NONE'}")
        print("   EXPLAIN (ANALYZE, BUFFERS):")
        for line in plan:
            print(f"     {line}")
        if compare_rewrite:
            alt = rewrite_sql(role, user_id)
            with engine.connect() as conn:
                same = ([r[0] for r in conn.exec_driver_sql(sql, params).all()]
                        == [r[0] for r in conn.exec_driver_sql(alt).all()])
                conn.rollback()

                def alt_query(alt: str = alt) -> int:
                    got = len(conn.exec_driver_sql(alt).all())
                    conn.rollback()
                    return got

                alt_secs = timed_runs(alt_query, runs)
                alt_plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + alt)]
                conn.rollback()
            print(latency_line(f"NOT THE APP: UNION ALL per queue, {role}", alt_secs))
            print(f"   same 50 items, same order as my_queue: {'yes' if same else 'NO'}; its plan ends with: "
                  + next((ln.strip() for ln in reversed(alt_plan) if "Execution Time" in ln), "?"))
    print("\n   my_queue's SQL as sent (um_nurse is the same with its own queue lists):")
    for line in sql.splitlines():
        print(f"     {line}")


# --- (b) policy evaluation -------------------------------------------------------------------

def _yes(*ids: str) -> dict[str, Answer]:
    return {i: Answer(True) for i in ids}


def _m(value: float, unit: str) -> Measurement:
    return Measurement(value, unit)


FAILED, INEFFECTIVE = TreatmentOutcome.FAILED, TreatmentOutcome.INEFFECTIVE

# A criteria-met case per policy, from the clinical stories of tests/review (copied, not imported,
# so the benchmark does not depend on test modules). {form} adds AllWays' enteral form answer.
MET_CASES: dict[str, Callable[[str], dict[str, Any]]] = {
    "elective-inpatient-joint-replacement": lambda pack: dict(
        age_years=67, diagnoses=("M17.11",), codes=("27447",), setting=Setting.INPATIENT, days=2,
        findings={"kellgren_lawrence_grade": _m(4, "grade"), "pain_score": _m(7, "/10"),
                  "bmi": _m(32, "kg/m2"), "asa_class": _m(3, "class")},
        prior_treatments=(PriorTreatment("naproxen", FAILED, 120, "nsaid"),
                          PriorTreatment("physical therapy", INEFFECTIVE, 90, "physical_therapy")),
        answers=_yes("functional-limitation", "no-active-infection")),
    "snf-admission": lambda pack: dict(
        age_years=81, diagnoses=("S72.001A",), codes=("0022",), setting=Setting.SNF, days=14,
        request_kind=RequestKind.PRE_SERVICE,
        answers=_yes("physician-order", "daily-skilled-nursing", "no-lower-level")),
    "snf-continued-stay": lambda pack: dict(
        age_years=81, diagnoses=("S72.001A",), codes=("0022",), setting=Setting.SNF, days=10,
        request_kind=RequestKind.CONCURRENT,
        answers=_yes("ongoing-skilled-rehab", "measurable-progress", "discharge-plan")),
    "lumbar-spine-mri": lambda pack: dict(
        age_years=52, codes=("72148",), setting=Setting.OUTPATIENT, units=1, diagnoses=("M54.16",),
        prior_treatments=(PriorTreatment("physical therapy", FAILED, 56, "physical_therapy"),),
        answers=_yes("intervention-candidate")),
    "power-wheelchair": lambda pack: dict(
        age_years=70, diagnoses=("M17.0", "I50.9"), codes=("K0823",), setting=Setting.HOME, units=1,
        answers=_yes("mobility-limitation", "cane-walker-insufficient", "manual-wheelchair-insufficient",
                     "scooter-insufficient", "home-accessible", "able-to-operate",
                     "face-to-face-and-order")),
    "cpap-initial": lambda pack: dict(
        age_years=58, diagnoses=("G47.33",), codes=("E0601",), units=3, setting=Setting.HOME,
        findings={"ahi": _m(22, "events/hour")},
        answers=_yes("face-to-face-before-test", "qualifying-sleep-test", "instructed-in-use")),
    "cpap-continued": lambda pack: dict(
        age_years=58, diagnoses=("G47.33",), codes=("E0601",), units=10, setting=Setting.HOME,
        request_kind=RequestKind.CONCURRENT, findings={"cpap_nights_4h_pct": _m(78, "%")},
        answers=_yes("trial-re-evaluation")),
    "enteral-formula": lambda pack: dict(
        codes=("B4150",), units=900,
        answers=_yes("prescription", "tube-feeding",
                     *(("medical-necessity-form",) if pack == "allways-commercial" else ()))),
    "sud-residential": lambda pack: dict(
        age_years=34, diagnoses=("F11.20",), codes=("H0018",), setting=Setting.RESIDENTIAL, days=30,
        level_of_care="3.5",
        findings={f"asam_d{i}": _m(v, "rating") for i, v in enumerate((1, 1, 2, 3, 3, 2), start=1)},
        answers=_yes("multidimensional-assessment", "less-intensive-not-enough")),
    "outpatient-pt-initial": lambda pack: dict(
        age_years=45, diagnoses=("M75.101",), codes=("97161", "97110"), setting=Setting.OFFICE,
        frequency_per_week=2, duration_weeks=6, units=12,
        findings={"functional_limitation_pct": _m(40, "%")},
        answers=_yes("plan-of-care", "expected-improvement")),
    "outpatient-pt-continued": lambda pack: dict(
        age_years=45, diagnoses=("M75.101",), codes=("97110",), setting=Setting.OFFICE,
        frequency_per_week=2, duration_weeks=6, units=12, request_kind=RequestKind.CONCURRENT,
        findings={"functional_improvement_pct": _m(15, "%")},
        answers=_yes("goals-not-met", "plan-recertified")),
    "infliximab": lambda pack: dict(
        age_years=14, diagnoses=("K50.10",), codes=("J1745",), setting=Setting.OUTPATIENT,
        prior_treatments=(PriorTreatment("azathioprine", FAILED, 120, "thiopurine"),),
        dose=DoseFacts(dose_mg=200, weight_kg=40, interval_weeks=8, phase=DosePhase.MAINTENANCE),
        answers=_yes("tb-screening", "no-active-infection", "no-other-biologic")),
}


def _criteria(node: Any) -> int:
    return sum(1 for _ in walk(node))


def part_b(iterations: int) -> None:
    print(f"\n-- (b) criteria engine: evaluate(policy, facts), {iterations:,} iterations per policy, "
          "criteria-met cases")
    print(f"   {'pack':<21} {'policy':<37} {'nodes':>5} {'outcome':<13} {'CaseFacts':>10} "
          f"{'evaluate':>10} {'evals/s':>9}")
    total_eval = total_facts = cpu_eval = cpu_facts = 0.0
    count = 0
    for plan_id in registry().plan_ids():
        pack = registry().versions(plan_id)[-1]
        policies: list[MedicalPolicy] = sorted(service.policies(pack), key=lambda p: p.id)
        for policy in policies:
            if policy.id not in MET_CASES:
                print(f"   {plan_id:<21} {policy.id:<37} (no case in bench/review.py: skipped)")
                continue
            kwargs = MET_CASES[policy.id](plan_id)
            t, c = time.perf_counter(), time.process_time()
            for _ in range(iterations):
                CaseFacts(**kwargs)
            facts_s, facts_c = time.perf_counter() - t, time.process_time() - c
            facts = CaseFacts(**kwargs)
            outcome = evaluate(policy, facts).outcome.value
            t, c = time.perf_counter(), time.process_time()
            for _ in range(iterations):
                evaluate(policy, facts)
            eval_s, eval_c = time.perf_counter() - t, time.process_time() - c
            total_eval += eval_s
            total_facts += facts_s
            cpu_eval += eval_c
            cpu_facts += facts_c
            count += iterations
            print(f"   {plan_id:<21} {policy.id:<37} {_criteria(policy.indications):>5} {outcome:<13} "
                  f"{facts_s / iterations * 1e6:>7.1f} us {eval_s / iterations * 1e6:>7.1f} us "
                  f"{iterations / eval_s:>9,.0f}")
    print(rate_line("baseline: CaseFacts(...) alone, all policies", count, total_facts, "facts"))
    print(rate_line("evaluate(policy, facts), all policies", count, total_eval, "evals"))
    # CPU seconds this process got: on a shared machine wall time also counts waiting for a core.
    print(rate_line("baseline, per CPU-second", count, cpu_facts, "facts"))
    print(rate_line("evaluate, per CPU-second", count, cpu_eval, "evals"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=200, help="timed runs of each queue query")
    ap.add_argument("--iterations", type=int, default=10_000, help="evaluations per policy")
    ap.add_argument("--part", choices=["a", "b", "both"], default="both")
    ap.add_argument("--compare-rewrite", action="store_true",
                    help="also time a UNION ALL formulation of the queue query (not what the app runs)")
    args = ap.parse_args()

    print_header("review: a reviewer's queue, and policy evaluation")
    t = time.perf_counter()
    registry()
    print(f"   packs loaded in {time.perf_counter() - t:.1f} s: {', '.join(registry().plan_ids())}")
    if args.part in ("a", "both"):
        part_a(args.requests, args.runs, seed=0.17, compare_rewrite=args.compare_rewrite)
    if args.part in ("b", "both"):
        part_b(args.iterations)


if __name__ == "__main__":
    main()
