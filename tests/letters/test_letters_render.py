"""Every letter type prints to PDF in English and Spanish for both packs, with every required element.

The PDF's own text is read back and each element the line of business requires is looked for by
its wording (from regulation.md and the seeds) or by the facts the context supplied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from openum.notification.letters import ElementId, LetterContext, LetterType, prepare_letter
from openum.notification.letters.checklist import required_elements
from openum.notification.letters.i18n import long_date
from openum.packs.loader import PlanPack
from tests.letters.conftest import pdf_text
from tests.letters.samples import ALLWAYS, PARTNERSHIP, sample_context

# Wording each element must show, per language, wherever it is required.
WORDING: dict[ElementId, dict[str, list[str]]] = {
    ElementId.CRITERIA_ON_REQUEST: {"en": ["free copy of these rules"], "es": ["copia de estas reglas"]},
    ElementId.DOCUMENT_ACCESS: {"en": ["free copies of all the papers"], "es": ["gratis copias de todos"]},
    ElementId.RECONSIDERATION: {"en": ["one business day", "It is not an appeal"],
                                "es": ["un día hábil", "No es una apelación"]},
    ElementId.EXPEDITED_APPEAL: {"en": ["fast appeal", "72 hours"], "es": ["apelación rápida", "72 horas"]},
    ElementId.CONTINUATION_OF_BENEFITS: {"en": ["within 10 days", "pay for the services you got"],
                                         "es": ["dentro de 10 días", "pagar los servicios"]},
    ElementId.GRIEVANCE_RIGHTS: {"en": ["grievance"], "es": ["presentar una queja"]},
    ElementId.HELD_HARMLESS: {"en": ["you do not have to pay", "may not bill you"],
                              "es": ["usted no tiene que pagar", "no puede cobrarle"]},
    ElementId.ERISA_502A: {"en": ["section 502(a) of ERISA", "1-866-444-3272"],
                           "es": ["sección 502(a) de ERISA", "1-866-444-3272"]},
    ElementId.LANGUAGE_ASSISTANCE: {"en": ["free interpreter", "ATENCIÓN"], "es": ["intérprete gratis", "ATTENTION"]},
    ElementId.NONDISCRIMINATION: {"en": ["civil rights", "1-800-368-1019"],
                                  "es": ["derechos civiles", "1-800-368-1019"]},
}
PLAN_WORDING: dict[str, dict[ElementId, dict[str, list[str]]]] = {
    PARTNERSHIP: {
        ElementId.STATE_FAIR_HEARING: {"en": ["State Hearing", "State Fair Hearing", "1-800-743-8525"],
                                       "es": ["Audiencia Estatal", "Audiencia Imparcial Estatal", "1-800-743-8525"]},
        ElementId.EXTERNAL_REVIEW: {"en": ["Independent Medical Review", "1-888-466-2219"],
                                    "es": ["Revisión Médica Independiente", "1-888-466-2219"]},
        ElementId.REGULATOR_CONTACT: {"en": ["Department of Managed Health Care", "1-888-466-2219", "1-888-452-8609"],
                                      "es": ["Atención Médica Administrada", "1-888-466-2219", "1-888-452-8609"]},
    },
    ALLWAYS: {
        ElementId.EXTERNAL_REVIEW: {"en": ["external review", "Office of Patient Protection", "1-800-436-7757"],
                                    "es": ["revisión externa", "Protección al Paciente", "1-800-436-7757"]},
        ElementId.REGULATOR_CONTACT: {"en": ["Division of Insurance", "617-521-7794"],
                                      "es": ["División de Seguros", "617-521-7794"]},
    },
}


def _start(text: str | None, n: int = 40) -> list[str]:
    assert text, "sample context lacks the fact the element needs"
    return [" ".join(text.split())[:n]]


def _day(value: date | None, lang: str) -> list[str]:
    assert value is not None, "sample context lacks the date the element needs"
    return [long_date(value, lang)]


def _facts(lang: str, ctx: LetterContext) -> dict[ElementId, Callable[[], list[str]]]:
    """Phrases drawn from the context: the letter must print what it was given."""
    return {
        ElementId.REQUEST_IDENTIFICATION: lambda: [ctx.authorization_id, ctx.services[0].code],
        ElementId.DECISION: lambda: _day(ctx.decision_date, lang),
        ElementId.APPROVED_SERVICES: lambda: [ctx.approved_services[0].quantity or ""],
        ElementId.SPECIFIC_REASON: lambda: _start(ctx.specific_reason),
        ElementId.MEMBER_CONDITION: lambda: _start(ctx.member_condition),
        ElementId.PLAN_PROVISION: lambda: _start(ctx.plan_provision, 25),
        ElementId.CRITERION_NAME_VERSION: lambda: [*_start(ctx.criterion_name, 25), str(ctx.criterion_version)],
        ElementId.CRITERIA_SUMMARY: lambda: _start(ctx.criteria_summary),
        ElementId.CRITERIA_ENCLOSED: lambda: _start((ctx.criteria_text or "").split("\n")[0], 30),
        ElementId.ALTERNATIVES: lambda: _start(ctx.alternatives[0], 30) if ctx.alternatives else
        [{"en": "did not find other covered care", "es": "No encontramos otra atención"}[lang]],
        ElementId.INFORMATION_NEEDED: lambda: _start(ctx.information_needed[0], 30),
        ElementId.RESPONSE_DUE_DATE: lambda: _day(ctx.response_due_date, lang),
        ElementId.DECISION_DUE_DATE: lambda: _day(ctx.decision_due_date, lang),
        ElementId.APPEAL_DEADLINE: lambda: _day(ctx.appeal_deadline, lang),
        ElementId.APPEAL_RECEIVED: lambda: _day(ctx.appeal_received_date, lang),
        ElementId.PHYSICIAN_REVIEWER_CONTACT: lambda: [ctx.reviewer.name, ctx.reviewer.phone]
        if ctx.reviewer else ["?"],
        ElementId.PRACTITIONER_COPY: lambda: [{"en": "Copy sent to", "es": "Copia enviada a"}[lang]],
        ElementId.APPEAL_RIGHTS: lambda: [{"en": "appeal", "es": "apela"}[lang]],
    }


def expected(plan: str, lang: str, lt: LetterType, element: ElementId, ctx: LetterContext) -> list[str]:
    """Phrases that show the element is in the printed letter."""
    facts = _facts(lang, ctx)
    if element in facts:
        phrases = facts[element]()
    elif element in PLAN_WORDING[plan]:
        phrases = PLAN_WORDING[plan][element][lang]
    else:
        phrases = WORDING[element][lang]
    if element is ElementId.STATE_FAIR_HEARING and lt is LetterType.APPEAL_RESOLUTION:
        phrases = [*phrases, *_day(ctx.state_hearing_deadline, lang)]
    return phrases


CASES = [(plan, lt, lang) for plan in (PARTNERSHIP, ALLWAYS) for lt in LetterType for lang in ("en", "es")]


@pytest.mark.parametrize(("plan", "letter_type", "lang"), CASES,
                         ids=[f"{p.split('-')[0]}-{lt.value}-{lang}" for p, lt, lang in CASES])
def test_letter_prints_with_every_required_element(
    packs: dict[str, PlanPack], plan: str, letter_type: LetterType, lang: str
) -> None:
    pack = packs[plan]
    ctx = sample_context(plan, letter_type, language=lang)
    letter = prepare_letter(pack, letter_type, ctx, language=lang)
    assert letter.pdf.startswith(b"%PDF-")
    assert letter.language == lang and letter.fallback_note is None
    text = pdf_text(letter.pdf)
    assert pack.manifest.plan.name in text
    applies, unknown = required_elements(pack, letter_type, letter.program, ctx)
    assert not unknown and applies
    for element in applies:
        for phrase in expected(plan, lang, letter_type, element, ctx):
            assert phrase in text, f"{element.value}: {phrase!r} not in the {lang} PDF"


def test_medi_cal_denial_has_your_rights_section(packs: dict[str, PlanPack]) -> None:
    """DHCS-style "Your Rights": appeal by the deadline, State Hearing 120 days after the appeal decision."""
    for lang, heading, hearing in (("en", "Your Rights", "State Hearing"), ("es", "Sus derechos", "Audiencia Estatal")):
        ctx = sample_context(PARTNERSHIP, LetterType.MEDICAL_NECESSITY_DENIAL, language=lang)
        text = pdf_text(prepare_letter(packs[PARTNERSHIP], LetterType.MEDICAL_NECESSITY_DENIAL, ctx).pdf)
        assert heading in text and hearing in text
        assert long_date(ctx.appeal_deadline, lang) in text  # type: ignore[arg-type]
        assert ("120 days" if lang == "en" else "120 días") in text
        assert "P.O. Box 944243" in text


def test_allways_denial_has_reconsideration_external_review_and_erisa(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(ALLWAYS, LetterType.MEDICAL_NECESSITY_DENIAL)
    text = pdf_text(prepare_letter(packs[ALLWAYS], LetterType.MEDICAL_NECESSITY_DENIAL, ctx).pdf)
    assert "informal" in text and "you do not have to ask for it before you appeal" in text
    assert "Office of Patient Protection" in text and "4 months" in text
    assert "502(a)" in text
    assert "State Hearing" not in text  # Medicaid only


def test_administrative_denial_provider_says_member_is_held_harmless(packs: dict[str, PlanPack]) -> None:
    for plan in (PARTNERSHIP, ALLWAYS):
        ctx = sample_context(plan, LetterType.ADMINISTRATIVE_DENIAL_PROVIDER)
        letter = prepare_letter(packs[plan], LetterType.ADMINISTRATIVE_DENIAL_PROVIDER, ctx)
        text = pdf_text(letter.pdf)
        assert "You may not bill the member" in text
        assert "Your provider may not bill you for this service" in text
        assert f"Dear {ctx.provider.name}" in text  # addressed to the provider, copy to the member
        assert f"Copy sent to: {ctx.member.name}" in text


def test_appeal_resolution_in_members_favor_needs_no_rights(packs: dict[str, PlanPack]) -> None:
    from dataclasses import replace

    from openum.notification.letters import Outcome

    for plan in (PARTNERSHIP, ALLWAYS):
        ctx = replace(sample_context(plan, LetterType.APPEAL_RESOLUTION), outcome=Outcome.APPROVED,
                      specific_reason=None, state_hearing_deadline=None)
        text = pdf_text(prepare_letter(packs[plan], LetterType.APPEAL_RESOLUTION, ctx).pdf)
        assert "in your favor" in text
        assert "State Hearing" not in text and "502(a)" not in text
