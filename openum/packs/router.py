"""Read-only view of the loaded plan packs and their versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.web.deps import RegistryDep, require

router = APIRouter(prefix="/api/v1/packs", tags=["packs"])


@router.get("", summary="Plans and the pack versions loaded for each")
def list_packs(registry: RegistryDep,
               _: Annotated[User, Depends(require(Permission.PACK_READ))]) -> list[dict[str, Any]]:
    return [{
        "plan_id": p.plan_id, "name": p.manifest.plan.name, "version": p.version,
        "effective_from": p.manifest.effective_from.isoformat(),
        "approved_by": p.manifest.approval.approved_by,
        "approved_at": p.manifest.approval.approved_at.isoformat(),
        "committee": p.manifest.approval.committee, "content_hash": p.content_hash,
        "lines_of_business": [lob.model_dump(mode="json") for lob in p.manifest.lines_of_business],
    } for p in registry.all()]
