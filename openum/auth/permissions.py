"""The role-permission matrix: which system role may do what. Documented in docs/access.md."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INTAKE_COORDINATOR = "intake_coordinator"
    UM_NURSE = "um_nurse"
    BH_NURSE = "bh_nurse"
    PHARMACY_TECHNICIAN = "pharmacy_technician"
    CLINICAL_PHARMACIST = "clinical_pharmacist"
    PHYSICIAN_REVIEWER = "physician_reviewer"
    BH_CLINICAL_DIRECTOR = "bh_clinical_director"
    EXTERNAL_REVIEWER = "external_reviewer"
    UM_MANAGER = "um_manager"
    MEMBER_SERVICES = "member_services"
    COMPLIANCE = "compliance"
    PROVIDER_OFFICE = "provider_office"


class Permission(StrEnum):
    REQUEST_SUBMIT = "request.submit"
    REQUEST_READ = "request.read"
    REQUEST_SEARCH = "request.search"
    REQUEST_ADD_DOCUMENT = "request.add_document"
    REQUEST_CORRECT = "request.correct"
    COVERAGE_CHECK = "coverage.check"
    TIMELINESS_PREVIEW = "timeliness.preview"
    PACK_READ = "pack.read"
    REVIEW_WORK = "review.work"
    REVIEW_DECIDE = "review.decide"
    QUEUE_SUPERVISE = "queue.supervise"
    CRITERIA_DISCLOSE = "criteria.disclose"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"


P = Permission
_CLINICAL = {P.REQUEST_READ, P.REQUEST_SEARCH, P.REQUEST_ADD_DOCUMENT, P.COVERAGE_CHECK,
             P.TIMELINESS_PREVIEW, P.PACK_READ, P.REVIEW_WORK, P.REVIEW_DECIDE, P.CRITERIA_DISCLOSE}

MATRIX: dict[Role, frozenset[Permission]] = {
    # IT administrators manage accounts and packs but read no PHI (minimum necessary).
    Role.ADMIN: frozenset({P.USER_MANAGE, P.PACK_READ}),
    # Non-clinical intake staff key requests and gather documents; they decide nothing.
    Role.INTAKE_COORDINATOR: frozenset(_CLINICAL - {P.REVIEW_WORK, P.REVIEW_DECIDE, P.CRITERIA_DISCLOSE}
                                       | {P.REQUEST_SUBMIT}),
    Role.UM_NURSE: frozenset(_CLINICAL | {P.REQUEST_SUBMIT}),
    Role.BH_NURSE: frozenset(_CLINICAL | {P.REQUEST_SUBMIT}),
    Role.PHARMACY_TECHNICIAN: frozenset(_CLINICAL),
    Role.CLINICAL_PHARMACIST: frozenset(_CLINICAL),
    Role.PHYSICIAN_REVIEWER: frozenset(_CLINICAL),
    Role.BH_CLINICAL_DIRECTOR: frozenset(_CLINICAL),
    Role.EXTERNAL_REVIEWER: frozenset({P.REQUEST_READ, P.PACK_READ, P.REVIEW_WORK, P.REVIEW_DECIDE}),
    Role.UM_MANAGER: frozenset(_CLINICAL | {P.REQUEST_SUBMIT, P.REQUEST_CORRECT, P.QUEUE_SUPERVISE}),
    Role.MEMBER_SERVICES: frozenset({P.REQUEST_READ, P.REQUEST_SEARCH, P.COVERAGE_CHECK,
                                     P.TIMELINESS_PREVIEW, P.CRITERIA_DISCLOSE}),
    Role.COMPLIANCE: frozenset({P.REQUEST_READ, P.REQUEST_SEARCH, P.AUDIT_READ, P.PACK_READ}),
    Role.PROVIDER_OFFICE: frozenset({P.REQUEST_SUBMIT, P.REQUEST_READ, P.REQUEST_SEARCH,
                                     P.REQUEST_ADD_DOCUMENT, P.COVERAGE_CHECK, P.TIMELINESS_PREVIEW}),
}


def allows(role: str, permission: Permission) -> bool:
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False
