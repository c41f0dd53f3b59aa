"""A letter's facts, gathered from the request, its decision and the plan pack at decision time."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.directory.models import Provider
from openum.intake.models import AuthorizationRequest
from openum.notification.letters import context as lc
from openum.notification.letters.schema import LetterType
from openum.packs.loader import PlanPack
from openum.review.models import Decision
from openum.review.service import latest_evaluations, policies

_ADMIN_REASON = {
    "service_excluded": lc.AdministrativeReason.EXCLUDED,
    "benefit_exhausted": lc.AdministrativeReason.EXHAUSTED,
    "no_prior_authorization": lc.AdministrativeReason.NO_PRIOR_AUTH,
    "late_notification": lc.AdministrativeReason.LATE_NOTIFICATION,
    "no_clinical_documentation": lc.AdministrativeReason.NO_CLINICAL_DOCUMENTATION,
}


def letter_type_for(req: AuthorizationRequest) -> LetterType | None:
    """The decision letter a request's determination calls for."""
    det = req.determination or {}
    if req.status == "approved":
        return LetterType.APPROVAL
    if req.status == "partially_approved":
        return LetterType.PARTIAL_APPROVAL
    if req.status != "denied":
        return None
    if det.get("basis") == "administrative":
        reason = _ADMIN_REASON.get(str(det.get("category")))
        if reason is None:
            return None  # not a member on the date of service: no member letter template applies
        return (LetterType.ADMINISTRATIVE_DENIAL_PROVIDER if reason.provider_only
                else LetterType.ADMINISTRATIVE_DENIAL_MEMBER)
    if det.get("basis") == "medical_necessity":
        return LetterType.MEDICAL_NECESSITY_DENIAL
    if det.get("basis") == "deadline_missed":
        return LetterType.UNTIMELY_DECISION
    return None


def provider_of(session: Session, req: AuthorizationRequest) -> Provider | None:
    pk = req.servicing_provider_id or req.requesting_provider_id or req.facility_id
    return session.get(Provider, pk) if pk else None


def build(session: Session, *, pack: PlanPack, req: AuthorizationRequest, now: datetime) -> lc.LetterContext:
    """Every fact a letter may need; the letter checklist decides which are required."""
    tz = pack.calendar.time_zone
    today = now.astimezone(tz).date()
    member = req.member
    provider = provider_of(session, req)
    lob = pack.line_of_business(req.line_of_business)
    det = req.determination or {}
    decision = session.scalars(select(Decision).where(Decision.request_pk == req.id)
                               .order_by(Decision.id.desc()).limit(1)).one_or_none()
    evals = list(latest_evaluations(session, req).values())
    pols = {p.id: p for p in policies(pack)}
    first = evals[0] if evals else None
    policy = pols.get(first.policy_id) if first else None
    # Only criteria found NOT met, with the facts that showed it, describe the member's condition;
    # criteria merely unknown say nothing about the member.
    unmet = [r["text"] + (" (" + ", ".join(f"{ev['fact']}: {ev['value']}" for ev in r["evidence"]) + ")"
                          if r.get("evidence") else "")
             for e in evals for r in e.results if r.get("text") and r["result"] == "not_met"
             and r.get("kind") not in ("all_of", "any_of", "at_least")]
    def describe(code: str) -> str:
        svc = pack.service(code)
        return svc.description if svc else code

    services = tuple(lc.ServiceLine(description=describe(ln.code), code=ln.code, code_system=ln.code_system or "CPT",
                                    quantity=str(ln.units), start=ln.from_date, end=ln.to_date)
                     for ln in req.lines)
    approved = tuple(lc.ServiceLine(description=s.description, code=s.code, code_system=s.code_system,
                                    quantity=str(ln.approved_units), start=ln.approved_from, end=ln.approved_to)
                     for s, ln in zip(services, req.lines, strict=True) if ln.approved_units)
    outcome = {"approved": lc.Outcome.APPROVED, "partially_approved": lc.Outcome.PARTIALLY_APPROVED,
               "denied": lc.Outcome.DENIED}.get(req.status)
    appeal_days = lob.appeal_filing_days if lob else None
    reviewer = None
    if decision is not None and not decision.automatic:
        reviewer = lc.Reviewer(name=decision.decided_by, credential=decision.credential or decision.role,
                               phone=pack.manifest.plan.contact.phone, hours=pack.manifest.plan.contact.hours)
    address = (member.address_line1, f"{member.city}, {member.state} {member.postal_code}") if member else ()
    return lc.LetterContext(
        member=lc.MemberInfo(member_id=member.member_id if member else str(req.member_reference.get("member_id")),
                             name=f"{member.first_name} {member.last_name}" if member else "Member",
                             address=address, language=member.language if member else "en",
                             large_print=member.large_print if member else False),
        provider=lc.ProviderInfo(name=provider.name if provider else "Requesting provider",
                                 npi=provider.npi if provider else None, phone=provider.phone if provider else None,
                                 fax=provider.fax if provider else None),
        authorization_id=req.authorization_id, line_of_business=req.line_of_business, letter_date=today,
        services=services,
        diagnoses=tuple(lc.CodedItem(code=d.code, description=d.description or d.code, system="ICD-10-CM")
                        for d in req.diagnoses),
        received_date=req.received_at.astimezone(tz).date(), outcome=outcome, decision_date=today,
        effective_date=today, approved_services=approved,
        specific_reason=det.get("reason") or req.status_reason,
        administrative_reason=_ADMIN_REASON.get(str(det.get("category"))),
        member_condition=det.get("rationale") or "; ".join(unmet) or None,
        plan_provision=det.get("plan_provision") or (f"{pack.manifest.plan.name} benefit plan, "
                                                     f"{lob.name if lob else req.line_of_business}"),
        criterion_name=policy.title if policy else None,
        criterion_version=first.policy_version if first else None,
        criteria_summary=(policy.summary if policy and policy.summary else (
            "; ".join(r["text"] for r in first.results if r.get("text"))[:1500] if first else None)),
        alternatives=tuple(a.strip() for a in str(det["alternatives"]).split(";") if a.strip())
        if det.get("alternatives") else (() if outcome and outcome.adverse else None),
        reviewer=reviewer,
        appeal_deadline=today + timedelta(days=appeal_days) if appeal_days and outcome and outcome.adverse else None,
        continuation_deadline=(today + timedelta(days=lob.continuation_request_days)
                               if lob and lob.continuation_request_days and outcome and outcome.adverse else None),
        erisa_governed=lob.erisa_governed if lob else None,
    )


def to_json(ctx: lc.LetterContext) -> dict[str, Any]:
    """A JSON snapshot, so the letter printed later says what was true at the decision."""

    def conv(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v.value if hasattr(v, "value") else v

    return conv(asdict(ctx))  # type: ignore[no-any-return]


def from_json(data: dict[str, Any]) -> lc.LetterContext:
    """Rebuild the context from its snapshot."""

    def build_dc(cls: Any, raw: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            v, t = raw[f.name], str(f.type)
            if v is None:
                kwargs[f.name] = None
            elif t.startswith("MemberInfo"):
                kwargs[f.name] = build_dc(lc.MemberInfo, v) if isinstance(v, dict) else v
            elif t.startswith("ProviderInfo"):
                kwargs[f.name] = build_dc(lc.ProviderInfo, v)
            elif t.startswith("Reviewer"):
                kwargs[f.name] = build_dc(lc.Reviewer, v)
            elif "ServiceLine" in t:
                kwargs[f.name] = tuple(build_dc(lc.ServiceLine, x) for x in v)
            elif "CodedItem" in t:
                kwargs[f.name] = tuple(build_dc(lc.CodedItem, x) for x in v)
            elif t.startswith("Outcome"):
                kwargs[f.name] = lc.Outcome(v)
            elif t.startswith("AdministrativeReason"):
                kwargs[f.name] = lc.AdministrativeReason(v)
            elif "date" in t and isinstance(v, str):
                kwargs[f.name] = date.fromisoformat(v)
            elif isinstance(v, list):
                kwargs[f.name] = tuple(v)
            else:
                kwargs[f.name] = v
        return cls(**kwargs)

    assert is_dataclass(lc.LetterContext)
    return build_dc(lc.LetterContext, data)  # type: ignore[no-any-return]
