"""Benchmark: Da Vinci PAS Claim/$submit approved automatically in the call, on PostgreSQL.

Each request is a PAS request bundle for a Partnership Medi-Cal member (lumbar spine MRI, 72148)
carrying a DTR QuestionnaireResponse that answers the policy in full and meets it, so intake approves
it automatically within the one $submit (A1 in the response). Prints throughput and p50/p99 latency
beside the bare baseline (bench/baseline_app.py: parse the JSON, insert one row) in the same run.

    .venv/bin/python bench/pas.py [--requests 2000] [--concurrency 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import ROOT, CpuMeter, drop_database, make_database, postmaster_pid, print_header
from bench.intake import report, start
from openum.fhir import dtr
from openum.fhir.codes import POS
from tests.fhir.bundles import item, pas_bundle

PLAN_NAME = "Partnership HealthPlan of California"
ANSWERS = {"red-flag-signs": False, "progressive-deficit": False, "intervention-candidate": True,
           "post-surgical-new-symptoms": False}
TREATMENTS = [("physical therapy", "physical_therapy", "failed", 56), ("naproxen", "nsaid", "ineffective", 60)]


def members() -> list[tuple[str, str, str, str]]:
    """Partnership members enrolled in Medi-Cal: (id, first, last, birth date)."""
    data = yaml.safe_load((ROOT / "packs/partnership-medi-cal/directory/directory.yaml").read_text())
    out = []
    for m in data.get("members") or []:
        spans = m.get("eligibility") or []
        if any(s.get("line_of_business") == "medi-cal" and not s.get("end") for s in spans):
            out.append((m["id"], m["first_name"], m["last_name"], str(m["birth_date"])))
    return out


def questionnaire_response() -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"linkId": f"answers.{k}", "answer": [{"valueBoolean": v}]}
                                   for k, v in ANSWERS.items()]
    for name, klass, outcome, days in TREATMENTS:
        items.append({"linkId": "prior_treatments", "item": [
            {"linkId": "prior_treatments.name", "answer": [{"valueString": name}]},
            {"linkId": "prior_treatments.treatment_class", "answer": [{"valueCoding": {"code": klass}}]},
            {"linkId": "prior_treatments.outcome", "answer": [{"valueCoding": {"code": outcome}}]},
            {"linkId": "prior_treatments.duration_days", "answer": [{"valueInteger": days}]}]})
    return {"resourceType": "QuestionnaireResponse", "id": "dtr-1", "status": "completed",
            "questionnaire": f"{dtr.CANONICAL}/partnership-medi-cal-lumbar-spine-mri",
            "subject": {"reference": "Patient/p1"}, "item": items}


def bundles(n: int, who: list[tuple[str, str, str, str]], tag: str, base: date = date(2026, 12, 1)) -> list[bytes]:
    out = []
    for i in range(n):
        member_id, first, last, birth = who[i % len(who)]
        day = (base + timedelta(days=i // len(who))).isoformat()
        b = pas_bundle(ident=f"{tag}-{i}", member_id=member_id, first=first, last=last, birth=birth,
                       requesting="1588139984", servicing="1866283603", facility=None, admission=None,
                       diagnoses=("M54.16",), items=[item(1, "72148", day, "11")], claim_id=f"mri-{i}")
        b["entry"][0]["resource"]["item"][0]["locationCodeableConcept"] = {"coding": [{"system": POS, "code": "11"}]}
        next(e["resource"] for e in b["entry"] if e["resource"].get("id") == "payer")["name"] = PLAN_NAME
        b["entry"].append({"fullUrl": "http://ehr.example.org/fhir/QuestionnaireResponse/dtr-1",
                           "resource": questionnaire_response()})
        out.append(json.dumps(b).encode())
    return out


def bare_bodies(n: int, who: list[tuple[str, str, str, str]], base: date = date(2026, 12, 1)) -> list[bytes]:
    """The same requests as the JSON the bare baseline parses (SubmitRequest, with the same facts)."""
    facts = {"answers": ANSWERS, "prior_treatments": [
        {"name": n_, "treatment_class": k, "outcome": o, "duration_days": d} for n_, k, o, d in TREATMENTS]}
    return [json.dumps({
        "member": {"member_id": who[i % len(who)][0], "first_name": who[i % len(who)][1],
                   "last_name": who[i % len(who)][2], "birth_date": who[i % len(who)][3]},
        "requesting_provider_npi": "1588139984", "servicing_provider_npi": "1866283603",
        "setting": "office", "diagnoses": ["M54.16"],
        "service_lines": [{"code": "72148", "units": 1, "place_of_service": "11",
                           "from_date": (base + timedelta(days=i // len(who))).isoformat()}],
        "clinical_facts": facts}).encode() for i in range(n)]


async def drive(url: str, bodies: list[bytes], headers: dict[str, str],
                concurrency: int) -> tuple[float, list[float], int, dict[str, int]]:
    latencies: list[float] = []
    errors = 0
    actions: dict[str, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            body = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post(url, content=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            if r.status_code not in (200, 201):
                errors += 1
                if errors == 1:
                    print(f"   first error: HTTP {r.status_code} {r.text[:300]}", file=sys.stderr)
                continue
            data = r.json()
            if data.get("resourceType") == "Bundle" and data.get("type") == "collection" and data.get("entry"):
                cr = data["entry"][0]["resource"]
                for it in cr.get("item") or []:
                    for x in it["adjudication"][0]["extension"][0]["extension"]:
                        if x["url"].endswith("Code"):
                            code = x["valueCodeableConcept"]["coding"][0]["code"]
                            actions[code] = actions.get(code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, errors, actions


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from openum.dbmigrate import upgrade

    db_name = make_database()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    env = {**os.environ, "OPENUM_DATABASE_URL": url, "OPENUM_STORAGE_DIR": f"/tmp/{db_name}",
           "OPENUM_RATE_LIMIT_PER_MINUTE": "0"}
    logs = Path(f"/tmp/{db_name}")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        subprocess.run([sys.executable, "-m", "openum.cli", "demo", "load"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        who = members()
        base_proc, base_url = start("bench.baseline_app:app", env, args.workers, logs / "baseline.log")
        procs.append(base_proc)
        app_proc, app_url = start("openum.web.main:app", env, args.workers, logs / "openum.log")
        procs.append(app_proc)
        tok = httpx.post(f"{app_url}/api/v1/auth/token",
                         data={"username": "provider-phc", "password": "openum-demo"}).json()["access_token"]
        fhir = {"Authorization": f"Bearer {tok}", "Content-Type": "application/fhir+json"}
        plain = {"Content-Type": "application/json"}

        print_header("PAS: POST /fhir/Claim/$submit approved automatically (DTR answers, A1) vs a bare endpoint")
        print(f"PostgreSQL, {args.workers} uvicorn workers, {args.concurrency} concurrent clients, "
              f"{args.requests} requests each; {len(who)} members")
        asyncio.run(drive(f"{base_url}/bare", bare_bodies(100, who), plain, args.concurrency))
        asyncio.run(drive(f"{app_url}/fhir/Claim/$submit", bundles(100, who, "warm", date(2027, 6, 1)), fhir,
                          args.concurrency))
        pg = postmaster_pid()
        work = bundles(args.requests, who, "run")
        phases = [("baseline: parse + insert one row", base_proc, f"{base_url}/bare", plain,
                   bare_bodies(args.requests, who)),
                  ("openum: PAS $submit, auto-approved", app_proc, f"{app_url}/fhir/Claim/$submit", fhir, work)]
        for label, proc, endpoint, headers, bodies_ in phases:
            with CpuMeter(server=proc.pid, **({"postgres": pg} if pg else {})) as cpu:
                elapsed, lat, errors, actions = asyncio.run(drive(endpoint, bodies_, headers, args.concurrency))
            report(label, args.requests, elapsed, lat, errors)
            if actions:
                print(f"   review actions: {dict(sorted(actions.items()))}")
            print(cpu.line("client"))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        drop_database(db_name)


if __name__ == "__main__":
    main()
