"""Complete, realistic letter contexts for every letter type, in English and Spanish.

Run `python -m tests.letters.samples docs/letters` to print every sample to PDF and page 1 of each
to PNG (needs pdftoppm from poppler-utils).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from openum.notification.letters import (
    AdministrativeReason,
    CodedItem,
    LetterContext,
    LetterType,
    MemberInfo,
    Outcome,
    ProviderInfo,
    Reviewer,
    ServiceLine,
)

PARTNERSHIP = "partnership-medi-cal"
ALLWAYS = "allways-commercial"
LETTER_DATE = date(2026, 11, 18)
RECEIVED = date(2026, 11, 12)
APPEAL_DAYS = {PARTNERSHIP: 60, ALLWAYS: 180}
LOB = {PARTNERSHIP: "medi-cal", ALLWAYS: "commercial"}

# Free text comes from the reviewer in the letter's language; the samples carry both.
TEXT: dict[str, dict[str, str]] = {
    "cpap": {"en": "CPAP machine (breathing machine for sleep apnea)",
             "es": "Máquina CPAP (máquina para respirar durante el sueño)"},
    "cpap_qty": {"en": "3 monthly rentals", "es": "3 meses de alquiler"},
    "osa": {"en": "Obstructive sleep apnea", "es": "Apnea obstructiva del sueño"},
    "reason_mn": {
        "en": "Your sleep test showed 8 pauses in breathing per hour. For that result, the rules "
              "require a related problem such as daytime sleepiness, high blood pressure, or heart "
              "disease. Your records do not show one.",
        "es": "Su estudio del sueño mostró 8 pausas en la respiración por hora. Con ese resultado, "
              "las reglas piden otro problema relacionado, como sueño durante el día, presión alta o "
              "enfermedad del corazón. Sus expedientes no muestran ninguno.",
    },
    "condition": {
        "en": "Your provider says you snore and wake up at night. Your blood pressure is normal and "
              "your records do not mention daytime sleepiness.",
        "es": "Su proveedor dice que usted ronca y se despierta de noche. Su presión es normal y sus "
              "expedientes no mencionan sueño durante el día.",
    },
    "criterion": {"en": "CPAP for obstructive sleep apnea, initial 12-week trial",
                  "es": "CPAP para la apnea obstructiva del sueño, prueba inicial de 12 semanas"},
    "summary": {
        "en": "CPAP is covered when a sleep test shows 15 or more breathing pauses an hour, or 5 to 14 "
              "with a related problem such as sleepiness, high blood pressure, heart disease, or a "
              "past stroke.",
        "es": "La CPAP está cubierta cuando un estudio del sueño muestra 15 o más pausas por hora, o de "
              "5 a 14 con un problema relacionado, como sueño, presión alta, enfermedad del corazón o "
              "un derrame cerebral en el pasado.",
    },
    "alt1": {"en": "A visit with a sleep specialist to check other treatments",
             "es": "Una cita con un especialista del sueño para ver otros tratamientos"},
    "alt2": {"en": "An oral device fitted by a dentist to keep your airway open",
             "es": "Un aparato bucal, hecho por un dentista, que mantiene abierta la vía respiratoria"},
    "low_back": {"en": "Low back pain", "es": "Dolor de la parte baja de la espalda"},
    "pt": {"en": "Physical therapy, therapeutic exercise", "es": "Fisioterapia, ejercicios terapéuticos"},
    "pt12": {"en": "12 visits", "es": "12 visitas"},
    "pt6": {"en": "6 visits", "es": "6 visitas"},
    "reason_partial": {
        "en": "The rules allow 6 visits first, then a check of your progress before more visits.",
        "es": "Las reglas permiten primero 6 visitas y luego una revisión de su avance antes de más visitas.",
    },
    "condition_pt": {
        "en": "You hurt your lower back 3 weeks ago. You can walk, and your pain is getting better.",
        "es": "Usted se lastimó la parte baja de la espalda hace 3 semanas. Puede caminar y su dolor está mejorando.",
    },
    "pt_criterion": {"en": "Outpatient physical therapy", "es": "Fisioterapia para pacientes ambulatorios"},
    "pt_summary": {
        "en": "Therapy is approved in blocks of visits. More visits are approved when the notes show "
              "that you are getting better and have goals you have not met yet.",
        "es": "La terapia se aprueba en grupos de visitas. Se aprueban más visitas cuando las notas "
              "muestran que usted está mejorando y que tiene metas que aún no ha cumplido.",
    },
    "cosmetic": {"en": "Dermabrasion of the face (for appearance)",
                 "es": "Dermoabrasión de la cara (por apariencia)"},
    "reason_excluded": {
        "en": "Dermabrasion to change how skin looks is cosmetic. Cosmetic services are not covered.",
        "es": "La dermoabrasión para cambiar el aspecto de la piel es cosmética. Los servicios "
              "cosméticos no están cubiertos.",
    },
    "provision": {
        "en": "Member Handbook, \"Services you cannot get\": cosmetic surgery and procedures.",
        "es": "Manual para Miembros, \"Servicios que no puede obtener\": cirugía y procedimientos cosméticos.",
    },
    "six_days": {"en": "6 days", "es": "6 días"},
    "pneumonia": {"en": "Pneumonia", "es": "Neumonía"},
    "inpatient": {"en": "Hospital stay (room and board)", "es": "Estadía en el hospital (habitación y comidas)"},
    "reason_late": {
        "en": "The hospital told us about this admission on November 10, 2026. The member was "
              "admitted on November 4, 2026. Our rules require notice within one business day.",
        "es": "El hospital nos avisó de esta admisión el 10 de noviembre de 2026. El miembro fue "
              "admitido el 4 de noviembre de 2026. Nuestras reglas piden el aviso dentro de un día hábil.",
    },
    "mri": {"en": "MRI of the lower back, without contrast",
            "es": "Resonancia magnética de la parte baja de la espalda, sin contraste"},
    "info1": {"en": "Notes from the last 6 weeks of physical therapy or other treatment",
              "es": "Notas de las últimas 6 semanas de fisioterapia u otro tratamiento"},
    "info2": {"en": "Results of the most recent nerve and muscle (neurological) exam",
              "es": "Resultados del examen más reciente de nervios y músculos (neurológico)"},
    "info_why": {
        "en": "The rules for this test ask whether 6 weeks of treatment were tried first, or whether "
              "there are warning signs such as new weakness.",
        "es": "Las reglas para este estudio preguntan si primero se probaron 6 semanas de tratamiento, "
              "o si hay señales de alarma, como debilidad nueva.",
    },
    "reason_untimely": {
        "en": "We had to decide on this request by November 27, 2026, and we did not.",
        "es": "Teníamos que decidir sobre esta solicitud a más tardar el 27 de noviembre de 2026, y no lo hicimos.",
    },
    "reason_ext": {
        "en": "We asked your specialist for your sleep test results and have not received them yet. "
              "Waiting for them lets us decide with all the facts, which is in your interest.",
        "es": "Pedimos a su especialista los resultados de su estudio del sueño y todavía no los "
              "recibimos. Esperarlos nos permite decidir con toda la información, lo cual le conviene.",
    },
    "reason_downgrade": {
        "en": "The request is for a knee replacement planned for next month. Waiting the standard "
              "time will not seriously harm your life, your health, or your ability to function.",
        "es": "La solicitud es para un reemplazo de rodilla planeado para el próximo mes. Esperar el "
              "tiempo normal no dañará gravemente su vida, su salud ni su capacidad para funcionar.",
    },
    "knee": {"en": "Total knee replacement", "es": "Reemplazo total de rodilla"},
    "criteria_text": {
        "en": "1. The member has obstructive sleep apnea.\n"
              "2. A practitioner saw the member face to face before the sleep test.\n"
              "3. The sleep test was done in a sleep lab, or at home with an accepted device.\n"
              "4. The test shows 15 or more breathing pauses an hour, or 5 to 14 with sleepiness, a mood "
              "or thinking problem, trouble sleeping, high blood pressure, heart disease, or a past stroke.\n"
              "5. The member has been taught how to use the machine.",
        "es": "1. El miembro tiene apnea obstructiva del sueño.\n"
              "2. Un profesional vio al miembro en persona antes del estudio del sueño.\n"
              "3. El estudio se hizo en un laboratorio del sueño, o en casa con un aparato aceptado.\n"
              "4. El estudio muestra 15 o más pausas por hora, o de 5 a 14 con sueño, un problema del "
              "ánimo o de la memoria, dificultad para dormir, presión alta, enfermedad del corazón o un "
              "derrame cerebral en el pasado.\n"
              "5. Al miembro le enseñaron a usar la máquina.",
    },
    "reason_upheld": {
        "en": "A lung and sleep doctor who did not make the first decision reviewed your appeal and "
              "the new records. Your sleep test still shows 8 pauses an hour, and the records do not "
              "show a related problem the rules require.",
        "es": "Un médico de pulmones y del sueño que no tomó la primera decisión revisó su apelación y "
              "los nuevos expedientes. Su estudio del sueño todavía muestra 8 pausas por hora, y los "
              "expedientes no muestran el problema relacionado que piden las reglas.",
    },
    "hours": {"en": "Monday to Friday, 9 a.m. to 4 p.m.", "es": "de lunes a viernes, de 9 a.m. a 4 p.m."},
    "specialty": {"en": "Pulmonary and sleep medicine", "es": "Neumología y medicina del sueño"},
}


def t(key: str, language: str) -> str:
    return TEXT[key].get(language, TEXT[key]["en"])


def _people(plan: str, language: str, large_print: bool) -> tuple[MemberInfo, ProviderInfo]:
    """Members and PCPs from the packs' synthetic directories (street addresses of clinics invented)."""
    if plan == PARTNERSHIP:
        member = MemberInfo("PHC100101", "Rosa Hernandez", ("412 Texas Street", "Fairfield, CA 94533"),
                            language, large_print)
        provider = ProviderInfo("Maria Elena Gutierrez, MD", ("Solano Vista Community Health Center",
                                "Fairfield, CA 94533"), "1588139984", "(707) 555-0110", "(707) 555-0111")
    else:
        member = MemberInfo("AWH200116", "Gloria Santos", ("150 Concord Street", "Framingham, MA 01702"),
                            language, large_print)
        provider = ProviderInfo("Rajesh Kapoor, MD", ("Merrimack Valley Family Medicine", "Lawrence, MA 01840"),
                                "1737028385")
    return member, provider


def sample_context(plan: str, letter_type: LetterType | str, *, language: str = "en",
                   large_print: bool = False) -> LetterContext:
    """A context that satisfies every element the letter type requires for the plan's main line."""
    lt = LetterType(letter_type)
    member, provider = _people(plan, language, large_print)
    lang = language
    cpap = ServiceLine(t("cpap", lang), "E0601", "HCPCS", t("cpap_qty", lang),
                       date(2026, 11, 20), date(2027, 2, 19))
    reviewer = Reviewer("Dr. Priya Natarajan", "MD", "(800) 555-0199" if plan == PARTNERSHIP
                        else "(855) 555-0188", t("specialty", lang), t("hours", lang))
    base = LetterContext(
        member=member, provider=provider, line_of_business=LOB[plan],
        authorization_id=("PHC" if plan == PARTNERSHIP else "AWH") + "-2026-004815",
        letter_date=LETTER_DATE, received_date=RECEIVED, services=(cpap,),
        diagnoses=(CodedItem("G47.33", t("osa", lang), "ICD-10-CM"),),
        decision_date=LETTER_DATE, erisa_governed=(plan == ALLWAYS),
    )
    denial = replace(
        base, outcome=Outcome.DENIED, specific_reason=t("reason_mn", lang),
        member_condition=t("condition", lang), criterion_name=t("criterion", lang),
        criterion_version="2026.1", criteria_summary=t("summary", lang),
        alternatives=(t("alt1", lang), t("alt2", lang)), reviewer=reviewer,
        appeal_deadline=LETTER_DATE + timedelta(days=APPEAL_DAYS[plan]),
        continuation_deadline=LETTER_DATE + timedelta(days=10),
    )
    if lt is LetterType.APPROVAL:
        return replace(base, outcome=Outcome.APPROVED, approved_services=(cpap,))
    if lt is LetterType.MEDICAL_NECESSITY_DENIAL:
        return denial
    if lt is LetterType.PARTIAL_APPROVAL:
        pt = ServiceLine(t("pt", lang), "97110", "CPT", t("pt12", lang), date(2026, 11, 20), date(2027, 1, 29))
        return replace(
            denial, outcome=Outcome.PARTIALLY_APPROVED, services=(pt,),
            approved_services=(replace(pt, quantity=t("pt6", lang), end=date(2026, 12, 31)),),
            diagnoses=(CodedItem("M54.50", t("low_back", lang)),),
            specific_reason=t("reason_partial", lang), member_condition=t("condition_pt", lang),
            criterion_name=t("pt_criterion", lang), criteria_summary=t("pt_summary", lang), alternatives=(),
        )
    if lt is LetterType.ADMINISTRATIVE_DENIAL_MEMBER:
        return replace(
            base, outcome=Outcome.DENIED, administrative_reason=AdministrativeReason.EXCLUDED,
            services=(ServiceLine(t("cosmetic", lang), "15780", "CPT", None, date(2026, 12, 3)),), diagnoses=(),
            specific_reason=t("reason_excluded", lang), plan_provision=t("provision", lang),
            appeal_deadline=denial.appeal_deadline, continuation_deadline=denial.continuation_deadline,
        )
    if lt is LetterType.ADMINISTRATIVE_DENIAL_PROVIDER:
        hospital = ProviderInfo("Shasta Pines Regional Medical Center" if plan == PARTNERSHIP
                                else "Commonwealth Harbor Medical Center", ("Attn: Utilization Review",))
        return replace(
            base, provider=hospital, outcome=Outcome.DENIED,
            administrative_reason=AdministrativeReason.LATE_NOTIFICATION,
            services=(ServiceLine(t("inpatient", lang), "0120", "REV", t("six_days", lang), date(2026, 11, 4),
                                  date(2026, 11, 9)),),
            diagnoses=(CodedItem("J18.9", t("pneumonia", lang), "ICD-10-CM"),),
            specific_reason=t("reason_late", lang),
        )
    mri = ServiceLine(t("mri", lang), "72148", "CPT", "1", date(2026, 12, 1))
    if lt is LetterType.REQUEST_FOR_INFORMATION:
        return replace(base, services=(mri,), diagnoses=(), information_needed=(t("info1", lang), t("info2", lang)),
                       information_reason=t("info_why", lang), response_due_date=date(2026, 11, 25))
    if lt is LetterType.EXTENSION_NOTICE:
        return replace(base, specific_reason=t("reason_ext", lang), decision_due_date=date(2026, 12, 2))
    if lt is LetterType.URGENCY_DOWNGRADE_NOTICE:
        knee = ServiceLine(t("knee", lang), "27447", "CPT", "1", date(2026, 12, 15))
        return replace(base, services=(knee,), diagnoses=(), specific_reason=t("reason_downgrade", lang),
                       decision_due_date=date(2026, 11, 25) if plan == PARTNERSHIP else date(2026, 11, 20))
    if lt is LetterType.CRITERIA_DISCLOSURE:
        return replace(base, criterion_name=t("criterion", lang), criterion_version="2026.1",
                       criteria_summary=t("summary", lang), criteria_text=t("criteria_text", lang))
    if lt is LetterType.PEER_TO_PEER_OFFER:
        return replace(base, reviewer=reviewer, response_due_date=date(2026, 11, 19))
    if lt is LetterType.APPEAL_ACKNOWLEDGMENT:
        return replace(base, appeal_received_date=date(2026, 12, 1), decision_due_date=date(2026, 12, 31),
                       letter_date=date(2026, 12, 3))
    if lt is LetterType.APPEAL_RESOLUTION:
        resolved = date(2026, 12, 28)
        return replace(denial, letter_date=resolved, decision_date=resolved, appeal_received_date=date(2026, 12, 1),
                       specific_reason=t("reason_upheld", lang),
                       state_hearing_deadline=resolved + timedelta(days=120), appeal_deadline=None)
    if lt is LetterType.UNTIMELY_DECISION:
        return replace(base, outcome=Outcome.DENIED, specific_reason=t("reason_untimely", lang),
                       appeal_deadline=denial.appeal_deadline, continuation_deadline=denial.continuation_deadline)
    raise AssertionError(f"no sample for {lt}")


def _png(pdf: bytes, stem: Path) -> None:
    """Page 1 of a PDF as <stem>.png at 60 dpi, small enough to keep in the repository."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "letter.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(src), str(stem)], check=True)
    print(f"{stem}.png")


def _write_images(out: Path) -> None:
    """Page 1 of each letter type (English; Spanish too for denials) as PNG, plus one large-print page."""
    from openum.notification.letters import render_pdf
    from openum.packs.loader import load_pack
    from openum.settings import REPO_ROOT

    out.mkdir(parents=True, exist_ok=True)
    for plan in (PARTNERSHIP, ALLWAYS):
        pack = load_pack(REPO_ROOT / "packs" / plan)
        for lt in LetterType:
            languages = ["en", "es"] if lt in (LetterType.MEDICAL_NECESSITY_DENIAL,
                                               LetterType.ADMINISTRATIVE_DENIAL_MEMBER) else ["en"]
            for lang in languages:
                pdf = render_pdf(pack, lt, sample_context(plan, lt, language=lang), language=lang)
                _png(pdf, out / f"{plan}-{lt.value}-{lang}")
        if plan == ALLWAYS:
            lt = LetterType.MEDICAL_NECESSITY_DENIAL
            _png(render_pdf(pack, lt, sample_context(plan, lt, large_print=True)),
                 out / f"{plan}-{lt.value}-en-large-print")


if __name__ == "__main__":
    _write_images(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/letters"))
