"""What a PAS answer repeats from the request, kept on the request's history for later answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from openum.fhir.elements import identifier_key
from openum.intake.schemas import EventOut

JSON = dict[str, Any]

# The history event that records a PAS submission, and the text its `reason` carries so an update,
# cancel or inquiry can find the request from the Claim identifier alone.
RECEIVED_EVENT = "fhir_pas_received"
UPDATE_EVENT = "fhir_pas_update_received"


def claim_marker(ident: JSON) -> str | None:
    """The `reason` text that recognises a Claim identifier again."""
    key = identifier_key(ident)
    return f"PAS Claim {key}" if key else None


@dataclass(frozen=True)
class Party:
    """A resource the response includes (patient, insurer, requestor), as the requester sent it."""

    full_url: str
    resource: JSON

    @property
    def reference(self) -> str:
        """How the answer refers to it: by its fullUrl, which always resolves in the Bundle."""
        return self.full_url


@dataclass(frozen=True)
class Parties:
    """The three resources every PAS answer includes and references."""

    patient: Party
    insurer: Party
    requestor: Party


@dataclass(frozen=True)
class ClaimEcho:
    """The Claim's identity and item numbering, which every answer about it repeats."""

    identifiers: list[JSON]
    claim_type: JSON
    sequences: list[int]  # Claim.item.sequence of each service line, in line order
    trace_numbers: dict[str, list[JSON]] = field(default_factory=dict)  # by sequence (JSON keys)
    claim_id: str | None = None
    bundle_identifier: JSON | None = None


def to_event_data(echo: ClaimEcho, parties: Parties | None) -> JSON:
    """The JSON kept on the received event."""
    data: JSON = {"echo": asdict(echo)}
    if parties is not None:
        data["parties"] = {k: asdict(getattr(parties, k)) for k in ("patient", "insurer", "requestor")}
    return data


def from_history(history: list[EventOut]) -> tuple[ClaimEcho | None, Parties | None]:
    """The echo and parties of the PAS submission on a request's history, if it came by PAS."""
    ev = next((e for e in history if e.type == RECEIVED_EVENT), None)
    if ev is None:
        return None, None
    echo = ClaimEcho(**ev.data["echo"])
    raw = ev.data.get("parties")
    parties = Parties(**{k: Party(**raw[k]) for k in ("patient", "insurer", "requestor")}) \
        if raw else None
    return echo, parties
