"""Refuse a letter that lacks an element its line of business requires.

Two checks, both needed: the context must supply the element's facts (a denial without a reason
is incomplete however the template reads), and the rendered letter must hold a non-empty block
marked data-element="<id>" (a plan that edits a template and drops the appeal-rights paragraph
must not be able to send it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tinyhtml5
from jinja2 import UndefinedError

from openum.errors import DomainError
from openum.notification.letters.context import LetterContext
from openum.notification.letters.render import (
    RenderedLetter,
    html_to_pdf,
    letters_config,
    program_of,
    render,
)
from openum.notification.letters.schema import Condition, ElementId, LetterType, RequiredElement
from openum.packs.loader import PlanPack
from openum.packs.schema import Program

# Plain words for each element, used in the refusal message.
ELEMENT_NAMES: dict[ElementId, str] = {
    ElementId.REQUEST_IDENTIFICATION: "what was requested (service, codes, dates, provider)",
    ElementId.DECISION: "the decision and its date",
    ElementId.APPROVED_SERVICES: "what was approved",
    ElementId.SPECIFIC_REASON: "the specific reason",
    ElementId.MEMBER_CONDITION: "the reason tied to the member's condition",
    ElementId.PLAN_PROVISION: "the benefit-plan provision relied on",
    ElementId.CRITERION_NAME_VERSION: "the criterion's name and version",
    ElementId.CRITERIA_SUMMARY: "a plain summary of the criteria",
    ElementId.CRITERIA_ON_REQUEST: "that the criteria are free on request",
    ElementId.CRITERIA_ENCLOSED: "the criteria text",
    ElementId.ALTERNATIVES: "alternative treatments (or that there are none)",
    ElementId.INFORMATION_NEEDED: "what information is needed, and why",
    ElementId.RESPONSE_DUE_DATE: "the date to respond by",
    ElementId.DECISION_DUE_DATE: "the date the decision is due",
    ElementId.DOCUMENT_ACCESS: "free access to the case documents",
    ElementId.PHYSICIAN_REVIEWER_CONTACT: "how to reach the physician reviewer",
    ElementId.RECONSIDERATION: "the informal reconsideration",
    ElementId.APPEAL_RIGHTS: "appeal rights",
    ElementId.APPEAL_DEADLINE: "the appeal deadline",
    ElementId.EXPEDITED_APPEAL: "the expedited (fast) appeal",
    ElementId.APPEAL_RECEIVED: "the date the appeal was received",
    ElementId.STATE_FAIR_HEARING: "State Fair Hearing rights",
    ElementId.CONTINUATION_OF_BENEFITS: "continuation of benefits",
    ElementId.EXTERNAL_REVIEW: "external / independent medical review",
    ElementId.REGULATOR_CONTACT: "the regulator's contact",
    ElementId.ERISA_502A: "the right to sue under ERISA section 502(a)",
    ElementId.GRIEVANCE_RIGHTS: "the right to file a grievance",
    ElementId.HELD_HARMLESS: "that the member is held harmless",
    ElementId.PRACTITIONER_COPY: "the copy to the treating practitioner",
    ElementId.LANGUAGE_ASSISTANCE: "free language assistance",
    ElementId.NONDISCRIMINATION: "the nondiscrimination notice",
}


@dataclass(frozen=True)
class Gap:
    element: ElementId
    problem: str

    def as_detail(self) -> dict[str, str]:
        return {"element": self.element.value, "problem": self.problem}


class LetterIncomplete(DomainError):
    """The letter lacks elements its line of business requires; `missing` lists their ids."""

    code = "letter_incomplete"
    http_status = 422

    def __init__(self, letter_type: LetterType, gaps: list[Gap]) -> None:
        self.missing = sorted({g.element.value for g in gaps})
        lines = "; ".join(f"{g.element.value} ({ELEMENT_NAMES[g.element]}): {g.problem}" for g in gaps)
        super().__init__(f"{letter_type.value} letter refused, missing {len(self.missing)} required "
                         f"element(s): {lines}", details=[g.as_detail() for g in gaps])


class LettersNotForProgram(DomainError):
    """The pack's letters.yaml has no checklist for this line of business's program."""

    code = "letters_not_for_program"
    http_status = 422


class LetterTemplateError(DomainError):
    """A pack template failed to render; the plan must fix the template."""

    code = "letter_template_error"
    http_status = 422


@dataclass(frozen=True)
class PreparedLetter:
    """A letter that passed the checklist, ready for the outbox."""

    letter_type: LetterType
    html: str
    pdf: bytes
    language: str
    requested_language: str
    fallback_note: str | None
    large_print: bool
    program: Program


def _facts(ctx: LetterContext, letter_type: LetterType) -> dict[ElementId, list[str]]:
    """Per element, the names of required facts the context leaves empty."""
    def need(**fields: object) -> list[str]:
        return [name for name, value in fields.items() if value in (None, "", ())]

    reviewer = ctx.reviewer
    reviewer_gaps = ["reviewer"] if reviewer is None else need(
        reviewer_name=reviewer.name, reviewer_credential=reviewer.credential, reviewer_phone=reviewer.phone)
    held = ctx.administrative_reason is not None and ctx.administrative_reason.provider_only
    reason = need(specific_reason=ctx.specific_reason)
    if letter_type in (LetterType.ADMINISTRATIVE_DENIAL_MEMBER, LetterType.ADMINISTRATIVE_DENIAL_PROVIDER):
        reason += need(administrative_reason=ctx.administrative_reason)
    return {
        ElementId.REQUEST_IDENTIFICATION: need(authorization_id=ctx.authorization_id, services=ctx.services),
        ElementId.DECISION: need(outcome=ctx.outcome, decision_date=ctx.decision_date),
        ElementId.APPROVED_SERVICES: need(approved_services=ctx.approved_services),
        ElementId.SPECIFIC_REASON: reason,
        ElementId.MEMBER_CONDITION: need(member_condition=ctx.member_condition),
        ElementId.PLAN_PROVISION: need(plan_provision=ctx.plan_provision),
        ElementId.CRITERION_NAME_VERSION: need(criterion_name=ctx.criterion_name,
                                               criterion_version=ctx.criterion_version),
        ElementId.CRITERIA_SUMMARY: need(criteria_summary=ctx.criteria_summary),
        ElementId.CRITERIA_ENCLOSED: need(criteria_text=ctx.criteria_text),
        # () is an answer ("none available"); None means nobody looked.
        ElementId.ALTERNATIVES: ["alternatives"] if ctx.alternatives is None else [],
        ElementId.INFORMATION_NEEDED: need(information_needed=ctx.information_needed,
                                           information_reason=ctx.information_reason),
        ElementId.RESPONSE_DUE_DATE: need(response_due_date=ctx.response_due_date),
        ElementId.DECISION_DUE_DATE: need(decision_due_date=ctx.decision_due_date),
        ElementId.PHYSICIAN_REVIEWER_CONTACT: reviewer_gaps,
        ElementId.APPEAL_DEADLINE: need(appeal_deadline=ctx.appeal_deadline),
        ElementId.APPEAL_RECEIVED: need(appeal_received_date=ctx.appeal_received_date),
        ElementId.STATE_FAIR_HEARING: need(state_hearing_deadline=ctx.state_hearing_deadline)
        if letter_type is LetterType.APPEAL_RESOLUTION else [],
        ElementId.CONTINUATION_OF_BENEFITS: need(continuation_deadline=ctx.continuation_deadline)
        if letter_type is not LetterType.APPEAL_RESOLUTION else [],
        ElementId.HELD_HARMLESS: [] if held else ["administrative_reason (a provider-only reason)"],
        ElementId.PRACTITIONER_COPY: need(provider_name=ctx.provider.name),
    }


_CONDITIONS: dict[Condition, Callable[[LetterContext], bool | None]] = {
    Condition.ERISA_GOVERNED: lambda ctx: ctx.erisa_governed,
    Condition.ADVERSE: lambda ctx: None if ctx.outcome is None else ctx.adverse,
}


def required_elements(
    pack: PlanPack, letter_type: LetterType, program: Program, context: LetterContext
) -> tuple[list[ElementId], list[Gap]]:
    """The elements that apply to this letter, and gaps where a condition cannot be judged."""
    spec = letters_config(pack).spec(LetterType(letter_type))
    if program not in spec.required:
        raise LettersNotForProgram(f"{letter_type} has no checklist for program {program.value!r}")
    entries: list[RequiredElement] = spec.required[program]
    applies: list[ElementId] = []
    gaps: list[Gap] = []
    for entry in entries:
        if isinstance(entry, ElementId):
            applies.append(entry)
            continue
        verdicts = [(cond, _CONDITIONS[cond](context)) for cond in entry.when]
        unknown = [cond.value for cond, v in verdicts if v is None]
        if unknown:
            gaps.append(Gap(entry.element, f"cannot tell whether it applies: {', '.join(unknown)} unknown"))
        elif all(v for _, v in verdicts):
            applies.append(entry.element)
    return applies, gaps


def marked_elements(html: str) -> set[str]:
    """Element ids whose data-element block in the HTML holds some text (parsed as WeasyPrint parses)."""
    root = tinyhtml5.parse(html)
    found: set[str] = set()
    for node in root.iter():
        for element_id in (node.get("data-element") or "").split():
            if "".join(node.itertext()).strip():
                found.add(element_id)
    return found


def find_gaps(
    pack: PlanPack,
    letter_type: LetterType,
    program: Program,
    context: LetterContext,
    *,
    html: str | None = None,
) -> list[Gap]:
    """Every required element the context does not supply or, given html, the letter does not show."""
    letter_type = LetterType(letter_type)
    applies, gaps = required_elements(pack, letter_type, program, context)
    facts = _facts(context, letter_type)
    for element in applies:
        empty = facts.get(element, [])
        if empty:
            gaps.append(Gap(element, f"the letter context has no {', '.join(empty)}"))
    if html is not None:
        shown = marked_elements(html)
        lacking_data = {g.element for g in gaps}
        for element in applies:
            if element.value not in shown and element not in lacking_data:
                gaps.append(Gap(element, f'the template has no data-element="{element.value}" block with text'))
    return gaps


def missing_elements(
    pack: PlanPack,
    letter_type: LetterType,
    program: Program,
    context: LetterContext,
    *,
    html: str | None = None,
) -> list[str]:
    """Ids of required elements missing from the context (and, given html, from the letter)."""
    return sorted({g.element.value for g in find_gaps(pack, letter_type, program, context, html=html)})


def prepare_letter(
    pack: PlanPack,
    letter_type: LetterType,
    context: LetterContext,
    *,
    language: str | None = None,
    large_print: bool | None = None,
) -> PreparedLetter:
    """Render a letter and print it to PDF, or raise LetterIncomplete naming every missing element."""
    letter_type = LetterType(letter_type)
    program = program_of(pack, context)
    data_gaps = find_gaps(pack, letter_type, program, context)
    try:
        rendered: RenderedLetter = render(pack, letter_type, context, language=language,
                                          large_print=large_print)
    except UndefinedError as exc:
        if data_gaps:
            raise LetterIncomplete(letter_type, data_gaps) from exc
        raise LetterTemplateError(f"{letter_type.value} template failed: {exc.message}") from exc
    gaps = find_gaps(pack, letter_type, program, context, html=rendered.html)
    if gaps:
        raise LetterIncomplete(letter_type, gaps)
    return PreparedLetter(
        letter_type=letter_type,
        html=rendered.html,
        pdf=html_to_pdf(rendered.html),
        language=rendered.choice.language,
        requested_language=rendered.choice.requested_language,
        fallback_note=rendered.choice.note,
        large_print=rendered.large_print,
        program=program,
    )
