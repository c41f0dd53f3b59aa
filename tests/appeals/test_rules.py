"""The appeal rules as pure functions and pack data: filing windows and late filing, consent,
expedite at filing, continuation of benefits, independence and expertise, and the appeal and
reconsideration clocks of each line of business (worked out by hand from the rules' words)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from openum.appeals import filing
from openum.appeals.clocks import AppealTimeline, CaseDue, engine_due
from openum.appeals.independence import check_expertise, check_independent, reporting_line
from openum.appeals.schema import AppealLine, AppealsFile, Specialties
from openum.appeals.service import config
from openum.deadlines.model import ExtensionRefused
from openum.deadlines.schema import Party
from openum.packs.registry import PackRegistry
from openum.review.authority import AuthorityExceeded
from openum.vocabulary import Urgency
from tests.deadlines.clockkit import medicare

LA, NY = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")


def _line(registry: PackRegistry, plan: str, lob: str) -> AppealLine:
    line = config(registry.versions(plan)[-1]).line(lob)
    assert line is not None
    return line


# ------------------------------------------------------------------------------ filing windows

def test_filing_window_counts_calendar_days_from_the_notice(registry: PackRegistry) -> None:
    medi_cal = _line(registry, "partnership-medi-cal", "medi-cal")
    # 60 days from a notice dated 18 Nov 2026 (day 0): the last day is 17 Jan 2027.
    last = filing.filing_deadline(date(2026, 11, 18), 60)
    assert last == date(2027, 1, 17)
    assert filing.judge_filing(date(2027, 1, 17), last, medi_cal, None).late is False
    late = filing.judge_filing(date(2027, 1, 18), last, medi_cal, None)
    assert late.late and late.dismissed and late.citation == "42 CFR 438.402(c)(2)(ii)"
    # Medicaid has no good-cause extension: a stated cause does not save it.
    assert filing.judge_filing(date(2027, 1, 18), last, medi_cal, "was in hospital").dismissed


def test_late_filing_handling_is_pack_data(registry: PackRegistry) -> None:
    commercial = _line(registry, "allways-commercial", "commercial")
    verdict = filing.judge_filing(date(2027, 5, 20), date(2027, 5, 17), commercial, None)
    assert verdict.late and verdict.handling == "accepted_late" and not verdict.dismissed
    good_cause = commercial.model_copy(update={"late_filing": commercial.late_filing.model_copy(
        update={"good_cause_extends": True, "handling": "dismiss"})})
    cause = filing.judge_filing(date(2027, 5, 20), date(2027, 5, 17), good_cause, "hospitalized")
    assert cause.handling == "good_cause"
    assert filing.judge_filing(date(2027, 5, 20), date(2027, 5, 17), good_cause, None).dismissed
    assert filing.filing_deadline(date(2026, 11, 18), None) is None


def test_written_consent_by_line_of_business(registry: PackRegistry) -> None:
    medi_cal = _line(registry, "partnership-medi-cal", "medi-cal")
    commercial = _line(registry, "allways-commercial", "commercial")
    assert not filing.consent_required("member", urgent=False, line=medi_cal)
    # 438.402(c)(1)(ii): a provider or representative needs the enrollee's written consent, expedited too.
    assert filing.consent_required("provider", urgent=True, line=medi_cal)
    assert filing.consent_required("representative", urgent=False, line=medi_cal)
    # ERISA (b)(4): a treating professional may act for the claimant on an urgent claim.
    assert not filing.consent_required("provider", urgent=True, line=commercial)
    assert filing.consent_required("provider", urgent=False, line=commercial)


def test_expedite_at_filing(registry: PackRegistry) -> None:
    line = _line(registry, "partnership-medi-cal", "medi-cal")
    granted = filing.expedite_at_filing(Urgency.URGENT, practitioner_asserted=True, service_class=None, line=line)
    assert (granted.urgency, granted.status) == (Urgency.URGENT, "granted")
    assert granted.rule == "practitioner-request-binding"
    assert "438.410(a)" in (granted.reason or "")
    pending = filing.expedite_at_filing(Urgency.URGENT, practitioner_asserted=False, service_class=None, line=line)
    assert (pending.urgency, pending.status) == (Urgency.URGENT, "pending")
    payment = filing.expedite_at_filing(Urgency.URGENT, practitioner_asserted=True, service_class="post_service",
                                        line=line)
    assert (payment.urgency, payment.status, payment.rule) == (Urgency.NON_URGENT, "refused",
                                                              "payment-appeals-not-expedited")
    assert filing.expedite_at_filing(Urgency.NON_URGENT, practitioner_asserted=False, service_class=None,
                                     line=line).status is None


def test_continuation_of_benefits_window(registry: PackRegistry) -> None:
    policy = _line(registry, "partnership-medi-cal", "medi-cal").continuation

    def judge(kind: str, asked: date, late: bool = False) -> filing.ContinuationVerdict:
        return filing.judge_continuation(request_kind=kind, notice_date=date(2026, 11, 18), asked_on=asked,
                                         window_days=10, policy=policy, appeal_late=late)

    # 438.420: asked within 10 days of the notice (day 10 is 28 Nov) on a service already authorized.
    assert judge("concurrent", date(2026, 11, 28)).granted
    assert judge("concurrent", date(2026, 11, 29)).rule == "continuation-asked-too-late"
    assert judge("pre_service", date(2026, 11, 20)).rule == "continuation-needs-ongoing-service"
    assert judge("concurrent", date(2026, 11, 20), late=True).rule == "continuation-needs-timely-appeal"
    none = filing.judge_continuation(request_kind="concurrent", notice_date=date(2026, 11, 18),
                                     asked_on=date(2026, 11, 20), window_days=None, policy=None, appeal_late=False)
    assert none.rule == "continuation-not-offered"


# ----------------------------------------------------------------- independence and expertise

def test_reporting_line_walks_up_and_stops_on_a_loop() -> None:
    assert reporting_line(3, {3: 2, 2: 1, 1: None}) == [2, 1]
    assert reporting_line(3, {3: 2, 2: 3}) == [2]


def test_independence_refuses_the_decider_and_every_subordinate() -> None:
    deciders = {1: "Dr. Medina, deny medical necessity"}
    line = {2: 1, 3: 2, 4: None}
    with pytest.raises(AuthorityExceeded) as e:
        check_independent(1, "physician", deciders, line)
    assert e.value.rule == "appeal-reviewer-made-original-decision"
    for subordinate in (2, 3):  # direct, and down the line
        with pytest.raises(AuthorityExceeded) as e:
            check_independent(subordinate, "sub", deciders, line)
        assert e.value.rule == "appeal-reviewer-subordinate-of-original-decider"
    check_independent(4, "independent", deciders, line)
    # The decider's own supervisor is not their subordinate.
    check_independent(5, "boss", deciders, {1: 5})


def test_expertise_same_or_similar_specialty(registry: PackRegistry) -> None:
    spec = config(registry.versions("allways-commercial")[-1]).specialties
    knee = [("27447", "surgery")]
    assert check_expertise("ortho", "orthopedic_surgery", spec, knee)["configured"] is True
    check_expertise("sports", "sports_medicine", spec, knee)  # a `similar` group
    with pytest.raises(AuthorityExceeded) as e:
        check_expertise("cardio", "cardiology", spec, knee)
    assert e.value.rule == "upholding-needs-same-or-similar-specialty"
    with pytest.raises(AuthorityExceeded) as e:
        check_expertise("nobody", None, spec, knee)
    assert e.value.rule == "upholding-needs-specialty-on-file"
    # A code the pack names no specialty for: any physician with a specialty on file.
    assert check_expertise("cardio", "cardiology", Specialties(), [("99999", None)])["configured"] is False


def test_pack_section_is_validated(registry: PackRegistry) -> None:
    pack = registry.versions("partnership-medi-cal")[-1]
    bad = AppealsFile.model_validate({"lines_of_business": [{"id": "medicare", "consent": {"citation": "x"},
                                                             "late_filing": {"handling": "dismiss", "citation": "x"}}],
                                      "specialties": {"by_category": {"nosuch": ["radiology"]}}})
    problems = AppealsFile.cross_check(bad, pack.manifest, pack.catalog)
    assert [p for p, _ in problems] == ["lines_of_business[0].id", "specialties.by_category.nosuch"]


# ------------------------------------------------------------------------------------ clocks

def _t(level: str, lob: str, received: datetime, urgency: Urgency, service_class: str | None = None,
       **kw: object) -> AppealTimeline:
    return AppealTimeline(level, lob, received, urgency, service_class, **kw)  # type: ignore[arg-type]


def _due(rows: list[CaseDue], obligation: str = "decision") -> datetime | None:
    return next(d.due_at for d in rows if d.obligation == obligation)


def _eod(d: date, zone: ZoneInfo) -> datetime:
    """The last instant of a plan-local day, in UTC."""
    return datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tzinfo=zone).astimezone(UTC)


def test_medicaid_appeal_clocks(registry: PackRegistry) -> None:
    pack = registry.versions("partnership-medi-cal")[-1]
    received = datetime(2026, 11, 20, 18, tzinfo=UTC)  # Friday 10:00 in California
    std = engine_due(pack, _t("appeal", "medi-cal", received, Urgency.NON_URGENT))
    # 438.408(b)(2): 30 calendar days; day 0 is Friday 20 Nov, day 30 is Sunday 20 Dec, ending at
    # 23:59:59.999999 PST = 2026-12-21 07:59:59.999999Z. The written notice shares the period.
    assert _due(std) == _due(std, "member_written") == datetime(2026, 12, 21, 7, 59, 59, 999999, tzinfo=UTC)
    assert next(d for d in std if d.obligation == "decision").citation == "42 CFR 438.408(b)(2)"
    # +14 calendar days once (438.408(c)): 20 Dec + 14 = 3 Jan 2027, end of day in California.
    ext = engine_due(pack, _t("appeal", "medi-cal", received, Urgency.NON_URGENT,
                              extensions=((datetime(2026, 11, 25, tzinfo=UTC), "records", Party.PLAN),)))
    assert _due(ext) == datetime(2027, 1, 4, 7, 59, 59, 999999, tzinfo=UTC)
    with pytest.raises(ExtensionRefused):
        engine_due(pack, _t("appeal", "medi-cal", received, Urgency.NON_URGENT, extensions=(
            (datetime(2026, 11, 25, tzinfo=UTC), "records", Party.PLAN),
            (datetime(2026, 11, 26, tzinfo=UTC), "more", Party.PLAN))))
    # 438.408(b)(3): 72 hours from receipt.
    exp = engine_due(pack, _t("appeal", "medi-cal", received, Urgency.URGENT))
    assert _due(exp) == datetime(2026, 11, 23, 18, tzinfo=UTC)
    # A refused expedite moves to the standard clock, still counted from receipt.
    down = engine_due(pack, _t("appeal", "medi-cal", received, Urgency.URGENT, urgency_changes=(
        (datetime(2026, 11, 21, tzinfo=UTC), Urgency.NON_URGENT, "not urgent"),)))
    assert _due(down) == _due(std)
    # Seed 001 gives the reconsideration no clock: no rule, no due time.
    assert engine_due(pack, _t("reconsideration", "medi-cal", received, Urgency.NON_URGENT)) == []


def test_commercial_appeal_clocks(registry: PackRegistry) -> None:
    pack = registry.versions("allways-commercial")[-1]
    received = datetime(2026, 11, 20, 15, tzinfo=UTC)  # Friday 10:00 in Boston
    # 29 CFR 2560.503-1(i)(2)(ii) pre-service: 30 days (20 Dec); (iii) post-service: 60 days (19 Jan);
    # (i) urgent: 72 hours.
    pre = engine_due(pack, _t("appeal", "commercial", received, Urgency.NON_URGENT))
    assert _due(pre) == _eod(date(2026, 12, 20), NY)
    post = engine_due(pack, _t("appeal", "qhp", received, Urgency.NON_URGENT, "post_service"))
    assert _due(post) == _eod(date(2027, 1, 19), NY)
    assert _due(engine_due(pack, _t("appeal", "commercial", received, Urgency.URGENT))) == datetime(
        2026, 11, 23, 15, tzinfo=UTC)
    # Group health plan appeals have no extension.
    with pytest.raises(ExtensionRefused):
        engine_due(pack, _t("appeal", "commercial", received, Urgency.NON_URGENT,
                            extensions=((datetime(2026, 11, 21, tzinfo=UTC), "records", Party.PLAN),)))


def test_reconsideration_one_business_day_over_thanksgiving(registry: PackRegistry) -> None:
    pack = registry.versions("allways-commercial")[-1]
    # Received Wednesday 25 Nov 2026, 16:00 in Boston; Thursday 26 is Thanksgiving, so business day 1
    # is Friday 27 Nov: due at its end, 23:59:59.999999 EST.
    rows = engine_due(pack, _t("reconsideration", "commercial", datetime(2026, 11, 25, 21, tzinfo=UTC),
                               Urgency.URGENT))
    assert _due(rows) == datetime(2026, 11, 28, 4, 59, 59, 999999, tzinfo=UTC)
    assert "Reconsideration of Adverse Determination" in next(d.citation for d in rows if d.obligation == "decision")


def test_medicare_advantage_reconsideration_clocks() -> None:
    pack = medicare()  # the library layer, governing line "medicare-advantage", on a Pacific calendar
    received = datetime(2026, 3, 2, 18, tzinfo=UTC)  # Monday 10:00 PST

    def t(u: Urgency, sc: str | None = None, **kw: object) -> AppealTimeline:
        return _t("appeal", "medicare-advantage", received, u, sc, **kw)

    # 422.590(a)(1): 30 calendar days (1 Apr); (b)(1) payment 60 days (1 May); (e) expedited 72 hours;
    # (c) Part B drug 7 days.
    assert _due(engine_due(pack, t(Urgency.NON_URGENT))) == _eod(date(2026, 4, 1), LA)
    assert _due(engine_due(pack, t(Urgency.NON_URGENT, "post_service"))) == _eod(date(2026, 5, 1), LA)
    assert _due(engine_due(pack, t(Urgency.URGENT))) == datetime(2026, 3, 5, 18, tzinfo=UTC)
    assert _due(engine_due(pack, t(Urgency.NON_URGENT, "part_b_drug"))) == _eod(date(2026, 3, 9), LA)
    # +14 days when the enrollee asks (422.590(f)); none for payment appeals.
    asked = ((datetime(2026, 3, 10, tzinfo=UTC), "enrollee asks", Party.MEMBER),)
    assert _due(engine_due(pack, t(Urgency.NON_URGENT, extensions=asked))) == _eod(date(2026, 4, 15), LA)
    with pytest.raises(ExtensionRefused):
        engine_due(pack, t(Urgency.NON_URGENT, "post_service", extensions=asked))
