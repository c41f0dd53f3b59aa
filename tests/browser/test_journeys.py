"""End to end in a real browser: portal submission, nurse approval, physician denial, the provider's view
of the decision and its letter, supervisor reassignment, member services' callbacks, intake, admin."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openum.audit.models import AuditEvent
from openum.deadlines.worker import scan_once
from tests.browser.conftest import Live, at
from tests.browser.kit import TABLET, authorization_id, done, expect, fill_request, shot, signed_in
from tests.factories import AWH_KNEE, body

NOTES = ("knee-notes.pdf", b"%PDF-1.4\n% 6 months of physical therapy and naproxen failed\n%%EOF\n")
# Facts that meet AllWays' elective joint replacement policy (tests/test_review.py KNEE_MET).
FINDINGS = {"kellgren_lawrence_grade": "4", "pain_score": "8", "bmi": "31", "asa_class": "3"}
ANSWERS = {"functional-limitation": "yes", "no-active-infection": "yes"}
TREATMENTS = [("naproxen", "nsaid", "120"), ("physical therapy", "physical_therapy", "90")]


@pytest.fixture(scope="module")
def backlog(live: Live) -> dict[str, str]:
    """Requests received earlier in the week, so queues show countdowns, risk and a breach."""
    out = {}
    plan = [("breached", at(2026, 11, 14, 15, 0), "AWH200104", "urgent"),
            ("at_risk", at(2026, 11, 16, 10, 0), "AWH200103", "urgent"),
            ("fresh", at(2026, 11, 18, 14, 0), "AWH200110", "non_urgent")]
    for name, when, member, urgency in plan:
        live.clock.set(when)
        r = live.api("POST", "/api/v1/requests", "provider-awh",
                     json=body(AWH_KNEE, member={"member_id": member}, urgency=urgency))
        assert r.status_code == 201, r.text
        out[name] = r.json()["authorization_id"]
    live.clock.set(at(2026, 11, 18, 17, 0))
    scan_once(live.factory, registry=live.registry, clock=live.clock)
    return out


def _portal_submit(page: Any, live: Live, member: str, screenshot: str | None = None) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    fill_request(page, member=member, requesting="2547517799", servicing="1226468613", facility="1579906599",
                 setting="inpatient", code="27447", day="2026-12-14", pos="21", dx="M17.11", los="2",
                 document=NOTES, indications="Osteoarthritis, right knee; 6 months of conservative care failed.")
    answer = page.locator("#coverage-result")
    answer.wait_for()
    assert answer.get_attribute("data-outcome") == "authorization_required"
    assert "prior authorization is required" in answer.inner_text()
    if screenshot:
        shot(page, live, screenshot)
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(re.compile(r"/ui/portal/requests/AWH-"))
    done(page, "Request received")
    return authorization_id(page)


def _open_case(page: Any, aid: str) -> None:
    page.goto(f"/ui/requests/{aid}")
    assert page.locator("#authorization-id").inner_text() == aid


def _claim(page: Any) -> None:
    page.locator("#claim").click()
    done(page, "You now own this review")


def _evaluate(page: Any, findings: dict[str, str], answers: dict[str, str],
              treatments: list[tuple[str, str, str]]) -> str:
    form = page.locator("#evaluate")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for name, value in findings.items():
        page.locator(f"#finding-{name}").fill(value)
    for name, value in answers.items():
        page.locator(f"#answer-{name}").select_option(value)
    for i, (name, cls, days) in enumerate(treatments):
        page.locator(f"#pt-{i}-name").fill(name)
        page.locator(f"#pt-{i}-class").select_option(cls)
        page.locator(f"#pt-{i}-outcome").select_option("failed")
        page.locator(f"#pt-{i}-days").fill(days)
    form.get_by_role("button", name="Evaluate").click()
    done(page, "Criteria evaluated")
    return str(page.locator("#criteria-outcome-1").inner_text())


def test_portal_submission_then_nurse_approves(browser: Any, live: Live, backlog: dict[str, str]) -> None:
    with signed_in(browser, live, "provider-awh") as provider:
        aid = _portal_submit(provider, live, "AWH200101", screenshot="portal-new-request")
        assert "M · Medical review" in provider.locator("#provider-status").inner_text()
        shot(provider, live, "portal-request-detail")

    with signed_in(browser, live, "nurse") as nurse:
        assert nurse.url.endswith("/ui/queue")
        rows = nurse.locator("#queue tbody tr")
        ids = [r.locator("a.mono").inner_text() for r in rows.all()]
        assert aid in ids and ids.index(backlog["at_risk"]) < ids.index(aid)  # earliest due first
        assert "at-risk" in (nurse.locator("#queue tr", has_text=backlog["at_risk"]).get_attribute("class") or "")
        assert "left" in nurse.locator("#queue tr", has_text=aid).locator(".countdown").inner_text()
        shot(nurse, live, "nurse-queue")
        nurse.get_by_role("link", name=aid).click()
        _claim(nurse)
        assert _evaluate(nurse, FINDINGS, ANSWERS, TREATMENTS) == "Criteria met"
        assert nurse.locator("#criteria .checklist .evidence").count() >= 4
        shot(nurse, live, "case-view")
        nurse.locator("#approve-form summary").click()
        nurse.locator("#approve-reason").fill("All criteria of the elective joint replacement policy are met.")
        nurse.locator("#approve-form").get_by_role("button", name="Approve").click()
        done(nurse, "Decision recorded")
        assert nurse.locator("#status").inner_text() == "Approved"
        assert "Nora Nurse, RN" in nurse.locator("#decisions").inner_text()

    with live.factory() as s:  # the nurse's page reads were audited as PHI reads of this request
        reads = s.scalars(select(AuditEvent).where(AuditEvent.username == "nurse", AuditEvent.record_id == aid,
                                                   AuditEvent.action == "read")).all()
        assert reads


def test_physician_denies_and_the_provider_sees_the_decision_and_letter(browser: Any, live: Live) -> None:
    with signed_in(browser, live, "provider-awh") as provider:
        aid = _portal_submit(provider, live, "AWH200102")

    with signed_in(browser, live, "nurse") as nurse:
        _open_case(nurse, aid)
        _claim(nurse)
        outcome = _evaluate(nurse, {**FINDINGS, "kellgren_lawrence_grade": "1"},
                            {**ANSWERS, "imaging-osteonecrosis-collapse": "no"}, TREATMENTS)
        assert outcome == "Criteria not met"
        nurse.locator("#refer-form summary").click()
        nurse.locator("#refer-reason").fill("Criteria not met: imaging shows grade 1 only. Physician review.")
        nurse.locator("#refer-form").get_by_role("button", name="Refer").click()
        done(nurse, "Referred")
        assert nurse.locator("#status").inner_text() == "In physician review"

    with signed_in(browser, live, "physician") as doctor:
        assert doctor.get_by_role("heading", name="Physician queue").is_visible()
        assert doctor.locator("#queue tr", has_text=aid).count() == 1
        shot(doctor, live, "physician-queue")
        doctor.get_by_role("link", name=aid).click()
        _claim(doctor)
        doctor.locator("#deny-form summary").click()
        doctor.locator("#deny-reason").fill("X-rays show only mild (grade 1) arthritis; the policy needs grade 3+.")
        doctor.locator("#deny-alternatives").fill("Injection therapy and a further course of physical therapy.")
        doctor.locator("#deny-form").get_by_role("button", name="Deny").click()
        done(doctor, "Decision recorded")
        assert doctor.locator("#status").inner_text() == "Denied"
        live.clock.advance(timedelta(minutes=30))
        assert live.deliver_notices() >= 1
        doctor.reload()
        notices = doctor.locator("#notices")
        assert "letter (PDF)" in notices.inner_text()
        notices.locator("summary", has_text="Log the call").click()
        notices.get_by_label("Who was reached").fill("Office manager at Mystic Valley Orthopedics")
        notices.get_by_role("button", name="Record call").click()
        done(doctor, "Call to the provider recorded")
        shot(doctor, live, "case-denied-with-notices")

    with signed_in(browser, live, "provider-awh") as provider:
        provider.goto("/ui/portal?status=D")
        assert provider.locator("#portal-requests tr", has_text=aid).count() == 1
        shot(provider, live, "portal-requests")
        provider.get_by_role("link", name=aid).click()
        assert "D · Denied" in provider.locator("#provider-status").inner_text()
        assert "grade 1" in provider.locator("#decision").inner_text()
        href = provider.locator("#letters a", has_text="letter (PDF)").first.get_attribute("href")
        letter = provider.request.get(href)
        assert letter.status == 200 and letter.body().startswith(b"%PDF")
        shot(provider, live, "portal-decision-and-letter")
        provider.goto("/ui/portal/reports?member_id=AWH200102")
        assert provider.locator("#report tr", has_text=aid).count() == 1
        provider.goto("/ui/portal/reports")
        assert "requests" in provider.locator("#summary").inner_text()
        shot(provider, live, "portal-reports")


def test_supervisor_sees_risk_and_reassigns(browser: Any, live: Live, backlog: dict[str, str]) -> None:
    with signed_in(browser, live, "manager") as manager:
        assert manager.url.endswith("/ui/supervisor")
        assert manager.locator("#at-risk tr", has_text=backlog["at_risk"]).count() == 1
        assert manager.locator("#breached tr", has_text=backlog["breached"]).count() >= 1
        row = manager.locator("#open-work tr", has_text=backlog["fresh"])
        row.locator("select").select_option("nurse")
        row.get_by_role("button", name="Reassign").click()
        done(manager, "Work item reassigned")
        assert "nurse" in manager.locator("#open-work tr", has_text=backlog["fresh"]).inner_text()
        assert "nurse" in manager.locator("#workload").inner_text()
        shot(manager, live, "supervisor")
    mine = live.api("GET", "/api/v1/queues/mine", "nurse").json()
    assert any(i["authorization_id"] == backlog["fresh"] and i["assignee"] == "nurse" for i in mine)


def _log_message(page: Any, plan: str, received: str, caller: str, language: str | None = None,
                 tty: bool = False) -> str:
    form = page.locator("#log-call")
    form.get_by_label("Message left (voicemail, after hours)").check()
    form.get_by_label("Health plan").select_option(plan)
    form.get_by_label("Received").fill(received)
    form.get_by_label("Caller's name").fill(caller)
    form.get_by_label("Callback number").fill("(617) 555-0142")
    form.get_by_label("What the caller needs").fill("Wants to know when the knee surgery request will be decided.")
    if language:
        form.get_by_label("Interpreter needed").select_option(language)
    if tty:
        form.get_by_label("TTY/TDD or relay service needed for the callback").check()
    form.get_by_role("button", name="Log and set callback due time").click()
    done(page, "Call logged")
    return str(page.locator("#calls tr", has_text=caller).locator(".callback-due").inner_text())


def test_member_services_finds_a_request_and_logs_callbacks(browser: Any, live: Live,
                                                           backlog: dict[str, str]) -> None:
    with signed_in(browser, live, "memberservices") as ms:
        ms.get_by_label("Authorization ID or member ID").fill(backlog["fresh"])
        ms.get_by_role("button", name="Find").click()
        where = ms.locator("#where")
        assert "nurse reviewer" in where.inner_text() or "Received" in where.inner_text()
        assert "The plan must decide by" in where.inner_text()
        # Wednesday 01:30 in Boston: left after midnight on a weekday, returned the same business day.
        assert _log_message(ms, "allways-commercial", "2026-11-18T01:30", "Michael O'Neil",
                            language="Spanish", tty=True) == "Wed 18 Nov 2026, 18:00 EST"
        # Friday evening after closing: the next business day is Monday.
        due = _log_message(ms, "allways-commercial", "2026-11-13T19:30", "Maureen Kelly")
        assert due == "Mon 16 Nov 2026, 18:00 EST"
        # Partnership closes at 17:00 Pacific; a message at 00:45 on Wednesday is returned that day.
        due = _log_message(ms, "partnership-medi-cal", "2026-11-18T00:45", "Rosa Alvarez")
        assert due == "Wed 18 Nov 2026, 17:00 PST"
        row = ms.locator("#calls tr", has_text="Michael O'Neil")
        assert "Interpreter: Spanish" in row.inner_text() and "TTY" in row.inner_text()
        assert "Mel Services" in row.inner_text()
        shot(ms, live, "member-services")


def test_a_provider_never_sees_another_organizations_request(browser: Any, live: Live,
                                                             backlog: dict[str, str]) -> None:
    aid = backlog["fresh"]
    with signed_in(browser, live, "provider-awh-2") as other:
        assert other.locator("#portal-requests").inner_text().count(aid) == 0
        response = other.goto(f"/ui/portal/requests/{aid}")
        assert response is not None and response.status == 404
        assert other.get_by_role("heading", name="Not found").is_visible()
        shot(other, live, "not-found")
        staff_view = other.goto(f"/ui/requests/{aid}")
        assert staff_view is not None and staff_view.status == 404
        doc = other.request.get(f"/ui/requests/{aid}/documents/1")
        assert doc.status == 404
        other.goto("/ui/portal?member_id=AWH200110")
        assert aid not in other.locator("#portal-requests").inner_text()
        other.goto("/ui/portal/reports")
        assert aid not in other.content()
    with signed_in(browser, live, "provider-awh") as owner:
        assert owner.goto(f"/ui/portal/requests/{aid}").status == 200  # type: ignore[union-attr]


def test_intake_fax_entry_shows_coverage_missing_items_and_duplicates(browser: Any, live: Live) -> None:
    with signed_in(browser, live, "intake") as intake:
        assert intake.url.endswith("/ui/requests/new")
        intake.get_by_label("Received by").select_option("fax")
        fill_request(intake, member="AWH200105", requesting="1298369574", servicing="1226468613",
                     facility="1579906599", setting="inpatient", code="27447", day="2026-12-14", pos="21",
                     dx="M17.11", los="2")
        intake.locator("#coverage-result").wait_for()
        intake.get_by_role("button", name="Submit request").click()
        intake.wait_for_url(re.compile(r"/ui/requests/AWH-"))
        missing = intake.locator("#missing-items").inner_text()
        assert "clinical" in missing.lower()
        assert "Pended" in intake.locator("#status").inner_text()
        first = authorization_id(intake)
        shot(intake, live, "intake-receipt-missing-items")
        intake.goto("/ui/requests/new")
        fill_request(intake, member="AWH200105", requesting="1298369574", servicing="1226468613",
                     facility="1579906599", setting="inpatient", code="27447", day="2026-12-14", pos="21",
                     dx="M17.11", los="2")
        warning = intake.locator("#duplicate-warning")
        warning.wait_for()
        assert first in warning.inner_text()
        shot(intake, live, "intake-form")


def test_admin_validates_packs_and_adds_a_user(browser: Any, live: Live, tmp_path: Any) -> None:
    import shutil

    from openum.settings import REPO_ROOT

    broken = tmp_path / "broken-pack"
    shutil.copytree(REPO_ROOT / "packs" / "allways-commercial", broken)
    (broken / "calendar.yaml").write_text("weekend: [funday]\nbusiness_hours: {start: '25:00', end: '18:00'}\n")
    with signed_in(browser, live, "admin") as admin:
        assert admin.url.endswith("/ui/admin")
        admin.get_by_label("Pack folder on the server").fill(str(broken))
        admin.get_by_role("button", name="Load and validate").click()
        result = admin.locator("#pack-result")
        assert "problem" in result.inner_text() and "calendar.yaml" in result.inner_text()
        shot(admin, live, "admin-pack-errors")
        admin.get_by_label("Pack folder on the server").fill(str(REPO_ROOT / "packs" / "allways-commercial"))
        admin.get_by_role("button", name="Load and validate").click()
        assert "Valid." in admin.locator("#pack-result").inner_text()
        form = admin.locator("form", has_text="Add user")
        form.get_by_label("Username").fill("nurse.ortiz")
        form.get_by_label("Password").fill("a-long-password")
        form.get_by_label("Full name").fill("Inez Ortiz, RN")
        form.get_by_label("Role").select_option("um_nurse")
        form.locator("#new-cred").fill("RN")
        form.get_by_label("Credential expires").fill("2028-01-31")
        form.get_by_role("button", name="Add user").click()
        done(admin, "User added")
        assert admin.locator("#users tr", has_text="nurse.ortiz").count() == 1
        shot(admin, live, "admin-users")
        assert admin.goto("/ui/requests").status == 403  # type: ignore[union-attr]  # no PHI for IT admins


def test_sign_in_roles_and_csrf(browser: Any, live: Live) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    page = context.new_page()
    page.goto("/ui/requests")
    assert "/ui/login" in page.url
    page.get_by_label("Username").fill("nurse")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect username or password")
    shot(page, live, "sign-in")
    page.get_by_label("Password").fill("openum-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/ui/requests$"))  # back to the page first asked for
    cookie = next(c for c in context.cookies() if c["name"] == "openum_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    forged = page.request.post("/ui/requests/AWH-261118-XXXXXXX/note", form={"text": "forged"})
    assert forged.status == 403 and "Form expired" in forged.text()
    assert page.goto("/ui/portal").status == 403  # type: ignore[union-attr]
    assert page.goto("/ui/admin").status == 403  # type: ignore[union-attr]
    page.goto("/ui/queue")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    assert page.goto("/ui/queue") and "/ui/login" in page.url
    context.close()


def test_tablet_width_and_find_a_request(browser: Any, live: Live, backlog: dict[str, str]) -> None:
    with signed_in(browser, live, "nurse", width=TABLET) as nurse:
        claim = nurse.locator("#queue").get_by_role("button", name="Claim").first.bounding_box()
        visible = nurse.locator(".table-wrap", has=nurse.locator("#queue")).bounding_box()
        assert claim and visible and claim["x"] + claim["width"] <= visible["x"] + visible["width"]  # no scrolling
        shot(nurse, live, "nurse-queue-tablet")
        _open_case(nurse, backlog["at_risk"])
        width = nurse.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET, f"horizontal scroll at tablet width: {width}px"
        shot(nurse, live, "case-view-tablet", full_page=False)
    with signed_in(browser, live, "compliance") as compliance:
        compliance.get_by_label("Authorization ID or member ID").fill("AWH200103")
        compliance.get_by_role("button", name="Search").click()
        assert compliance.locator("#results tr", has_text=backlog["at_risk"]).count() == 1
        shot(compliance, live, "find-a-request")
