"""Letters come in the member's language and print size, and say when they fall back to English."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from openum.notification.letters import LetterType, prepare_letter, render, render_pdf
from openum.notification.letters.i18n import long_date
from openum.packs.loader import PlanPack
from tests.letters.conftest import pdf_font_sizes, pdf_text, pdf_text_runs
from tests.letters.samples import ALLWAYS, PARTNERSHIP, sample_context

DENIAL = LetterType.MEDICAL_NECESSITY_DENIAL


def test_spanish_is_chosen_for_a_spanish_speaking_member(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(PARTNERSHIP, DENIAL, language="es")
    letter = prepare_letter(packs[PARTNERSHIP], DENIAL, ctx)  # no language given: the member's
    assert (letter.language, letter.requested_language, letter.fallback_note) == ("es", "es", None)
    text = pdf_text(letter.pdf)
    assert "Aviso de Acción" in text and "Audiencia Estatal" in text
    assert "17 de enero de 2027" in text  # the appeal deadline, written the Spanish way
    assert '<html lang="es">' in letter.html


def test_language_without_a_template_falls_back_to_english_and_says_so(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(ALLWAYS, DENIAL, language="vi")
    letter = prepare_letter(packs[ALLWAYS], DENIAL, ctx)
    assert (letter.language, letter.requested_language) == ("en", "vi")
    assert letter.fallback_note == "No Vietnamese (vi) template for medical_necessity_denial; sent in English."
    text = pdf_text(letter.pdf)
    assert "We do not have this letter in Vietnamese yet" in text
    assert "CHÚ Ý" in text  # the Vietnamese tagline still tells the member how to get help
    assert not render(packs[ALLWAYS], DENIAL, replace(ctx, member=replace(ctx.member, language="en"))).choice.fell_back


def test_provider_only_letter_defaults_to_english(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(PARTNERSHIP, LetterType.PEER_TO_PEER_OFFER, language="es")
    assert render(packs[PARTNERSHIP], LetterType.PEER_TO_PEER_OFFER, ctx).choice.language == "en"


def _body_size(pdf: bytes) -> float:
    """The size of a body paragraph: the salutation ("Dear ...")."""
    return next(size for text, size in pdf_text_runs(pdf) if text.startswith("Dear "))


@pytest.mark.parametrize("plan", [PARTNERSHIP, ALLWAYS])
def test_large_print_uses_a_larger_font(packs: dict[str, PlanPack], plan: str) -> None:
    ctx = sample_context(plan, DENIAL)
    standard = render_pdf(packs[plan], DENIAL, ctx)
    large = render_pdf(packs[plan], DENIAL, ctx, large_print=True)
    assert 10 <= _body_size(standard) < 12
    assert _body_size(large) >= 18
    # Every line is 14pt or more, the page footer too; the logo's words are artwork, not text.
    logo_words = frozenset({"Partnership", "HealthPlan of California", "AllWays", "Health Partners"})
    assert min(pdf_font_sizes(large, skip=logo_words)) >= 14


def test_large_print_follows_the_member_flag(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(ALLWAYS, LetterType.APPROVAL, large_print=True)
    rendered = render(packs[ALLWAYS], LetterType.APPROVAL, ctx)
    assert rendered.large_print and 'class="large-print' in rendered.html
    assert re.search(r"body\.large-print\s*\{\s*font-size:\s*18pt", rendered.html)
    # A letter only the provider reads is not enlarged for the member.
    p2p = sample_context(ALLWAYS, LetterType.PEER_TO_PEER_OFFER, large_print=True)
    assert not render(packs[ALLWAYS], LetterType.PEER_TO_PEER_OFFER, p2p).large_print


def test_plan_name_logo_and_contact_lines_come_from_the_pack(packs: dict[str, PlanPack]) -> None:
    for plan, phone in ((PARTNERSHIP, "(800) 863-4155"), (ALLWAYS, "800-462-5449")):
        ctx = sample_context(plan, LetterType.APPROVAL)
        html = render(packs[plan], LetterType.APPROVAL, ctx).html
        assert 'src="data:image/svg+xml;base64,' in html
        text = pdf_text(render_pdf(packs[plan], LetterType.APPROVAL, ctx))
        assert packs[plan].manifest.plan.name in text and phone in text


def test_provider_letters_print_the_provider_line_from_pack_yaml(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(ALLWAYS, LetterType.REQUEST_FOR_INFORMATION)
    text = pdf_text(render_pdf(packs[ALLWAYS], LetterType.REQUEST_FOR_INFORMATION, ctx))
    contact = packs[ALLWAYS].manifest.plan.contact
    assert contact.phone in text and str(contact.fax) in text


def test_dates_are_written_in_the_letters_language() -> None:
    from datetime import date

    assert long_date(date(2027, 5, 5), "en") == "May 5, 2027"
    assert long_date(date(2027, 5, 5), "es") == "5 de mayo de 2027"
