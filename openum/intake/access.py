"""Which requests a caller may see: provider offices see only their organization's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from openum.auth.models import User
from openum.auth.permissions import Role
from openum.errors import NotFound
from openum.intake.models import AuthorizationRequest


def visibility(user: User) -> ColumnElement[bool]:
    """A filter for every query a user's search or read runs."""
    if user.role == Role.PROVIDER_OFFICE:
        return or_(
            AuthorizationRequest.submitter_organization_id == user.organization_id,
            AuthorizationRequest.servicing_organization_id == user.organization_id,
        )
    return true()


def ensure_visible(user: User, req: AuthorizationRequest) -> None:
    """Answer 404, not 403, so another organization's IDs cannot even be confirmed."""
    if user.role == Role.PROVIDER_OFFICE and user.organization_id not in (
        req.submitter_organization_id, req.servicing_organization_id
    ):
        raise NotFound(f"no authorization request {req.authorization_id}")
