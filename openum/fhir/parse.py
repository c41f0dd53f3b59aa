"""Reading a FHIR JSON body: structure checked with fhir.resources R4B, references resolved."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from openum.fhir.outcome import FhirError, Issue

MAX_BODY_BYTES = 50 * 1024 * 1024
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RELATIVE = re.compile(r"^(?:.*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def read_json(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as a JSON object, or a 413/415/400 refusal saying why not."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        raise FhirError(415, [Issue(
            f"send the body as application/fhir+json (got {media or 'no Content-Type'}); "
            "XML is not supported", code="not-supported")])
    if len(raw) > MAX_BODY_BYTES:
        raise FhirError(413, [Issue(f"the body is larger than {MAX_BODY_BYTES} bytes",
                                    code="too-costly")])
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirError(400, [Issue(f"the body is not valid JSON: {exc}", code="structure")]) from exc
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise FhirError(400, [Issue("the body is not a FHIR resource (no resourceType)",
                                    code="structure")])
    return body


def unwrap_bundle(body: dict[str, Any]) -> dict[str, Any]:
    """The Bundle itself, also when a client wraps it in Parameters (parameter `resource`)."""
    if body["resourceType"] != "Parameters":
        return body
    for p in body.get("parameter") or []:
        if isinstance(p, dict) and p.get("name") == "resource" and isinstance(p.get("resource"), dict):
            return p["resource"]  # type: ignore[no-any-return]
    raise FhirError(400, [Issue("Parameters carry no `resource` parameter holding the Bundle",
                                "Parameters.parameter", code="required")])


def fhirpath(prefix: str, loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A pydantic error location as the FHIRPath of the element it names."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}"
        # Validator-internal location parts (unions, wrappers) name no element: skip them.
    return out


def _issues(exc: ValidationError, prefix: str) -> list[Issue]:
    out = []
    for err in exc.errors():
        kind = err["type"]
        code = "required" if kind == "missing" else "structure" if kind == "extra_forbidden" else "value"
        msg = "unknown element" if kind == "extra_forbidden" else err["msg"]
        out.append(Issue(msg, fhirpath(prefix, err["loc"]), code=code))
    return out


def parse_resource(raw: Any, path: str) -> tuple[Resource | None, list[Issue]]:
    """One resource validated against its R4B model: the model, or the problems found."""
    if not isinstance(raw, dict):
        return None, [Issue("expected a resource (a JSON object)", path, code="structure")]
    rtype = raw.get("resourceType")
    try:
        cls = get_fhir_model_class(str(rtype))
    except ValueError:
        cls = None
    if cls is None or not issubclass(cls, Resource):
        return None, [Issue(f"unknown resourceType {rtype!r}", f"{path}.resourceType",
                            code="structure")]
    try:
        return cls.model_validate(raw), []
    except ValidationError as exc:
        return None, _issues(exc, path)


@dataclass(frozen=True)
class Entry:
    """A resource of the Bundle: where it sits, its JSON, and its R4B model when it parsed."""

    index: int | None  # None for a contained resource
    full_url: str | None
    raw: dict[str, Any]
    model: Resource | None

    @property
    def type(self) -> str:
        """The resourceType."""
        return str(self.raw.get("resourceType", ""))


@dataclass
class BundleView:
    """A request Bundle whose entries can be found the way FHIR resolves references in a Bundle."""

    raw: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)

    def path(self, index: int) -> str:
        """The FHIRPath of the resource in entry `index`."""
        return f"Bundle.entry[{index}].resource"

    def resolve(self, reference: str | None, within: Entry | None = None) -> Entry | None:
        """The entry a reference points to, or None when the Bundle does not hold it."""
        if not reference:
            return None
        if reference.startswith("#"):
            return self._contained(reference[1:], within)
        for e in self.entries:
            if e.full_url == reference:
                return e
        m = _RELATIVE.match(reference)
        if m is None or reference.startswith(("urn:uuid:", "urn:oid:")):
            return None
        rtype, rid = m.group(1), m.group(2)
        return next((e for e in self.entries if e.type == rtype and e.raw.get("id") == rid), None)

    def _contained(self, rid: str, within: Entry | None) -> Entry | None:
        if within is None:
            return None
        for raw in within.raw.get("contained") or []:
            if isinstance(raw, dict) and raw.get("id") == rid:
                model, _ = parse_resource(raw, "contained")
                return Entry(None, None, raw, model)
        return None


def bundle(raw: dict[str, Any]) -> tuple[BundleView, list[Issue]]:
    """The Bundle with every entry checked against R4B; all structural problems, not the first."""
    if raw.get("resourceType") != "Bundle":
        return BundleView(raw), [Issue(f"expected a Bundle, got {raw.get('resourceType')!r}",
                                       "Bundle.resourceType", code="structure")]
    issues: list[Issue] = []
    entries_raw = raw.get("entry")
    if entries_raw is not None and not isinstance(entries_raw, list):
        issues.append(Issue("entry must be a list", "Bundle.entry", code="structure"))
        entries_raw = []
    # The shell is validated without the resources, which get their own model each: one bad
    # resource must not hide the problems of the others.
    shell = {**raw, "entry": [{k: v for k, v in e.items() if k != "resource"}
                              if isinstance(e, dict) else e for e in entries_raw or []]}
    if not shell["entry"]:
        shell.pop("entry")
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        issues += _issues(exc, "Bundle")
    view = BundleView(raw)
    for i, e in enumerate(entries_raw or []):
        if not isinstance(e, dict) or "resource" not in e:
            continue  # reported by the profile rules (entry.resource 1..1)
        model, problems = parse_resource(e["resource"], view.path(i))
        issues += problems
        view.entries.append(Entry(i, e.get("fullUrl") if isinstance(e.get("fullUrl"), str) else None,
                                  e["resource"] if isinstance(e["resource"], dict) else {}, model))
    return view, issues


def index(raw: dict[str, Any]) -> BundleView:
    """A Bundle's entries for reference look-ups only, without model validation."""
    view = BundleView(raw)
    for i, e in enumerate(raw.get("entry") or []):
        if isinstance(e, dict) and isinstance(e.get("resource"), dict):
            url = e.get("fullUrl")
            view.entries.append(Entry(i, url if isinstance(url, str) else None, e["resource"], None))
    return view
