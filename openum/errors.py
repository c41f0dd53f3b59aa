"""Errors named for the business problem; turned into HTTP only at the edge."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: a business rule refused the operation."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409


class ImmutableField(DomainError):
    code = "immutable_field"
    http_status = 409


class PackInvalid(DomainError):
    code = "pack_invalid"
    http_status = 422


class NoPackInForce(DomainError):
    code = "no_pack_in_force"
    http_status = 422


class AuthenticationFailed(DomainError):
    code = "authentication_failed"
    http_status = 401


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
