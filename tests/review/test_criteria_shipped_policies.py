"""Every shipped policy, in both packs, with a met, a not-met and an insufficient-information case.

Expected outcomes come from each policy's written rule (quoted in the comments), not from running
the engine: each case is a clinical story whose answer a reviewer would give from the policy text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from openum.packs.schema import Setting
from openum.review.criteria import (
    Answer,
    CaseFacts,
    DoseFacts,
    DosePhase,
    Evaluation,
    Measurement,
    MedicalPolicy,
    Outcome,
    PriorTreatment,
    Result,
    TreatmentOutcome,
    evaluate,
    policy_for,
)
from openum.vocabulary import RequestKind

MET, NOT_MET, UNKNOWN = (
    Outcome.CRITERIA_MET,
    Outcome.CRITERIA_NOT_MET,
    Outcome.INSUFFICIENT_INFORMATION,
)
FAILED, INEFFECTIVE, INTOLERANT = (
    TreatmentOutcome.FAILED,
    TreatmentOutcome.INEFFECTIVE,
    TreatmentOutcome.INTOLERANT,
)
ON = date(2026, 6, 1)


def yes(*ids: str) -> dict[str, Answer]:
    return {i: Answer(True) for i in ids}


def no(*ids: str) -> dict[str, Answer]:
    return {i: Answer(False) for i in ids}


def m(value: float, unit: str) -> Measurement:
    return Measurement(value, unit)


def run(policy: MedicalPolicy, **kw: object) -> Evaluation:
    return evaluate(policy, CaseFacts(**kw))  # type: ignore[arg-type]


def leaf(ev: Evaluation, criterion_id: str) -> Result:
    return ev.result_of(criterion_id).result


def asked(ev: Evaluation) -> set[str]:
    return {f.criterion_id for f in ev.missing_facts}


def test_every_policy_id_is_covered_here(policies: Mapping[str, MedicalPolicy]) -> None:
    # A new shipped policy must get its own met / not-met / unknown cases in this file.
    assert set(policies) == {
        "elective-inpatient-joint-replacement",
        "snf-admission",
        "snf-continued-stay",
        "lumbar-spine-mri",
        "power-wheelchair",
        "cpap-initial",
        "cpap-continued",
        "enteral-formula",
        "sud-residential",
        "outpatient-pt-initial",
        "outpatient-pt-continued",
        "infliximab",
    }


# --- Elective inpatient joint replacement: adult; arthritis dx; KL >= 3 (or AVN collapse);
# pain >= 5/10; function limited; two kinds of non-surgical care >= 12 weeks; BMI < 40 (or risk
# addressed); no infection; inpatient; ASA >= 3 or monitoring need; <= 3 days.


def _tka(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=67,
        diagnoses=("M17.11",),
        codes=("27447",),
        setting=Setting.INPATIENT,
        days=2,
        findings={
            "kellgren_lawrence_grade": m(4, "grade"),
            "pain_score": m(7, "/10"),
            "bmi": m(32, "kg/m2"),
            "asa_class": m(3, "class"),
        },
        prior_treatments=(
            PriorTreatment("naproxen", FAILED, 120, "nsaid"),
            PriorTreatment("physical therapy", INEFFECTIVE, 90, "physical_therapy"),
        ),
        answers=yes("functional-limitation", "no-active-infection"),
    )
    base.update(over)
    return base


def test_joint_replacement_met(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["elective-inpatient-joint-replacement"], **_tka())
    assert ev.outcome is MET and not ev.missing_facts


def test_joint_replacement_not_met_when_conservative_care_too_short(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # Four weeks of NSAID and of PT: neither reaches 12 weeks, so "two kinds for 12 weeks" fails.
    p = _tka(
        prior_treatments=(
            PriorTreatment("naproxen", FAILED, 28, "nsaid"),
            PriorTreatment("physical therapy", FAILED, 30, "physical_therapy"),
        )
    )
    ev = run(policies["elective-inpatient-joint-replacement"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "conservative-care") is Result.NOT_MET


def test_joint_replacement_not_met_when_stay_exceeds_three_days(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    ev = run(policies["elective-inpatient-joint-replacement"], **_tka(days=5))
    assert ev.outcome is NOT_MET and leaf(ev, "initial-days") is Result.NOT_MET


def test_joint_replacement_unknown_without_pain_and_function(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _tka(
        findings={
            "kellgren_lawrence_grade": m(4, "grade"),
            "bmi": m(32, "kg/m2"),
            "asa_class": m(3, "class"),
        },
        answers=yes("no-active-infection"),
    )
    ev = run(policies["elective-inpatient-joint-replacement"], **p)
    assert ev.outcome is UNKNOWN
    assert asked(ev) == {"pain-score", "functional-limitation"}


# --- SNF admission: SNF setting; physician order; daily skilled nursing or rehab 5 days/week (and
# can participate); no lower level possible; <= 14 days.


def _snf(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=81,
        diagnoses=("S72.001A",),
        codes=("0022",),
        setting=Setting.SNF,
        days=14,
        request_kind=RequestKind.PRE_SERVICE,
        answers=yes("physician-order", "daily-skilled-nursing", "no-lower-level"),
    )
    base.update(over)
    return base


def test_snf_admission_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["snf-admission"], **_snf()).outcome is MET


def test_snf_admission_met_through_daily_rehab(policies: Mapping[str, MedicalPolicy]) -> None:
    answers = yes("physician-order", "rehab-5-days", "rehab-can-participate", "no-lower-level")
    assert run(policies["snf-admission"], **_snf(answers=answers)).outcome is MET


def test_snf_admission_not_met_for_custodial_care(policies: Mapping[str, MedicalPolicy]) -> None:
    # Neither daily skilled nursing nor therapy 5 days a week: custodial care does not qualify.
    answers = {
        **yes("physician-order", "no-lower-level"),
        **no("daily-skilled-nursing", "rehab-5-days"),
    }
    ev = run(policies["snf-admission"], **_snf(answers=answers))
    assert ev.outcome is NOT_MET and leaf(ev, "daily-skilled-need") is Result.NOT_MET


def test_snf_admission_not_met_beyond_fourteen_days(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["snf-admission"], **_snf(days=21)).outcome is NOT_MET


def test_snf_admission_unknown_without_skilled_need(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["snf-admission"], **_snf(answers=yes("physician-order", "no-lower-level")))
    assert ev.outcome is UNKNOWN
    assert {"daily-skilled-nursing", "rehab-5-days", "rehab-can-participate"} <= asked(ev)


# --- SNF continued stay: still daily skilled care; progress or skilled maintenance; discharge plan;
# <= 14 more days.


def _snf_cs(**over: object) -> dict[str, object]:
    base = _snf(
        request_kind=RequestKind.CONCURRENT,
        days=10,
        answers=yes("ongoing-skilled-rehab", "measurable-progress", "discharge-plan"),
    )
    base.update(over)
    return base


def test_snf_continued_stay_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["snf-continued-stay"], **_snf_cs()).outcome is MET


def test_snf_continued_stay_not_met_without_progress_or_maintenance(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    answers = {
        **yes("ongoing-skilled-rehab", "discharge-plan"),
        **no("measurable-progress", "skilled-maintenance"),
    }
    ev = run(policies["snf-continued-stay"], **_snf_cs(answers=answers))
    assert ev.outcome is NOT_MET and leaf(ev, "progress-or-maintenance") is Result.NOT_MET


def test_snf_continued_stay_not_met_beyond_fourteen_more_days(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    assert run(policies["snf-continued-stay"], **_snf_cs(days=30)).outcome is NOT_MET


def test_snf_continued_stay_unknown_without_discharge_plan(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    ev = run(
        policies["snf-continued-stay"],
        **_snf_cs(answers=yes("ongoing-skilled-rehab", "measurable-progress")),
    )
    assert ev.outcome is UNKNOWN and asked(ev) == {"discharge-plan"}


def test_snf_policy_follows_the_request_kind(policies: Mapping[str, MedicalPolicy]) -> None:
    pols = list(policies.values())
    admission = policy_for(pols, "0022", ON, request_kind=RequestKind.PRE_SERVICE)
    continued = policy_for(pols, "0022", ON, request_kind=RequestKind.CONCURRENT)
    assert admission is not None and admission.id == "snf-admission"
    assert continued is not None and continued.id == "snf-continued-stay"


# --- Lumbar spine MRI: outpatient; red flag (dx or signs or progressive deficit), or >= 6 weeks of
# conservative care and an intervention candidate, or new symptoms after surgery; one study.


def _mri(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=52, codes=("72148",), setting=Setting.OUTPATIENT, units=1, diagnoses=("M54.16",)
    )
    base.update(over)
    return base


def test_lumbar_mri_met_for_red_flag_diagnosis(policies: Mapping[str, MedicalPolicy]) -> None:
    # Known cancer spread to bone: image now, no waiting period.
    assert run(policies["lumbar-spine-mri"], **_mri(diagnoses=("M54.50", "C79.51"))).outcome is MET


def test_lumbar_mri_met_after_six_weeks_of_conservative_care(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _mri(
        prior_treatments=(PriorTreatment("physical therapy", FAILED, 56, "physical_therapy"),),
        answers=yes("intervention-candidate"),
    )
    assert run(policies["lumbar-spine-mri"], **p).outcome is MET


def test_lumbar_mri_not_met_after_three_weeks_without_red_flags(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # Three weeks of back pain, no red flags, no prior surgery: too early to image.
    p = _mri(
        diagnoses=("M54.50",),
        prior_treatments=(PriorTreatment("ibuprofen", INEFFECTIVE, 21, "nsaid"),),
        answers={
            **yes("intervention-candidate"),
            **no("red-flag-signs", "progressive-deficit", "post-surgical-new-symptoms"),
        },
    )
    ev = run(policies["lumbar-spine-mri"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "six-weeks-conservative-care") is Result.NOT_MET


def test_lumbar_mri_unknown_without_history(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["lumbar-spine-mri"], **_mri(diagnoses=("M54.50",)))
    assert ev.outcome is UNKNOWN
    assert {"red-flag-signs", "six-weeks-conservative-care", "post-surgical-new-symptoms"} <= asked(
        ev
    )


# --- Power wheelchair: seven attestations (MRADL limitation; cane/walker, manual chair and scooter
# insufficient; home accessible; able to operate; face-to-face and order), home use, one chair, and
# K0823, or K0856 with a neuro/muscle condition, specialty evaluation and need for power seating.

_PWC_BASE = (
    "mobility-limitation",
    "cane-walker-insufficient",
    "manual-wheelchair-insufficient",
    "scooter-insufficient",
    "home-accessible",
    "able-to-operate",
    "face-to-face-and-order",
)


def _pwc(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=70,
        diagnoses=("M17.0", "I50.9"),
        codes=("K0823",),
        setting=Setting.HOME,
        units=1,
        answers=yes(*_PWC_BASE),
    )
    base.update(over)
    return base


def test_power_wheelchair_group_2_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["power-wheelchair"], **_pwc()).outcome is MET


def test_power_wheelchair_group_3_met_for_multiple_sclerosis(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _pwc(
        codes=("K0856",),
        diagnoses=("G35",),
        answers=yes(*_PWC_BASE, "specialty-evaluation", "power-seating-needed"),
    )
    assert run(policies["power-wheelchair"], **p).outcome is MET


def test_power_wheelchair_group_3_not_met_without_neurological_condition(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # Knee arthritis and heart failure do not qualify for a Group 3 chair.
    p = _pwc(
        codes=("K0856",), answers=yes(*_PWC_BASE, "specialty-evaluation", "power-seating-needed")
    )
    ev = run(policies["power-wheelchair"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "neuro-muscular-condition") is Result.NOT_MET


def test_power_wheelchair_not_met_when_a_walker_would_do(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    answers = {**yes(*_PWC_BASE), **no("cane-walker-insufficient")}
    assert run(policies["power-wheelchair"], **_pwc(answers=answers)).outcome is NOT_MET


def test_power_wheelchair_unknown_without_home_assessment(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    answers = yes(*[a for a in _PWC_BASE if a != "home-accessible"])
    ev = run(policies["power-wheelchair"], **_pwc(answers=answers))
    assert ev.outcome is UNKNOWN and asked(ev) == {"home-accessible"}


# --- CPAP initial (NCD 240.4): OSA; face-to-face before test; qualifying test; AHI >= 15, or
# AHI 5-14 with symptoms, hypertension, ischemic heart disease or stroke; instructed; <= 3 months.


def _cpap(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=58,
        diagnoses=("G47.33",),
        codes=("E0601",),
        units=3,
        setting=Setting.HOME,
        findings={"ahi": m(22, "events/hour")},
        answers=yes("face-to-face-before-test", "qualifying-sleep-test", "instructed-in-use"),
    )
    base.update(over)
    return base


def test_cpap_initial_met_with_ahi_15_or_more(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["cpap-initial"], **_cpap()).outcome is MET


def test_cpap_initial_met_with_ahi_9_and_hypertension(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _cpap(diagnoses=("G47.33", "I10"), findings={"ahi": m(9, "events/hour")})
    assert run(policies["cpap-initial"], **p).outcome is MET


def test_cpap_initial_not_met_with_ahi_9_and_nothing_else(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _cpap(
        findings={"ahi": m(9, "events/hour")},
        answers={
            **yes("face-to-face-before-test", "qualifying-sleep-test", "instructed-in-use"),
            **no("related-symptoms"),
        },
    )
    ev = run(policies["cpap-initial"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "ahi-threshold") is Result.NOT_MET


def test_cpap_initial_not_met_with_ahi_under_5(policies: Mapping[str, MedicalPolicy]) -> None:
    p = _cpap(diagnoses=("G47.33", "I10"), findings={"ahi": m(3, "events/hour")})
    assert run(policies["cpap-initial"], **p).outcome is NOT_MET


def test_cpap_initial_unknown_without_ahi(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["cpap-initial"], **_cpap(findings={}))
    assert ev.outcome is UNKNOWN and "ahi-15-or-more" in asked(ev)


def test_cpap_initial_unknown_when_ahi_is_in_another_unit(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # A value in the wrong unit is never read as if it were in the right one.
    ev = run(policies["cpap-initial"], **_cpap(findings={"ahi": m(22, "events/night")}))
    assert ev.outcome is UNKNOWN


# --- CPAP continued: OSA; re-evaluated day 31-91 with improvement; >= 4 h on >= 70% of nights;
# <= 10 months.


def _cpap_cont(**over: object) -> dict[str, object]:
    base = _cpap(
        request_kind=RequestKind.CONCURRENT,
        units=10,
        findings={"cpap_nights_4h_pct": m(78, "%")},
        answers=yes("trial-re-evaluation"),
    )
    base.update(over)
    return base


def test_cpap_continued_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["cpap-continued"], **_cpap_cont()).outcome is MET


def test_cpap_continued_not_met_with_poor_adherence(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["cpap-continued"], **_cpap_cont(findings={"cpap_nights_4h_pct": m(55, "%")}))
    assert ev.outcome is NOT_MET and leaf(ev, "adherence") is Result.NOT_MET


def test_cpap_continued_unknown_without_download(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["cpap-continued"], **_cpap_cont(findings={}))
    assert ev.outcome is UNKNOWN and asked(ev) == {"adherence"}


# --- Enteral formula: prescription (AllWays also its Medical Necessity Review Form); tube feeding,
# or a limiting condition with BMI < 18.5 or >= 10% weight loss and food documented insufficient;
# <= 930 units.


def _form(pack: str) -> tuple[str, ...]:
    return ("medical-necessity-form",) if pack == "allways-commercial" else ()


def test_enteral_met_for_tube_feeding(policies: Mapping[str, MedicalPolicy], pack: str) -> None:
    ev = run(
        policies["enteral-formula"],
        codes=("B4150",),
        units=900,
        answers=yes("prescription", "tube-feeding", *_form(pack)),
    )
    assert ev.outcome is MET


def test_enteral_met_for_oral_supplement_with_dysphagia(
    policies: Mapping[str, MedicalPolicy], pack: str
) -> None:
    ev = run(
        policies["enteral-formula"],
        codes=("B4152",),
        units=600,
        diagnoses=("R13.10",),
        findings={"bmi": m(17.2, "kg/m2")},
        answers={**yes("prescription", "food-insufficient", *_form(pack)), **no("tube-feeding")},
    )
    assert ev.outcome is MET


def test_enteral_not_met_for_normal_weight_without_limiting_condition(
    policies: Mapping[str, MedicalPolicy], pack: str
) -> None:
    # Type 2 diabetes, BMI 24, no tube: formula as a convenience food does not meet the policy.
    ev = run(
        policies["enteral-formula"],
        codes=("B4150",),
        units=300,
        diagnoses=("E11.9",),
        findings={"bmi": m(24, "kg/m2"), "weight_loss_6mo_pct": m(2, "%")},
        answers={**yes("prescription", "food-insufficient", *_form(pack)), **no("tube-feeding")},
    )
    assert ev.outcome is NOT_MET and leaf(ev, "nutritional-need") is Result.NOT_MET


def test_enteral_not_met_above_930_units(policies: Mapping[str, MedicalPolicy], pack: str) -> None:
    ev = run(
        policies["enteral-formula"],
        codes=("B4150",),
        units=1200,
        answers=yes("prescription", "tube-feeding", *_form(pack)),
    )
    assert ev.outcome is NOT_MET and leaf(ev, "monthly-units") is Result.NOT_MET


def test_enteral_unknown_without_prescription(
    policies: Mapping[str, MedicalPolicy], pack: str
) -> None:
    ev = run(
        policies["enteral-formula"],
        codes=("B4150",),
        units=900,
        answers=yes("tube-feeding", *_form(pack)),
    )
    assert ev.outcome is UNKNOWN and asked(ev) == {"prescription"}


def test_allways_enteral_needs_its_review_form(
    policies: Mapping[str, MedicalPolicy], pack: str
) -> None:
    ev = run(
        policies["enteral-formula"],
        codes=("B4150",),
        units=900,
        answers=yes("prescription", "tube-feeding"),
    )
    assert ev.outcome is (UNKNOWN if pack == "allways-commercial" else MET)


# --- SUD residential: SUD dx other than nicotine; residential; assessment; six dimensions rated;
# ratings fit the requested level (3.1 / 3.3 / 3.5 / 3.7 rules); lower level not enough; <= 30 days.


def _ratings(d1: int, d2: int, d3: int, d4: int, d5: int, d6: int) -> dict[str, Measurement]:
    return {f"asam_d{i}": m(v, "rating") for i, v in enumerate((d1, d2, d3, d4, d5, d6), start=1)}


def _sud(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=34,
        diagnoses=("F11.20",),
        codes=("H0018",),
        setting=Setting.RESIDENTIAL,
        days=30,
        level_of_care="3.5",
        findings=_ratings(1, 1, 2, 3, 3, 2),
        answers=yes("multidimensional-assessment", "less-intensive-not-enough"),
    )
    base.update(over)
    return base


def test_sud_residential_met_at_level_3_5(policies: Mapping[str, MedicalPolicy]) -> None:
    # Dimensions 3, 4 and 5 serious (two needed); withdrawal and biomedical 2 or lower.
    assert run(policies["sud-residential"], **_sud()).outcome is MET


def test_sud_residential_met_at_level_3_7_for_withdrawal(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _sud(level_of_care="3.7", findings=_ratings(3, 1, 1, 2, 3, 2))
    assert run(policies["sud-residential"], **p).outcome is MET


def test_sud_residential_not_met_when_withdrawal_too_severe_for_3_1(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # Level 3.1 requires dimension 1 rated 1 or lower; a 3 needs medically monitored care instead.
    p = _sud(level_of_care="3.1", findings=_ratings(3, 0, 1, 2, 3, 3))
    ev = run(policies["sud-residential"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "l31-d1") is Result.NOT_MET


def test_sud_residential_not_met_for_nicotine_alone(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["sud-residential"], **_sud(diagnoses=("F17.210",)))
    assert ev.outcome is NOT_MET and leaf(ev, "sud-diagnosis") is Result.NOT_MET


def test_sud_residential_unknown_when_a_dimension_is_not_rated(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    ratings = _ratings(1, 1, 2, 3, 3, 2)
    del ratings["asam_d6"]
    ev = run(policies["sud-residential"], **_sud(findings=ratings))
    assert ev.outcome is UNKNOWN and asked(ev) == {"d6-rated"}


# --- Outpatient PT initial: outpatient/office; >= 20% limitation on a standard tool; signed plan of
# care; improvement expected; <= 3 visits/week for <= 8 weeks; <= 24 visits.


def _pt(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=45,
        diagnoses=("M75.101",),
        codes=("97161", "97110"),
        setting=Setting.OFFICE,
        frequency_per_week=2,
        duration_weeks=6,
        units=12,
        findings={"functional_limitation_pct": m(40, "%")},
        answers=yes("plan-of-care", "expected-improvement"),
    )
    base.update(over)
    return base


def test_pt_initial_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["outpatient-pt-initial"], **_pt()).outcome is MET


def test_pt_initial_not_met_at_five_visits_a_week(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["outpatient-pt-initial"], **_pt(frequency_per_week=5))
    assert ev.outcome is NOT_MET and leaf(ev, "frequency-duration") is Result.NOT_MET


def test_pt_initial_not_met_for_minor_limitation(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(
        policies["outpatient-pt-initial"], **_pt(findings={"functional_limitation_pct": m(10, "%")})
    )
    assert ev.outcome is NOT_MET


def test_pt_initial_unknown_without_functional_score(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(policies["outpatient-pt-initial"], **_pt(findings={}))
    assert ev.outcome is UNKNOWN and asked(ev) == {"functional-deficit"}


# --- Outpatient PT continued: >= 10 points improvement; goals not met; plan re-certified; <= 2/week
# for <= 6 weeks; <= 12 visits.


def _pt_cont(**over: object) -> dict[str, object]:
    base = _pt(
        request_kind=RequestKind.CONCURRENT,
        codes=("97110",),
        findings={"functional_improvement_pct": m(15, "%")},
        answers=yes("goals-not-met", "plan-recertified"),
    )
    base.update(over)
    return base


def test_pt_continued_met(policies: Mapping[str, MedicalPolicy]) -> None:
    assert run(policies["outpatient-pt-continued"], **_pt_cont()).outcome is MET


def test_pt_continued_not_met_without_progress(policies: Mapping[str, MedicalPolicy]) -> None:
    ev = run(
        policies["outpatient-pt-continued"],
        **_pt_cont(findings={"functional_improvement_pct": m(4, "%")}),
    )
    assert ev.outcome is NOT_MET and leaf(ev, "measurable-progress") is Result.NOT_MET


def test_pt_continued_unknown_without_recertification(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    ev = run(policies["outpatient-pt-continued"], **_pt_cont(answers=yes("goals-not-met")))
    assert ev.outcome is UNKNOWN and asked(ev) == {"plan-recertified"}


# --- Infliximab: TB screen, no infection, no other biologic; and one indication: CD/UC (age >= 6,
# prior conventional therapy, <= 5 mg/kg, or CD adults who lost response <= 10 mg/kg), RA (adult,
# csDMARD >= 12 weeks, with methotrexate, <= 10 mg/kg), AS (adult, two NSAIDs >= 4 weeks,
# <= 5 mg/kg, >= 6 weeks), PsA/PsO (adult, conventional >= 12 weeks, <= 5 mg/kg); maintenance
# >= 8 weeks apart unless stated.

_SAFETY = ("tb-screening", "no-active-infection", "no-other-biologic")


def _ifx(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        age_years=14,
        diagnoses=("K50.10",),
        codes=("J1745",),
        setting=Setting.OUTPATIENT,
        prior_treatments=(PriorTreatment("azathioprine", FAILED, 120, "thiopurine"),),
        dose=DoseFacts(dose_mg=200, weight_kg=40, interval_weeks=8, phase=DosePhase.MAINTENANCE),
        answers=yes(*_SAFETY),
    )
    base.update(over)
    return base


def test_infliximab_met_for_crohns_child(policies: Mapping[str, MedicalPolicy]) -> None:
    # 14 years old, azathioprine failed after 17 weeks, 5 mg/kg every 8 weeks.
    assert run(policies["infliximab"], **_ifx()).outcome is MET


def test_infliximab_met_for_rheumatoid_arthritis_at_10_mg_per_kg(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _ifx(
        age_years=55,
        diagnoses=("M05.79",),
        prior_treatments=(PriorTreatment("methotrexate", INEFFECTIVE, 100, "csdmard"),),
        dose=DoseFacts(dose_mg=700, weight_kg=70, interval_weeks=8, phase=DosePhase.MAINTENANCE),
        answers=yes(*_SAFETY, "ra-with-methotrexate"),
    )
    assert run(policies["infliximab"], **p).outcome is MET


def test_infliximab_met_for_adult_crohns_who_lost_response_at_10_mg_per_kg(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _ifx(
        age_years=30,
        dose=DoseFacts(dose_mg=700, weight_kg=70, interval_weeks=8, phase=DosePhase.MAINTENANCE),
        answers=yes(*_SAFETY, "cd-lost-response"),
    )
    assert run(policies["infliximab"], **p).outcome is MET


def test_infliximab_induction_doses_are_not_held_to_the_maintenance_interval(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _ifx(dose=DoseFacts(dose_mg=200, weight_kg=40, interval_weeks=2, phase=DosePhase.INDUCTION))
    assert run(policies["infliximab"], **p).outcome is MET


def test_infliximab_not_met_for_child_at_10_mg_per_kg(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # 10 mg/kg is allowed for adults with Crohn's who lost response; a 14-year-old is held to 5.
    p = _ifx(
        dose=DoseFacts(dose_mg=400, weight_kg=40, interval_weeks=8, phase=DosePhase.MAINTENANCE),
        answers=yes(*_SAFETY, "cd-lost-response"),
    )
    ev = run(policies["infliximab"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "cd-dose") is Result.NOT_MET


def test_infliximab_not_met_for_ulcerative_colitis_under_six(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _ifx(
        age_years=4,
        diagnoses=("K51.00",),
        prior_treatments=(PriorTreatment("mesalamine", FAILED, 60, "aminosalicylate"),),
        dose=DoseFacts(dose_mg=90, weight_kg=18, interval_weeks=8, phase=DosePhase.MAINTENANCE),
    )
    ev = run(policies["infliximab"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "uc-age") is Result.NOT_MET


def test_infliximab_not_met_for_maintenance_every_four_weeks(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    p = _ifx(
        dose=DoseFacts(dose_mg=200, weight_kg=40, interval_weeks=4, phase=DosePhase.MAINTENANCE)
    )
    ev = run(policies["infliximab"], **p)
    assert ev.outcome is NOT_MET and leaf(ev, "cd-interval") is Result.NOT_MET


def test_infliximab_not_met_for_an_unlisted_diagnosis(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    ev = run(policies["infliximab"], **_ifx(age_years=40, diagnoses=("L73.2",)))
    assert ev.outcome is NOT_MET and leaf(ev, "covered-indication") is Result.NOT_MET


def test_infliximab_unknown_without_weight(policies: Mapping[str, MedicalPolicy]) -> None:
    p = _ifx(dose=DoseFacts(dose_mg=200, interval_weeks=8, phase=DosePhase.MAINTENANCE))
    ev = run(policies["infliximab"], **p)
    assert ev.outcome is UNKNOWN
    assert any("weight_kg" in f.fact for f in ev.missing_facts)


def test_infliximab_intolerance_counts_whatever_its_length(
    policies: Mapping[str, MedicalPolicy],
) -> None:
    # Stopped azathioprine after 3 weeks for intolerance: the 12-week minimum does not apply.
    p = _ifx(prior_treatments=(PriorTreatment("azathioprine", INTOLERANT, 21, "thiopurine"),))
    assert run(policies["infliximab"], **p).outcome is MET
