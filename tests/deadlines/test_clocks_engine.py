"""Engine behaviour beyond single table rows: urgency changes, event checks, preview, effective."""

from __future__ import annotations

from datetime import datetime

import pytest
from clockkit import allways, et, et_eod, get, medi_cal, pt, pt_eod, run
from clockkit import due as due_of

from openum.deadlines.engine import effective, preview
from openum.deadlines.events import (
    DecisionMade,
    ExtensionTaken,
    InvalidClockEvents,
    UrgencyChanged,
    WrittenNoticeSent,
)
from openum.deadlines.model import DueStatus, NoClockRule
from openum.deadlines.schema import Obligation, Outcome, Party
from openum.vocabulary import Urgency

BOTH = medi_cal()


def test_expedite_refused_counts_from_receipt() -> None:
    events = (
        UrgencyChanged(pt(2026, 3, 2, 14), Urgency.NON_URGENT, "does not meet expedited criteria"),
    )
    r = run(BOTH, "medi-cal", "pre_service", "urgent", pt(2026, 3, 2, 10), *events)
    # Standard clocks from the original receipt Mon 2 Mar: federal 7 days = Mon 9 Mar; plan 5
    # business days = Mon 9 Mar too. The tie goes to the first layer file.
    assert due_of(r, "decision") == pt_eod(2026, 3, 9)
    assert get(r, "decision").rule_id == "standard"


def test_expedite_granted_later_counts_from_the_change() -> None:
    r = run(
        BOTH,
        "medi-cal",
        "pre_service",
        "non_urgent",
        pt(2026, 3, 2, 10),
        UrgencyChanged(pt(2026, 3, 4, 12), Urgency.URGENT),
    )
    # 72 h from Wed 4 Mar 12:00 PST = Sat 7 Mar 12:00 PST, before the standard deadline of 9 Mar.
    assert due_of(r, "decision") == pt(2026, 3, 7, 12)


def test_expedite_granted_late_never_extends_what_was_owed() -> None:
    r = run(
        BOTH,
        "medi-cal",
        "pre_service",
        "non_urgent",
        pt(2026, 3, 2, 10),
        UrgencyChanged(pt(2026, 3, 8, 12), Urgency.URGENT),
    )
    # 72 h from Sun 8 Mar would be Wed 11 Mar; the standard deadline (end of Mon 9 Mar) still binds.
    assert due_of(r, "decision") == pt_eod(2026, 3, 9)


def test_met_and_on_time() -> None:
    events = (
        DecisionMade(pt(2026, 3, 9, 9), Outcome.DENIAL),
        WrittenNoticeSent(pt(2026, 3, 12, 9), Party.MEMBER),
    )
    r = run(BOTH, "medi-cal", "concurrent", "urgent", pt(2026, 3, 6, 10), *events)
    decision = get(r, "decision")
    assert decision.met_at == pt(2026, 3, 9, 9) and decision.on_time is True
    letter = get(r, "member_written", "denial")
    # Federal: denial notice within 72 h (Mon 11:00 PDT); it went out Thu: late.
    assert letter.on_time is False and letter.layer_id == "federal-medicaid-managed-care"
    assert letter.status is DueStatus.FINAL


def test_split_notices_listed_per_outcome_before_decision() -> None:
    r = run(BOTH, "medi-cal", "pre_service", "urgent", pt(2026, 3, 6, 10))
    letters = [d for d in r if d.obligation is Obligation.MEMBER_WRITTEN]
    # The federal denial clock is split; the DHCS clock binds both outcomes.
    assert [d.outcome for d in letters] == [Outcome.APPROVAL, Outcome.DENIAL]
    assert letters[0].status is DueStatus.PENDING_START  # only the DHCS clock, after the decision
    assert letters[1].due_at == pt(2026, 3, 9, 11) and letters[1].status is DueStatus.PROVISIONAL


def test_after_decision_only_its_outcome_remains() -> None:
    r = run(
        allways(),
        "commercial",
        "concurrent",
        "urgent",
        et(2026, 3, 3, 9),
        DecisionMade(et(2026, 3, 3, 15), Outcome.APPROVAL),
    )
    assert {d.outcome for d in r if d.obligation is Obligation.MEMBER_WRITTEN} == {Outcome.APPROVAL}


@pytest.mark.parametrize(
    ("lob", "kind"),
    [("medicaid-nc", "pre_service"), ("medi-cal", "referral"), ("medi-cal", "reconsideration")],
)
def test_no_clock_rule(lob: str, kind: str) -> None:
    with pytest.raises(NoClockRule):
        run(BOTH, lob, kind, "non_urgent", pt(2026, 3, 2, 10))


@pytest.mark.parametrize(
    "events",
    [
        (DecisionMade(pt(2026, 3, 1, 10), Outcome.APPROVAL),),  # before receipt
        (
            DecisionMade(pt(2026, 3, 3, 10), Outcome.APPROVAL),
            ExtensionTaken(pt(2026, 3, 2, 12), "x", Party.PLAN),
        ),
        (
            DecisionMade(pt(2026, 3, 3, 10), Outcome.APPROVAL),
            DecisionMade(pt(2026, 3, 4, 10), Outcome.DENIAL),
        ),
        (DecisionMade(datetime(2026, 3, 3, 10), Outcome.APPROVAL),),  # naive
    ],
)
def test_invalid_event_histories(events: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidClockEvents):
        run(BOTH, "medi-cal", "pre_service", "non_urgent", pt(2026, 3, 2, 10), *events)


def test_naive_receipt_refused() -> None:
    with pytest.raises(ValueError):
        run(BOTH, "medi-cal", "pre_service", "non_urgent", datetime(2026, 3, 2, 10))


def test_extension_after_decision_refused() -> None:
    from openum.deadlines.model import ExtensionRefused

    events = (
        DecisionMade(pt(2026, 3, 3, 10), Outcome.APPROVAL),
        ExtensionTaken(pt(2026, 3, 3, 11), "x", Party.PLAN),
    )
    with pytest.raises(ExtensionRefused, match="already made"):
        run(BOTH, "medi-cal", "pre_service", "non_urgent", pt(2026, 3, 2, 10), *events)


def test_due_times_are_utc() -> None:
    r = run(BOTH, "medi-cal", "pre_service", "non_urgent", pt(2026, 3, 2, 10))
    assert all(d.due_at is None or d.due_at.utcoffset().total_seconds() == 0 for d in r)  # type: ignore[union-attr]


def test_preview_medi_cal_non_urgent() -> None:
    p = preview(
        pack=BOTH,
        line_of_business="medi-cal",
        kind="pre_service",
        urgency="non_urgent",
        received_at=pt(2026, 3, 26, 10),
    )
    assert get(p.due_times, "decision").due_at == pt_eod(2026, 4, 2)  # federal 7 days
    # Decided at the last instant (end of Thu 2 Apr): provider notice 24 h later, the member letter
    # under DHCS 2 business days later (Fri 3, Mon 6), under federal law for a denial by 2 Apr.
    approved = p.if_decided_at_deadline[Outcome.APPROVAL]
    assert due_of(approved, "provider_written") == pt_eod(2026, 4, 3)
    assert due_of(approved, "member_written") == pt_eod(2026, 4, 6)
    denied = p.if_decided_at_deadline[Outcome.DENIAL]
    assert due_of(denied, "member_written", "denial") == pt_eod(2026, 4, 2)
    latest = {e.layer_id: e.latest_decision_due for e in p.extensions}
    # Federal: 2 Apr + 14 = 16 Apr. Plan: twice, 3 Apr + 14 = 17 Apr, then capped at 26 Mar + 28.
    assert latest == {
        "federal-medicaid-managed-care": pt_eod(2026, 4, 16),
        "partnership-um-program": pt_eod(2026, 4, 23),
    }
    assert all(e.citation for e in p.extensions) and p.pauses == []


def test_preview_allways_shows_pause_and_verbal_chain() -> None:
    p = preview(
        pack=allways(),
        line_of_business="commercial",
        kind="pre_service",
        urgency="urgent",
        received_at=et(2026, 3, 2, 9),
    )
    assert [x.layer_id for x in p.pauses] == ["federal-erisa-ncqa"]
    denied = p.if_decided_at_deadline[Outcome.DENIAL]
    # Decision at Thu 5 Mar 09:00 (72 h); verbal by then (the 72 h cap); written denial the lesser
    # of 1 business day (Fri 6) and 3 calendar days (Sun 8): Fri 6 Mar.
    assert due_of(denied, "provider_verbal") == et(2026, 3, 5, 9)
    assert due_of(denied, "provider_written", "denial") == et_eod(2026, 3, 6)


def test_effective_of_nothing_is_empty() -> None:
    assert effective([]) == []
