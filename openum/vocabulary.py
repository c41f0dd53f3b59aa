"""Words every domain package shares: kinds of request, urgency, channels."""

from __future__ import annotations

from enum import StrEnum


class RequestKind(StrEnum):
    PRE_SERVICE = "pre_service"
    CONCURRENT = "concurrent"
    POST_SERVICE = "post_service"
    NOTIFICATION = "notification"
    REFERRAL = "referral"
    RECONSIDERATION = "reconsideration"
    APPEAL = "appeal"


class Urgency(StrEnum):
    URGENT = "urgent"
    NON_URGENT = "non_urgent"


class Channel(StrEnum):
    API = "api"
    PORTAL = "portal"
    FAX = "fax"
    MANUAL = "manual"
    PHONE = "phone"
    FHIR_PAS = "fhir_pas"
    X12_278 = "x12_278"
