"""Small readers for FHIR JSON elements: extensions, codings, references."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

JSON = dict[str, Any]


def extensions(obj: Any, url: str, *, modifier: bool = False) -> list[JSON]:
    """The extensions of `obj` with this URL (modifier extensions when asked)."""
    if not isinstance(obj, dict):
        return []
    found = obj.get("modifierExtension" if modifier else "extension") or []
    return [e for e in found if isinstance(e, dict) and e.get("url") == url]


def same_system(a: Any, b: str) -> bool:
    """Whether two code system URLs are the same, forgiving http for https (older PAS used it)."""
    if not isinstance(a, str):
        return False
    return a.split("://", 1)[-1].rstrip("/") == b.split("://", 1)[-1].rstrip("/")


def codes(concept: Any, system: str | None = None) -> list[str]:
    """The codes of a CodeableConcept, from one system or from all."""
    if not isinstance(concept, dict):
        return []
    return [str(c["code"]) for c in concept.get("coding") or []
            if isinstance(c, dict) and c.get("code") is not None
            and (system is None or same_system(c.get("system"), system))]


def codings(concept: Any) -> list[JSON]:
    """The Codings of a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def ext_codes(obj: Any, url: str, system: str | None = None) -> list[str]:
    """The codes carried by an extension's valueCodeableConcept."""
    return [c for e in extensions(obj, url) for c in codes(e.get("valueCodeableConcept"), system)]


def references(obj: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every Reference.reference under `obj`, with the FHIRPath of the Reference element."""
    if isinstance(obj, dict):
        ref = obj.get("reference")
        if isinstance(ref, str):
            yield path, ref
        for key, value in obj.items():
            if key not in ("contained", "text"):
                yield from references(value, f"{path}.{key}")
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from references(value, f"{path}[{i}]")


def identifier_key(ident: Any) -> str | None:
    """system|value of an Identifier, the form used to recognise it again."""
    if not isinstance(ident, dict) or not ident.get("value"):
        return None
    return f"{ident.get('system') or ''}|{ident['value']}"


def to_date(value: Any) -> date | None:
    """A FHIR date or dateTime as a date; partial dates (year, year-month) give None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
