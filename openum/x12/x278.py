"""X12 278 (005010X217): a request read into the one intake, the response written from its answer.

Request loops read: 2000A UMO (HL 20, NM1*X3), 2000B requester (HL 21, NM1 with NPI), 2000C
subscriber (HL 22, NM1*IL, DMG), 2000D dependent (HL 23, optional), 2000E patient event (HL EV: TRN,
UM, HI, DTP, HSD, MSG, NM1 event providers), 2000F services (HL SS: TRN, UM, DTP*472, SV1/SV2/SV3).
The response echoes the request's parties and traces (TRN*2) and answers the event and each service
with HCR (A1, A2, A3, A4, A6, C, CT, NA, the same X12 306 codes PAS uses), HCR02 our authorization ID.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from openum.fhir.response import answers as pas_answers
from openum.intake.schemas import RequestOut, SubmitRequest
from openum.packs.registry import PackRegistry
from openum.x12.segments import Delimiters, Interchange, Segment, X12Error, read, write

VERSION = "005010X217"
POS_SETTING = {"11": "office", "12": "home", "19": "outpatient", "21": "inpatient", "22": "outpatient",
               "23": "emergency", "24": "surgical_day_care", "31": "snf", "32": "snf", "51": "inpatient",
               "55": "residential", "56": "residential", "61": "inpatient", "81": "outpatient"}
URGENT = {"U", "03"}
EVENT_PROVIDERS = {"SJ": "servicing", "FA": "facility", "71": "attending", "72": "operating",
                   "DN": "referring", "DK": "ordering", "77": "service_location", "AAJ": "admitting"}


@dataclass
class Loop:
    level: str  # HL03: 20, 21, 22, 23, EV, SS
    hl: Segment
    segments: list[Segment] = field(default_factory=list)

    def all(self, tag: str, first: str | None = None) -> list[Segment]:
        return [s for s in self.segments if s.tag == tag and (first is None or s.get(1) == first)]

    def one(self, tag: str, first: str | None = None) -> Segment | None:
        found = self.all(tag, first)
        return found[0] if found else None


@dataclass
class Transaction:
    """One ST..SE 278 request."""

    st: Segment
    bht: Segment | None
    loops: list[Loop]
    segments: list[Segment]

    def level(self, code: str) -> list[Loop]:
        return [lp for lp in self.loops if lp.level == code]


def transactions(ix: Interchange) -> list[Transaction]:
    """Each 278 in the interchange, its HL loops in order; refusal names every envelope problem."""
    problems: list[str] = []
    gs = ix.first("GS")
    if gs is None or gs.get(1) != "HI":
        problems.append("GS: a functional group of health care services review (GS01 'HI') is required")
    if gs is not None and gs.get(8) and gs.get(8) != VERSION:
        problems.append(f"GS08 (segment {gs.position}): version {gs.get(8)!r}, expected {VERSION}")
    out: list[Transaction] = []
    current: list[Segment] | None = None
    for seg in ix.segments:
        if seg.tag == "ST":
            current = [seg]
        elif current is not None:
            current.append(seg)
            if seg.tag == "SE":
                out.append(_transaction(current, problems))
                current = None
    if current is not None:
        problems.append(f"ST (segment {current[0].position}): transaction set has no SE trailer")
    if not out and not problems:
        problems.append("no 278 transaction set (ST*278) in the interchange")
    if problems:
        raise X12Error(problems)
    return out


def _transaction(segs: list[Segment], problems: list[str]) -> Transaction:
    st, se = segs[0], segs[-1]
    if st.get(1) != "278":
        problems.append(f"ST01 (segment {st.position}): transaction {st.get(1)!r} is not a 278")
    if st.get(3) and st.get(3) != VERSION:
        problems.append(f"ST03 (segment {st.position}): {st.get(3)!r}, expected {VERSION}")
    if se.get(1) != str(len(segs)):
        problems.append(f"SE01 (segment {se.position}): counts {se.get(1)!r} segments, the set has {len(segs)}")
    if se.get(2) != st.get(2):
        problems.append(f"SE02 (segment {se.position}): control number {se.get(2)!r} differs from ST02 {st.get(2)!r}")
    bht = next((s for s in segs if s.tag == "BHT"), None)
    if bht is None:
        problems.append(f"BHT: missing after ST (segment {st.position})")
    elif bht.get(2) != "13":
        problems.append(f"BHT02 (segment {bht.position}): {bht.get(2)!r}; a request is '13'")
    loops: list[Loop] = []
    for seg in segs[1:-1]:
        if seg.tag == "HL":
            loops.append(Loop(seg.get(3), seg))
        elif loops:
            loops[-1].segments.append(seg)
    t = Transaction(st, bht, loops, segs)
    for level, name in (("20", "2000A UMO"), ("21", "2000B requester"), ("22", "2000C subscriber"),
                        ("EV", "2000E patient event")):
        if not t.level(level):
            problems.append(f"HL*{level} ({name}) loop missing in the 278 at segment {st.position}")
    for lp in t.loops:
        if lp.level in ("EV", "SS") and lp.one("UM") is None:
            problems.append(f"UM (HL {lp.hl.get(1)}, segment {lp.hl.position}): every event and service "
                            "loop needs its UM segment")
    return t


# --- 278 request -> SubmitRequest -----------------------------------------------------------------

def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _period(seg: Segment | None) -> tuple[date | None, date | None]:
    if seg is None:
        return None, None
    if seg.get(2) == "RD8" and "-" in seg.get(3):
        a, b = seg.get(3).split("-", 1)
        return _date(a), _date(b)
    d = _date(seg.get(3))
    return d, None


def _npi(seg: Segment | None) -> str | None:
    return seg.get(9) if seg is not None and seg.get(8) == "XX" and seg.get(9) else None


def _plan(umo: Segment | None, registry: PackRegistry) -> str | None:
    if umo is None:
        return None
    ids = registry.plan_ids()
    if umo.get(9) in ids:
        return umo.get(9)
    name = umo.get(3).casefold()
    for plan_id in ids:
        plan = registry.versions(plan_id)[-1].manifest.plan
        if name and name in (plan.name.casefold(), plan.short_name.casefold()):
            return plan_id
    return None


def _procedure(seg: Segment, d: Delimiters) -> tuple[str | None, str | None, list[str], int]:
    """(code, system, modifiers, units) from an SV1, SV2 or SV3."""
    if seg.tag == "SV2":
        parts = seg.parts(2, d) if seg.get(2) else ["NU", seg.get(1)]
        units = seg.get(5)
    elif seg.tag == "SV3":
        parts, units = seg.parts(1, d), seg.get(6) or "1"
    else:
        parts, units = seg.parts(1, d), seg.get(4)
    qual, code = [*parts, "", ""][:2]
    system = {"HC": "HCPCS" if code[:1].isalpha() else "CPT", "NU": "REV", "AD": None, "N4": "NDC"}.get(qual)
    try:
        n = max(1, int(float(units))) if units else 1
    except ValueError:
        n = 1
    return code or None, system, [m for m in parts[2:6] if m], n


@dataclass
class Read278:
    cmd: SubmitRequest
    idempotency_key: str
    event: Loop
    services: list[Loop]


def to_submit(t: Transaction, d: Delimiters, registry: PackRegistry) -> Read278:
    """The SubmitRequest for one 278 request; malformed values refused, naming the segment."""
    umo = t.level("20")[0].one("NM1")
    requester = t.level("21")[0].one("NM1")
    sub = t.level("22")[0]
    patient = t.level("23")[0] if t.level("23") else sub
    nm1 = patient.one("NM1") or sub.one("NM1")
    dmg = patient.one("DMG") or sub.one("DMG")
    holder = sub.one("NM1") or nm1
    member_id = holder.get(9) if holder is not None else None
    event = t.level("EV")[0]
    services = t.level("SS")
    um = event.one("UM")
    assert um is not None
    dx: list[str] = []
    for hi in event.all("HI"):
        for k in range(1, 13):
            parts = hi.parts(k, d) if hi.get(k) else []
            if len(parts) >= 2 and parts[0] in ("ABK", "ABF", "ABJ", "APR", "BK", "BF"):
                icd = parts[1]
                dx.append(icd if "." in icd or len(icd) <= 3 else f"{icd[:3]}.{icd[3:]}")
    providers = {EVENT_PROVIDERS.get(s.get(1), s.get(1)): s for s in event.all("NM1")}
    start, end = _period(event.one("DTP", "AAH"))
    admission = _period(event.one("DTP", "435"))[0]
    stay = None
    hsd = event.one("HSD")
    if hsd is not None and hsd.get(1) == "DY" and hsd.get(2).isdigit():
        stay = int(hsd.get(2))
    facility = um.parts(4, d) if um.get(4) else []
    pos = facility[0] if len(facility) >= 2 and facility[1] == "B" else None
    setting = "inpatient" if um.get(1) == "AR" else POS_SETTING.get(pos or "")
    if setting is None and len(facility) >= 2 and facility[1] == "A" and facility[0][:1] == "1":
        setting = "inpatient" if facility[0][:2] in ("11", "12") else "outpatient"
    lines: list[dict[str, Any]] = []
    for s in services:
        proc = next((x for x in s.segments if x.tag in ("SV1", "SV2", "SV3")), None)
        if proc is None:
            continue
        code, system, mods, units = _procedure(proc, d)
        f, to = _period(s.one("DTP", "472"))
        s_um = s.one("UM")
        s_fac = s_um.parts(4, d) if s_um is not None and s_um.get(4) else []
        line_pos = s_fac[0] if len(s_fac) >= 2 and s_fac[1] == "B" else pos
        lines.append({"code": code, "code_system": system, "modifiers": mods, "units": units,
                      "from_date": f or start or admission, "to_date": to or end,
                      "place_of_service": line_pos if line_pos and line_pos.isdigit() else None})
        if setting is None and line_pos:
            setting = POS_SETTING.get(line_pos)
    if not lines and um.get(3):
        lines.append({"code": None, "units": 1, "from_date": start or admission, "to_date": end})
    kind = "concurrent" if um.get(2) == "4" else "pre_service"
    notes = [m.get(1) for m in event.all("MSG") if m.get(1)]
    body: dict[str, Any] = {
        "plan_id": _plan(umo, registry), "kind": kind,
        "urgency": "urgent" if um.get(6) in URGENT else "non_urgent",
        "urgency_asserted_by_practitioner": um.get(6) in URGENT,
        "member": {"member_id": member_id or None, "last_name": nm1.get(3) or None if nm1 else None,
                   "first_name": nm1.get(4) or None if nm1 else None,
                   "birth_date": _date(dmg.get(2)) if dmg is not None and dmg.get(1) == "D8" else None},
        "requesting_provider_npi": _npi(requester),
        "servicing_provider_npi": _npi(providers.get("servicing")) or _npi(
            next((s.one("NM1", "SJ") for s in services if s.one("NM1", "SJ")), None)),
        "facility_npi": _npi(providers.get("facility")),
        "setting": setting, "service_lines": lines, "diagnoses": dx,
        "admission_date": admission, "requested_length_of_stay": stay,
        "clinical_indications": "\n".join(notes) or None,
    }
    try:
        cmd = SubmitRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        raise X12Error([f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (278 at segment {t.st.position})"
                        for e in exc.errors()]) from exc
    traces = "|".join(s.get(2) for lp in (event, *services) for s in lp.all("TRN"))
    key = hashlib.sha256(f"{t.bht.get(3) if t.bht else ''}|{traces}".encode()).hexdigest()[:40]
    return Read278(cmd, f"x12-278:{key}", event, services)


# --- answer -> 278 response ---------------------------------------------------------------------

def _d8(day: date) -> str:
    return day.strftime("%Y%m%d")


def _echo(seg: Segment | None) -> list[list[str]]:
    return [[seg.tag, *seg.elements]] if seg is not None else []


def _traces(loop: Loop) -> list[list[str]]:
    """The requester's TRN*1 traces, echoed as TRN*2 (X217: referenced transaction trace)."""
    return [["TRN", "2", *s.elements[1:]] for s in loop.all("TRN", "1")]


def response_segments(t: Transaction, read278: Read278, out: RequestOut, *, plan_name: str,
                      now: datetime, d: Delimiters) -> list[list[str]]:
    """The 278 response transaction set (ST..SE) for one request and our answer to it."""
    items = pas_answers(out, None)
    auth = out.authorization_id
    segs: list[list[str]] = [["ST", "278", t.st.get(2), VERSION],
                             ["BHT", "0007", "11", t.bht.get(3) if t.bht else "", now.strftime("%Y%m%d"),
                              now.strftime("%H%M")]]
    segs += [["HL", "1", "", "20", "1"],
             ["NM1", "X3", "2", plan_name[:60], "", "", "", "", "PI", out.plan_id]]
    segs += [["HL", "2", "1", "21", "1"], *_echo(t.level("21")[0].one("NM1"))]
    sub = t.level("22")[0]
    segs += [["HL", "3", "2", "22", "1"], *_echo(sub.one("NM1")), *_echo(sub.one("DMG"))]
    hl = 4
    parent = "3"
    if t.level("23"):
        dep = t.level("23")[0]
        segs += [["HL", "4", "3", "23", "1"], *_echo(dep.one("NM1")), *_echo(dep.one("DMG"))]
        parent, hl = "4", 5
    event = read278.event
    has_services = bool(read278.services)
    event_hl = str(hl)
    segs += [["HL", event_hl, parent, "EV", "1" if has_services else "0"], *_traces(event), *_echo(event.one("UM"))]
    codes = [a.action.value for a in items]
    overall = codes[0] if len(set(codes)) == 1 else ("A4" if "A4" in codes else "A6")
    segs.append(["HCR", overall, auth])
    granted = [a.line for a in items if a.line is not None and a.action.value in ("A1", "A2", "A6")]
    starts = [ln.approved_from for ln in granted if ln.approved_from]
    ends = [ln.approved_to for ln in granted if ln.approved_to]
    if starts:
        segs.append(["DTP", "AAH", "RD8", f"{_d8(min(starts))}-{_d8(max(ends) if ends else min(starts))}"])
    segs += [[s.tag, *s.elements] for s in event.all("HI")]
    segs += [[s.tag, *s.elements] for s in event.all("NM1")]
    for k, svc in enumerate(read278.services):
        hl += 1
        answer = items[k] if k < len(items) else None
        segs += [["HL", str(hl), event_hl, "SS", "0"], *_traces(svc), *_echo(svc.one("UM"))]
        action = answer.action.value if answer else overall
        segs.append(["HCR", action, auth])
        line = answer.line if answer else None
        if line is not None and action in ("A1", "A2", "A6") and line.approved_from:
            until = line.approved_to or line.approved_from
            segs.append(["DTP", "472", "RD8", f"{_d8(line.approved_from)}-{_d8(until)}"])
        else:
            segs += _echo(svc.one("DTP", "472"))
        proc = next((x for x in svc.segments if x.tag in ("SV1", "SV2", "SV3")), None)
        if proc is not None:
            el = list(proc.elements)
            if line is not None and line.approved_units is not None and action in ("A2", "A6"):
                idx = {"SV1": 3, "SV2": 4, "SV3": 5}[proc.tag]
                while len(el) <= idx:
                    el.append("")
                el[idx] = str(line.approved_units)
            segs.append([proc.tag, *el])
    segs.append(["SE", str(len(segs) + 1), t.st.get(2)])
    return segs


def envelope(request: Interchange, bodies: list[list[list[str]]], now: datetime) -> str:
    """The response interchange: ISA/GS with sender and receiver swapped, one ST..SE per request."""
    d = request.delimiters
    isa = request.first("ISA")
    gs = request.first("GS")
    assert isa is not None
    control = isa.get(13) or "000000001"
    segs: list[list[str]] = [[
        "ISA", isa.get(1) or "00", isa.get(2) or " " * 10, isa.get(3) or "00", isa.get(4) or " " * 10,
        isa.get(7), isa.get(8), isa.get(5), isa.get(6), now.strftime("%y%m%d"), now.strftime("%H%M"),
        d.repetition, "00501", control, "0", isa.get(15) or "P", d.component]]
    group = gs.get(6) if gs is not None else "1"
    segs.append(["GS", "HI", gs.get(3) if gs else "", gs.get(2) if gs else "", now.strftime("%Y%m%d"),
                 now.strftime("%H%M"), group, "X", VERSION])
    for body in bodies:
        segs += body
    segs += [["GE", str(len(bodies)), group], ["IEA", "1", control]]
    return write(segs, d)


def parse(text: str) -> tuple[Interchange, list[Transaction]]:
    ix = read(text)
    return ix, transactions(ix)
