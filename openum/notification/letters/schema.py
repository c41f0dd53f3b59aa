"""The shape of a pack's letters/letters.yaml: letter types, templates and required elements.

Each letter type names its template file per language, who it is for, and, per line-of-business
program, the elements the letter must hold before it may be sent. Element ids come from a fixed
vocabulary (ElementId) drawn from the denial-notice checklist in docs/regulation.md, so a pack can
require more or fewer of them but cannot invent one the checker does not know how to verify.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from jinja2 import Environment, TemplateSyntaxError, meta
from pydantic import BaseModel, Field, field_validator, model_validator

from openum.packs.schema import Program, Slug, Strict

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]
FALLBACK_LANGUAGE = "en"


class LetterType(StrEnum):
    APPROVAL = "approval"
    PARTIAL_APPROVAL = "partial_approval"
    MEDICAL_NECESSITY_DENIAL = "medical_necessity_denial"
    ADMINISTRATIVE_DENIAL_MEMBER = "administrative_denial_member"
    ADMINISTRATIVE_DENIAL_PROVIDER = "administrative_denial_provider"
    REQUEST_FOR_INFORMATION = "request_for_information"
    EXTENSION_NOTICE = "extension_notice"
    URGENCY_DOWNGRADE_NOTICE = "urgency_downgrade_notice"
    CRITERIA_DISCLOSURE = "criteria_disclosure"
    PEER_TO_PEER_OFFER = "peer_to_peer_offer"
    APPEAL_ACKNOWLEDGMENT = "appeal_acknowledgment"
    APPEAL_RESOLUTION = "appeal_resolution"
    UNTIMELY_DECISION = "untimely_decision"  # 42 CFR 438.404(c)(5): a missed deadline is a denial


class Audience(StrEnum):
    """Who the letter is addressed to; `both` means addressed to one with a copy to the other."""

    MEMBER = "member"
    PROVIDER = "provider"
    BOTH = "both"


class ElementId(StrEnum):
    """Things a letter can be required to say; numbers refer to regulation.md's checklist."""

    REQUEST_IDENTIFICATION = "request_identification"  # 3: service, codes and meanings, dates, provider
    DECISION = "decision"  # 4: the decision and its date / effective date
    APPROVED_SERVICES = "approved_services"  # what was approved, how much, for when
    SPECIFIC_REASON = "specific_reason"  # 5: the specific reason (CMS-0057-F)
    MEMBER_CONDITION = "member_condition"  # 8: rationale tied to the member's condition
    PLAN_PROVISION = "plan_provision"  # 6: the benefit-plan provision relied on
    CRITERION_NAME_VERSION = "criterion_name_version"  # 6: the named criterion and its version
    CRITERIA_SUMMARY = "criteria_summary"  # 7: a plain summary of the criteria
    CRITERIA_ON_REQUEST = "criteria_on_request"  # 7: criteria free on request
    CRITERIA_ENCLOSED = "criteria_enclosed"  # 7: the criteria text itself
    ALTERNATIVES = "alternatives"  # alternative treatment, if any (seed 004)
    INFORMATION_NEEDED = "information_needed"  # 10: what would complete the request, and why
    RESPONSE_DUE_DATE = "response_due_date"  # by when we need to hear back
    DECISION_DUE_DATE = "decision_due_date"  # when the decision (or appeal decision) will come
    DOCUMENT_ACCESS = "document_access"  # 9: free access to all relevant documents
    PHYSICIAN_REVIEWER_CONTACT = "physician_reviewer_contact"  # 15: peer-to-peer with the reviewer
    RECONSIDERATION = "reconsideration"  # seed 004: informal, one business day, not an appeal
    APPEAL_RIGHTS = "appeal_rights"  # 11: how to appeal, and who may appeal for the member
    APPEAL_DEADLINE = "appeal_deadline"  # 11: the last day to appeal
    EXPEDITED_APPEAL = "expedited_appeal"  # 11: fast appeal and who qualifies
    APPEAL_RECEIVED = "appeal_received"  # acknowledgment: when the appeal was received
    STATE_FAIR_HEARING = "state_fair_hearing"  # 12: Medicaid State Fair Hearing
    CONTINUATION_OF_BENEFITS = "continuation_of_benefits"  # 12: keep services, possible repayment
    EXTERNAL_REVIEW = "external_review"  # 14: external review / independent medical review
    REGULATOR_CONTACT = "regulator_contact"  # 14: the regulator's contact
    ERISA_502A = "erisa_502a"  # 13: right to sue under ERISA 502(a)
    GRIEVANCE_RIGHTS = "grievance_rights"  # Medicaid: grievance about an extension or downgrade
    HELD_HARMLESS = "held_harmless"  # seed 004: member not liable for provider-only denials
    PRACTITIONER_COPY = "practitioner_copy"  # 2: sent to the member and the practitioner
    LANGUAGE_ASSISTANCE = "language_assistance"  # 1: free language help and other formats
    NONDISCRIMINATION = "nondiscrimination"  # 1: civil-rights notice (seed 001)


class Condition(StrEnum):
    """When a conditional element applies, judged from the letter's context."""

    ERISA_GOVERNED = "erisa_governed"  # the member's plan is an ERISA plan
    ADVERSE = "adverse"  # the letter reports a denial or partial approval


class ConditionalElement(Strict):
    element: ElementId
    when: list[Condition] = Field(min_length=1, description="All must hold for the element to apply.")


RequiredElement = ElementId | ConditionalElement


class LetterSpec(Strict):
    audience: Audience
    addressee: Literal["member", "provider"] | None = Field(
        default=None, description="Whom a `both` letter is addressed to (the other gets a copy); "
        "defaults to the member, or the provider for provider-only letters.")
    templates: dict[LanguageCode, str] = Field(min_length=1, description="Language -> template file.")
    required: dict[Program, list[RequiredElement]] = Field(
        description="Program -> elements the letter must hold for lines of business of that program."
    )

    @property
    def addressed_to(self) -> str:
        if self.addressee is not None:
            return self.addressee
        return "provider" if self.audience is Audience.PROVIDER else "member"

    @field_validator("templates")
    @classmethod
    def _english_fallback(cls, v: dict[str, str]) -> dict[str, str]:
        if FALLBACK_LANGUAGE not in v:
            raise ValueError(f"every letter needs an {FALLBACK_LANGUAGE!r} template: it is the fallback")
        return v


class ContactLine(Strict):
    """A phone line or address the letters print; pack.yaml's Contact has no field for these."""

    name: dict[LanguageCode, str] = Field(min_length=1)
    inherit: bool = Field(default=True, description="Fill missing fields from pack.yaml plan.contact.")
    phone: str | None = None
    tty: str | None = None
    fax: str | None = None
    address: list[str] = []
    website: str | None = None
    hours: dict[LanguageCode, str] = {}
    source: str | None = Field(default=None, description="Where the number was checked.")
    verified_on: date | None = None

    @model_validator(mode="after")
    def _phone_when_alone(self) -> ContactLine:
        if not self.inherit and self.phone is None:
            raise ValueError("a contact that does not inherit from pack.yaml needs its own phone")
        return self

    def name_in(self, language: str) -> str:
        return self.name.get(language, self.name.get(FALLBACK_LANGUAGE, next(iter(self.name.values()))))

    def hours_in(self, language: str) -> str | None:
        return self.hours.get(language, self.hours.get(FALLBACK_LANGUAGE))


class Tagline(Strict):
    """One line of the language-assistance notice, in its own language."""

    language: LanguageCode
    text: str


class LettersFile(Strict):
    """letters/letters.yaml."""

    templates_dir: str = "templates"
    layout: str = "base.html"
    stylesheet: str = "letters.css"
    logo: str = Field(description="Image file in templates_dir (SVG or PNG).")
    partials: dict[LanguageCode, str] = Field(
        min_length=1, description="Language -> file of shared blocks (macros) the templates import."
    )
    contacts: dict[Slug, ContactLine] = {}
    regulators: dict[Slug, ContactLine] = {}
    taglines: list[Tagline] = []
    letter_types: dict[LetterType, LetterSpec]

    def spec(self, letter_type: LetterType) -> LetterSpec:
        return self.letter_types[letter_type]

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: Path | None = None
    ) -> list[tuple[str, str]]:
        """Every letter type and program is covered, and every template file the section names exists."""
        assert isinstance(parsed, LettersFile)
        programs = {lob.program for lob in manifest.lines_of_business}  # type: ignore[attr-defined]
        out: list[tuple[str, str]] = []
        for lt in LetterType:
            if lt not in parsed.letter_types:
                out.append((f"letter_types.{lt.value}", "letter type is missing"))
        for lt, spec in parsed.letter_types.items():
            for program in sorted(programs - set(spec.required)):
                out.append((f"letter_types.{lt.value}.required",
                            f"no required elements for program {program.value!r}, used in pack.yaml"))
            for lang in spec.templates:
                if lang not in parsed.partials:
                    out.append((f"letter_types.{lt.value}.templates.{lang}",
                                f"no partials file for language {lang!r}"))
        if FALLBACK_LANGUAGE not in parsed.partials:
            out.append(("partials", f"an {FALLBACK_LANGUAGE!r} partials file is required"))
        if folder is not None:
            out.extend(template_problems(folder, parsed))
        return out


def template_files(parsed: LettersFile) -> list[tuple[str, str]]:
    """(YAML path, file name) for every file the section refers to, in file order."""
    files = [("layout", parsed.layout), ("stylesheet", parsed.stylesheet), ("logo", parsed.logo)]
    files += [(f"partials.{lang}", name) for lang, name in parsed.partials.items()]
    for lt, spec in parsed.letter_types.items():
        files += [(f"letter_types.{lt.value}.templates.{lang}", name) for lang, name in spec.templates.items()]
    return files


def template_problems(folder: Path, parsed: LettersFile) -> list[tuple[str, str]]:
    """Missing or unparsable template files, each with its path inside the pack."""
    base = Path(folder) / "letters" / parsed.templates_dir
    out: list[tuple[str, str]] = []
    env = Environment()
    for where, name in template_files(parsed):
        rel = f"letters/{parsed.templates_dir}/{name}"
        path = base / name
        if not path.is_file():
            out.append((where, f"template file {rel} is missing"))
            continue
        if not name.endswith(".html"):
            continue
        try:
            parsed_tpl = env.parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError as exc:
            out.append((where, f"{rel} line {exc.lineno}: {exc.message}"))
            continue
        # Static {% extends/import/include %} names must exist too; dynamic ones are checked above.
        for ref in meta.find_referenced_templates(parsed_tpl):
            if ref is not None and not (base / ref).is_file():
                out.append((where, f"{rel} refers to {ref}, which is missing"))
    return out
