"""Import every table so metadata (and Alembic) sees the whole schema."""

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
from openum.packs.models import PackVersion

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuthorizationRequest",
    "Base",
    "BenefitAccumulator",
    "Deadline",
    "DeadlineAlert",
    "Diagnosis",
    "EligibilitySpan",
    "Member",
    "NetworkSpan",
    "Organization",
    "PackVersion",
    "Provider",
    "RequestEvent",
    "ServiceLine",
    "User",
]
