"""ICD-10-CM diagnosis codes checked against the code set: billable (leaf) codes only."""

from __future__ import annotations

from functools import lru_cache

import simple_icd_10_cm as cm


def normalize(code: str) -> str:
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@lru_cache(maxsize=4096)
def problem(code: str) -> str | None:
    """None when the code is a billable ICD-10-CM code, else what is wrong with it."""
    norm = normalize(code)
    if not cm.is_valid_item(norm):
        return f"{code!r} is not an ICD-10-CM code"
    if not cm.is_leaf(norm):
        return f"{norm} is a category, not a billable code: give the full code"
    return None


@lru_cache(maxsize=4096)
def description(code: str) -> str | None:
    norm = normalize(code)
    return str(cm.get_description(norm)) if cm.is_valid_item(norm) else None
