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
    # The claims payment system, as a service account: asks whether billed lines are authorized.
    CLAIMS_SYSTEM = "claims_system"


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
    APPEAL_READ = "appeal.read"
    APPEAL_FILE = "appeal.file"
    APPEAL_MANAGE = "appeal.manage"
    APPEAL_DECIDE = "appeal.decide"
    EPISODE_MANAGE = "episode.manage"
    NETWORK_EXCEPTION = "network.exception"
    NETWORK_ADEQUACY = "network.adequacy"
    CLAIMS_CHECK = "claims.check"
    ATTESTATION_RECORD = "attestation.record"
    ATTESTATION_REPORT = "attestation.report"
    COMMITTEE_MANAGE = "committee.manage"


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

# Reconsiderations and appeals: everyone who reads requests reads their appeals (provider offices
# only their organization's); front-line staff, member services and provider offices file them;
# clinical staff and managers run them; whoever may decide a request may be asked to decide an
# appeal, the pack's roles and the independence rules (openum/appeals) saying when they may.
_APPEALS: dict[Role, frozenset[Permission]] = {
    Role.INTAKE_COORDINATOR: frozenset({P.APPEAL_READ, P.APPEAL_FILE}),
    Role.UM_NURSE: frozenset({P.APPEAL_READ, P.APPEAL_FILE, P.APPEAL_MANAGE, P.APPEAL_DECIDE}),
    Role.BH_NURSE: frozenset({P.APPEAL_READ, P.APPEAL_FILE, P.APPEAL_MANAGE, P.APPEAL_DECIDE}),
    Role.PHARMACY_TECHNICIAN: frozenset({P.APPEAL_READ, P.APPEAL_DECIDE}),
    Role.CLINICAL_PHARMACIST: frozenset({P.APPEAL_READ, P.APPEAL_DECIDE}),
    Role.PHYSICIAN_REVIEWER: frozenset({P.APPEAL_READ, P.APPEAL_MANAGE, P.APPEAL_DECIDE}),
    Role.BH_CLINICAL_DIRECTOR: frozenset({P.APPEAL_READ, P.APPEAL_MANAGE, P.APPEAL_DECIDE}),
    Role.EXTERNAL_REVIEWER: frozenset({P.APPEAL_READ, P.APPEAL_DECIDE}),
    Role.UM_MANAGER: frozenset({P.APPEAL_READ, P.APPEAL_FILE, P.APPEAL_MANAGE, P.APPEAL_DECIDE}),
    Role.MEMBER_SERVICES: frozenset({P.APPEAL_READ, P.APPEAL_FILE}),
    Role.COMPLIANCE: frozenset({P.APPEAL_READ}),
    Role.PROVIDER_OFFICE: frozenset({P.APPEAL_READ, P.APPEAL_FILE}),
}
MATRIX = {role: perms | _APPEALS.get(role, frozenset()) for role, perms in MATRIX.items()}

# Episodes of care (openum/episodes): clinical staff and managers run concurrent review, discharge
# planning, quality flags and out-of-network exceptions; managers and compliance read the
# out-of-network counts for network adequacy; only the claims system consumes authorized units.
# Admission notices, continued-stay, retrospective and referral requests are submissions
# (request.submit); reading them is request.read / request.search.
_EPISODES: dict[Role, frozenset[Permission]] = {
    Role.UM_NURSE: frozenset({P.EPISODE_MANAGE, P.NETWORK_EXCEPTION}),
    Role.BH_NURSE: frozenset({P.EPISODE_MANAGE, P.NETWORK_EXCEPTION}),
    Role.PHYSICIAN_REVIEWER: frozenset({P.EPISODE_MANAGE, P.NETWORK_EXCEPTION}),
    Role.BH_CLINICAL_DIRECTOR: frozenset({P.EPISODE_MANAGE, P.NETWORK_EXCEPTION}),
    Role.UM_MANAGER: frozenset({P.EPISODE_MANAGE, P.NETWORK_EXCEPTION, P.NETWORK_ADEQUACY}),
    Role.COMPLIANCE: frozenset({P.NETWORK_ADEQUACY}),
    Role.CLAIMS_SYSTEM: frozenset({P.CLAIMS_CHECK}),
}
MATRIX = {role: MATRIX.get(role, frozenset()) | _EPISODES.get(role, frozenset()) for role in Role}

# Seed 001: decision makers sign the annual no-incentive statement; committee members the
# confidentiality and conflict-of-interest statements. Staff sign their own; systems and provider
# offices sign nothing.
_STAFF = {r for r in Role if r not in (Role.PROVIDER_OFFICE, Role.CLAIMS_SYSTEM)}
MATRIX = {role: MATRIX[role]
          | ({P.ATTESTATION_RECORD} if role in _STAFF else set())
          | ({P.ATTESTATION_REPORT} if role in (Role.COMPLIANCE, Role.UM_MANAGER) else set())
          | ({P.COMMITTEE_MANAGE} if role is Role.UM_MANAGER else set())
          for role in Role}


def allows(role: str, permission: Permission) -> bool:
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False
