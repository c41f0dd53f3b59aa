"""Import every table so metadata (and Alembic) sees the whole schema."""

import openum.appeals.models
import openum.attestations.models
import openum.episodes.models
import openum.fhir.smart
import openum.fhir.subscriptions
import openum.ui.models  # noqa: F401  (tables of the domain packages beyond the core)
from openum.audit.models import AuditEvent
from openum.auth.models import User
from openum.db import Base
from openum.deadlines.models import Deadline, DeadlineAlert
from openum.directory.models import (
    BenefitAccumulator,
    EligibilitySpan,
    Member,
    NetworkSpan,
    Organization,
    Provider,
)
from openum.intake.models import (
    Attachment,
    AuthorizationRequest,
    Diagnosis,
    RequestEvent,
    ServiceLine,
)
from openum.notification.models import Notice
from openum.packs.models import PackVersion
from openum.review.models import (
    CareInvolvement,
    CriteriaDisclosure,
    CriteriaEvaluation,
    Decision,
    PeerToPeer,
    WorkItem,
)

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuthorizationRequest",
    "Base",
    "BenefitAccumulator",
    "CareInvolvement",
    "CriteriaDisclosure",
    "CriteriaEvaluation",
    "Deadline",
    "DeadlineAlert",
    "Decision",
    "Diagnosis",
    "EligibilitySpan",
    "Member",
    "NetworkSpan",
    "Notice",
    "Organization",
    "PackVersion",
    "PeerToPeer",
    "Provider",
    "RequestEvent",
    "ServiceLine",
    "User",
    "WorkItem",
]
