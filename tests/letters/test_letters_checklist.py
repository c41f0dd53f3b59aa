"""A letter that lacks an element its line of business requires is refused, naming the element."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from openum.errors import DomainError
from openum.notification.letters import (
    AdministrativeReason,
    LetterIncomplete,
    LetterType,
    missing_elements,
    prepare_letter,
    render_html,
)
from openum.packs.loader import PackLoadError, PlanPack, load_pack
from openum.packs.schema import Program
from tests.letters.conftest import pdf_text
from tests.letters.samples import ALLWAYS, PARTNERSHIP, sample_context

DENIAL = LetterType.MEDICAL_NECESSITY_DENIAL


def test_denial_without_a_specific_reason_is_refused_naming_it(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(PARTNERSHIP, DENIAL), specific_reason=None)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[PARTNERSHIP], DENIAL, ctx)
    assert err.value.missing == ["specific_reason"]
    assert "specific_reason (the specific reason)" in err.value.message
    assert err.value.details == [{"element": "specific_reason",
                                  "problem": "the letter context has no specific_reason"}]
    assert isinstance(err.value, DomainError) and err.value.http_status == 422


def test_every_missing_element_is_listed_at_once(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(ALLWAYS, DENIAL), reviewer=None, criterion_version=None,
                  appeal_deadline=None, alternatives=None)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[ALLWAYS], DENIAL, ctx)
    assert err.value.missing == ["alternatives", "appeal_deadline", "criterion_name_version",
                                 "physician_reviewer_contact"]
    assert "criterion_version" in err.value.message


def test_missing_elements_checks_context_for_each_program(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(PARTNERSHIP, DENIAL), member_condition=" ".strip() or None)
    assert missing_elements(packs[PARTNERSHIP], DENIAL, Program.MEDICAID, ctx) == ["member_condition"]
    full = sample_context(PARTNERSHIP, DENIAL)
    assert missing_elements(packs[PARTNERSHIP], DENIAL, Program.MEDICAID, full) == []


def test_no_alternatives_is_an_answer_but_none_is_not(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(PARTNERSHIP, DENIAL), alternatives=())
    text = pdf_text(prepare_letter(packs[PARTNERSHIP], DENIAL, ctx).pdf)
    assert "We did not find other covered care" in text
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[PARTNERSHIP], DENIAL, replace(ctx, alternatives=None))
    assert err.value.missing == ["alternatives"]


def test_erisa_statement_follows_the_plan_type(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(ALLWAYS, DENIAL)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[ALLWAYS], DENIAL, replace(ctx, erisa_governed=None))
    assert err.value.missing == ["erisa_502a"] and "erisa_governed unknown" in err.value.message
    individual = pdf_text(prepare_letter(packs[ALLWAYS], DENIAL, replace(ctx, erisa_governed=False)).pdf)
    assert "502(a)" not in individual
    assert "502(a)" in pdf_text(prepare_letter(packs[ALLWAYS], DENIAL, ctx).pdf)


def test_medi_cal_appeal_resolution_needs_the_hearing_deadline(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(PARTNERSHIP, LetterType.APPEAL_RESOLUTION), state_hearing_deadline=None)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[PARTNERSHIP], LetterType.APPEAL_RESOLUTION, ctx)
    assert err.value.missing == ["state_fair_hearing"]


def test_provider_only_letter_needs_a_provider_only_reason(packs: dict[str, PlanPack]) -> None:
    ctx = replace(sample_context(ALLWAYS, LetterType.ADMINISTRATIVE_DENIAL_PROVIDER),
                  administrative_reason=AdministrativeReason.EXCLUDED)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(packs[ALLWAYS], LetterType.ADMINISTRATIVE_DENIAL_PROVIDER, ctx)
    assert err.value.missing == ["held_harmless"]


def _drop_line(path: Path, needle: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert needle in text
    path.write_text("".join(ln for ln in text.splitlines(keepends=True) if needle not in ln), encoding="utf-8")


@pytest.mark.parametrize("plan", [PARTNERSHIP, ALLWAYS])
def test_template_without_appeal_rights_is_refused(plan: str, pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(plan)
    _drop_line(folder / "letters" / "templates" / "medical_necessity_denial.en.html", "p.appeal_rights()")
    pack = load_pack(folder)
    ctx = sample_context(plan, DENIAL)
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(pack, DENIAL, ctx, language="en")
    # The deadline sits inside the appeal-rights block, so it goes too.
    assert err.value.missing == ["appeal_deadline", "appeal_rights"]
    assert 'no data-element="appeal_rights" block' in err.value.message
    # The Spanish template still has the block, and is accepted.
    prepare_letter(pack, DENIAL, sample_context(plan, DENIAL, language="es"), language="es")


def test_a_marker_with_no_text_does_not_count(pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(PARTNERSHIP)
    parts = folder / "letters" / "templates" / "_parts.en.html"
    text = parts.read_text(encoding="utf-8")
    start = text.index('<section data-element="state_fair_hearing">')
    end = text.index("</section>", start)
    parts.write_text(text[:start] + '<section data-element="state_fair_hearing">' + text[end:], encoding="utf-8")
    with pytest.raises(LetterIncomplete) as err:
        prepare_letter(load_pack(folder), DENIAL, sample_context(PARTNERSHIP, DENIAL))
    assert err.value.missing == ["state_fair_hearing"]


def test_missing_template_file_is_named_on_pack_load(pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(ALLWAYS)
    (folder / "letters" / "templates" / "extension_notice.es.html").unlink()
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert [str(e) for e in err.value.errors] == [
        "letters/letters.yaml: letter_types.extension_notice.templates.es: "
        "template file letters/templates/extension_notice.es.html is missing"
    ]


def test_template_syntax_error_is_named_on_pack_load(pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(PARTNERSHIP)
    page = folder / "letters" / "templates" / "approval.es.html"
    page.write_text(page.read_text(encoding="utf-8") + "{% if %}", encoding="utf-8")
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert any("letters/templates/approval.es.html line" in str(e) for e in err.value.errors)


def _edit_letters(folder: Path, fn: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    path = folder / "letters" / "letters.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_letters_yaml_must_cover_every_type_and_program(pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(ALLWAYS)

    def edit(d: dict) -> None:  # type: ignore[type-arg]
        del d["letter_types"]["peer_to_peer_offer"]
        del d["letter_types"]["approval"]["required"]["qhp"]

    _edit_letters(folder, edit)
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    messages = {str(e) for e in err.value.errors}
    assert "letters/letters.yaml: letter_types.peer_to_peer_offer: letter type is missing" in messages
    assert ("letters/letters.yaml: letter_types.approval.required: no required elements for program "
            "'qhp', used in pack.yaml") in messages


def test_unknown_element_and_missing_english_template_are_rejected(pack_copy: Callable[[str], Path]) -> None:
    folder = pack_copy(PARTNERSHIP)

    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["letter_types"]["approval"]["required"]["medicaid"].append("free_lunch")
        del d["letter_types"]["extension_notice"]["templates"]["en"]

    _edit_letters(folder, edit)
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    where = {e.path for e in err.value.errors}
    assert any(p.startswith("letter_types.approval.required.medicaid[6]") for p in where)
    assert "letter_types.extension_notice.templates" in where


def test_marker_check_is_on_the_rendered_html(packs: dict[str, PlanPack]) -> None:
    ctx = sample_context(PARTNERSHIP, DENIAL)
    html = render_html(packs[PARTNERSHIP], DENIAL, ctx)
    assert missing_elements(packs[PARTNERSHIP], DENIAL, Program.MEDICAID, ctx, html=html) == []
    cut = html.replace('data-element="regulator_contact"', "")
    assert missing_elements(packs[PARTNERSHIP], DENIAL, Program.MEDICAID, ctx, html=cut) == ["regulator_contact"]
