"""Golden tests: the Medicare Advantage library layer (42 CFR 422.568, 422.572), by hand.

The library file governs no line of business; the tests copy it with lines_of_business set to a
made-up MA line, as a plan would, on Partnership's Pacific calendar.
"""

from __future__ import annotations

import pytest
from clockkit import (
    MEDICARE,
    fake_pack,
    get,
    layer_file,
    medi_cal_calendar,
    medicare,
    pt,
    pt_eod,
    run,
)
from clockkit import due as due_of

from openum.deadlines.engine import adverse_determination_at
from openum.deadlines.events import ExtensionTaken
from openum.deadlines.model import ExtensionRefused, NoClockRule
from openum.deadlines.schema import Party

MA = medicare()
LOB = "medicare-advantage"


def test_library_layer_governs_nothing_until_a_plan_lists_its_line() -> None:
    pack = fake_pack(medi_cal_calendar(), layer_file(MEDICARE))
    with pytest.raises(NoClockRule):
        run(pack, LOB, "pre_service", "non_urgent", pt(2026, 3, 5, 10))


def test_standard_prior_authorized_seven_days_from_2026() -> None:
    r = run(MA, LOB, "pre_service", "non_urgent", pt(2026, 3, 5, 10))
    # Thu 5 Mar + 7 = Thu 12 Mar (PDT by then).
    assert due_of(r, "decision") == pt_eod(2026, 3, 12)
    assert due_of(r, "member_written") == pt_eod(2026, 3, 12)
    assert adverse_determination_at(r) == pt_eod(2026, 3, 12)


def test_standard_before_2026_fourteen_days() -> None:
    r = run(MA, LOB, "concurrent", "non_urgent", pt(2025, 12, 22, 10))
    assert due_of(r, "decision") == pt_eod(2026, 1, 5)  # 22 Dec + 14


def test_standard_not_prior_authorized_fourteen_days() -> None:
    r = run(
        MA,
        LOB,
        "pre_service",
        "non_urgent",
        pt(2026, 3, 5, 10),
        service_class="not_prior_authorized",
    )
    assert due_of(r, "decision") == pt_eod(2026, 3, 19)  # 5 Mar + 14
    assert get(r, "decision").rule_id == "standard-not-prior-authorized"


def test_unknown_service_class_uses_the_general_rule() -> None:
    r = run(MA, LOB, "pre_service", "non_urgent", pt(2026, 3, 5, 10), service_class="dme")
    assert get(r, "decision").rule_id == "standard-prior-authorized"


def test_standard_extension_by_enrollee_not_by_provider() -> None:
    received = pt(2026, 3, 5, 10)
    r = run(
        MA,
        LOB,
        "pre_service",
        "non_urgent",
        received,
        ExtensionTaken(pt(2026, 3, 10, 9), "x", Party.MEMBER),
    )
    assert due_of(r, "decision") == pt_eod(2026, 3, 26)  # 12 Mar + 14
    with pytest.raises(ExtensionRefused, match="provider is not allowed"):
        run(
            MA,
            LOB,
            "pre_service",
            "non_urgent",
            received,
            ExtensionTaken(pt(2026, 3, 10, 9), "x", Party.PROVIDER),
        )


def test_expedited_72_hours_across_spring_forward_and_extension() -> None:
    received = pt(2026, 3, 7, 10)  # Sat 10:00 PST = 18:00 UTC
    r = run(MA, LOB, "pre_service", "urgent", received)
    # + 72 h = Tue 18:00 UTC = 11:00 PDT.
    assert due_of(r, "decision") == pt(2026, 3, 10, 11)
    ext = run(
        MA,
        LOB,
        "pre_service",
        "urgent",
        received,
        ExtensionTaken(pt(2026, 3, 9, 9), "x", Party.PLAN),
    )
    assert due_of(ext, "decision") == pt_eod(2026, 3, 24)  # Tue 10 Mar + 14 calendar days


def test_part_b_drug_standard_72_hours_no_extension() -> None:
    received = pt(2026, 10, 30, 9)  # Fri 09:00 PDT = 16:00 UTC
    r = run(MA, LOB, "pre_service", "non_urgent", received, service_class="part_b_drug")
    # + 72 h = Mon 16:00 UTC = 08:00 PST (fall back on Sun 1 Nov).
    assert due_of(r, "decision") == pt(2026, 11, 2, 8)
    with pytest.raises(ExtensionRefused, match="allows no extension"):
        run(
            MA,
            LOB,
            "pre_service",
            "non_urgent",
            received,
            ExtensionTaken(pt(2026, 10, 31, 9), "x", Party.MEMBER),
            service_class="part_b_drug",
        )


def test_part_b_drug_expedited_24_hours() -> None:
    r = run(MA, LOB, "concurrent", "urgent", pt(2026, 10, 31, 12), service_class="part_b_drug")
    assert due_of(r, "decision") == pt(2026, 11, 1, 11)  # Sat 12:00 PDT + 24 h = Sun 11:00 PST
