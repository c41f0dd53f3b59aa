"""Request bodies built from the reference packs' synthetic directories (see SCENARIOS.md)."""

from __future__ import annotations

import base64
import copy
from typing import Any

CLINICAL_PDF = base64.b64encode(b"%PDF-1.4\n% clinical notes: 6 months of PT, NSAIDs failed\n%%EOF\n").decode()
PRESCRIPTION_PDF = base64.b64encode(b"%PDF-1.4\n% prescription signed by the treating physician\n%%EOF\n").decode()

# AllWays: member AWH200101 (commercial HMO, PCP Emily Chen 2547517799 at charles-river-primary-care),
# servicing orthopaedic surgeon Brian Sullivan 1226468613 (mystic-valley-orthopedics).
AWH_KNEE: dict[str, Any] = {
    "kind": "pre_service",
    "urgency": "non_urgent",
    "member": {"member_id": "AWH200101"},
    "requesting_provider_npi": "2547517799",
    "servicing_provider_npi": "1226468613",
    "facility_npi": "1579906599",
    "setting": "inpatient",
    "service_lines": [{"code": "27447", "units": 1, "from_date": "2026-12-14", "place_of_service": "21"}],
    "diagnoses": ["M17.11"],
    "requested_length_of_stay": 2,
    "admission_date": "2026-12-14",
    "clinical_indications": "Primary osteoarthritis right knee, failed 6 months of conservative care.",
    "pertinent_history": "BMI 31, no prior knee surgery.",
    "attachments": [{"kind": "clinical_documentation", "filename": "notes.pdf",
                     "content_type": "application/pdf", "content_base64": CLINICAL_PDF}],
}

# Partnership: member PHC100101 (Medi-Cal, PCP Maria Elena Gutierrez 1588139984 at solano-vista-chc),
# servicing orthopaedic surgeon Priya Raman 1472940554 (sonoma-valley-ortho).
PHC_KNEE: dict[str, Any] = {
    **copy.deepcopy(AWH_KNEE),
    "member": {"member_id": "PHC100101"},
    "requesting_provider_npi": "1588139984",
    "servicing_provider_npi": "1472940554",
    "facility_npi": "2714751361",
}


def body(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


def line(code: str, from_date: str = "2026-12-14", units: int = 1, pos: str = "11") -> dict[str, Any]:
    return {"code": code, "units": units, "from_date": from_date, "place_of_service": pos}
