"""Valid-request checks (seed 001 required information; seed 004 valid request definition)."""

from __future__ import annotations

from dataclasses import dataclass, field

from openum.directory.npi import npi_is_valid
from openum.intake.schemas import MissingItem, SubmitRequest
from openum.packs.loader import PlanPack
from openum.packs.schema import Setting
from openum.validation import icd10
from openum.vocabulary import RequestKind

_SURGERY_SETTINGS = {Setting.SURGICAL_DAY_CARE, Setting.OUTPATIENT}


@dataclass
class Findings:
    missing: list[MissingItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, where: str, code: str, message: str) -> None:
        self.missing.append(MissingItem(field=where, code=code, message=message))


@dataclass(frozen=True)
class Context:
    """What intake already resolved about the parties."""

    member_found: bool
    member_name_matches: bool
    requester_found: bool
    requester_in_network: bool | None
    attachment_kinds: frozenset[str]


def _npi(f: Findings, where: str, npi: str | None, label: str, required: bool) -> None:
    if not npi:
        if required:
            f.add(where, "missing", f"{label} NPI is required")
    elif not npi_is_valid(npi):
        f.add(where, "invalid", f"{npi!r} is not a valid NPI (10 digits with a check digit)")


def check(req: SubmitRequest, pack: PlanPack, ctx: Context) -> Findings:
    """Every piece of missing or invalid information, each with where it belongs."""
    rules = pack.manifest.intake.validation
    f = Findings()

    if not req.member.member_id:
        f.add("member.member_id", "missing", "member ID is required")
    elif not ctx.member_found:
        f.add("member.member_id", "not_found", f"no member {req.member.member_id} in {pack.manifest.plan.name}")
    elif not ctx.member_name_matches:
        f.add("member", "mismatch", "member name or birth date does not match enrollment for this ID")

    _npi(f, "requesting_provider_npi", req.requesting_provider_npi, "requesting provider", True)
    _npi(f, "servicing_provider_npi", req.servicing_provider_npi, "servicing provider", True)
    _npi(f, "facility_npi", req.facility_npi, "facility", False)
    if req.requesting_provider_npi and npi_is_valid(req.requesting_provider_npi):
        if not ctx.requester_found:
            f.add("requesting_provider_npi", "not_found",
                  f"requesting provider {req.requesting_provider_npi} is not in the plan's directory")
        elif rules.requester_must_be_in_network and ctx.requester_in_network is False:
            f.add("requesting_provider_npi", "not_in_network",
                  "the requesting provider is not in the plan's network on the date of service; "
                  "out-of-network requests need the out-of-network exception form")

    if not req.service_lines:
        f.add("service_lines", "missing", "at least one requested service (CPT/HCPCS code) is required")
    categories: set[str] = set()
    needs_prescription = False
    for i, ln in enumerate(req.service_lines):
        at = f"service_lines[{i}]"
        if not ln.code:
            f.add(f"{at}.code", "missing", "service code is required")
        else:
            svc = pack.service(ln.code)
            if svc is not None:
                categories.add(svc.category)
                needs_prescription |= svc.requires_prescription
        if ln.from_date is None:
            f.add(f"{at}.from_date", "missing", "date of service (from date) is required")
        elif ln.to_date is not None and ln.to_date < ln.from_date:
            f.add(f"{at}.to_date", "invalid", "to date is before from date")
        if rules.require_service_location and ln.place_of_service is None and req.setting is None:
            f.add(f"{at}.place_of_service", "missing", "location of service is required")

    if rules.require_diagnosis and not req.diagnoses:
        f.add("diagnoses", "missing", "at least one ICD-10-CM diagnosis code is required")
    for i, code in enumerate(req.diagnoses):
        msg = icd10.problem(code)
        if msg:
            f.add(f"diagnoses[{i}]", "invalid", msg)

    if rules.require_clinical_indications and not req.clinical_indications:
        f.add("clinical_indications", "missing", "clinical indications for the service are required")

    inpatient = req.setting is Setting.INPATIENT or "inpatient" in categories
    if rules.require_inpatient_length_of_stay and inpatient and req.requested_length_of_stay is None:
        f.add("requested_length_of_stay", "missing", "requested length of stay is required for inpatient")
    surgery = "surgery" in categories and (req.setting in _SURGERY_SETTINGS)
    if rules.require_outpatient_surgery_date and surgery and req.proposed_procedure_date is None:
        f.add("proposed_procedure_date", "missing", "proposed date is required for outpatient surgery")

    documents_expected = req.kind in (RequestKind.PRE_SERVICE, RequestKind.CONCURRENT,
                                      RequestKind.POST_SERVICE, RequestKind.NOTIFICATION)
    if rules.require_clinical_documentation and documents_expected and \
            "clinical_documentation" not in ctx.attachment_kinds:
        f.add("attachments.clinical_documentation", "missing_document",
              "clinical documentation supporting medical necessity is required")
    rx_categories = set(rules.prescription_required_categories)
    if (needs_prescription or categories & rx_categories) and "prescription" not in ctx.attachment_kinds:
        f.add("attachments.prescription", "missing_document",
              "a physician's prescription is required for this service")
    return f
