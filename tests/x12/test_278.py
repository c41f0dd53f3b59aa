"""X12 278 (005010X217): realistic request samples through the one intake, answered with a 278
response (HCR A4 pended, A1 after a nurse approves, NA when no authorization is needed)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openum.x12.segments import X12Error, read
from tests.conftest import Database
from tests.factories import CLINICAL_PDF
from tests.test_review import KNEE_MET

H = Callable[[str], dict[str, str]]
SAMPLES = Path(__file__).parent / "samples"
KNEE = (SAMPLES / "knee-admission-request.x12").read_text()
VISIT = (SAMPLES / "office-visit-request.x12").read_text()


def _post(client: TestClient, headers: H, text: str, user: str = "provider-awh") -> tuple[int, str]:
    h = {**headers(user), "Content-Type": "application/edi-x12"}
    r = client.post("/x12/278", content=text.encode(), headers=h)
    return r.status_code, r.text


def _segments(text: str) -> list[list[str]]:
    return [[s.tag, *s.elements] for s in read(text).segments]


def _hcr(text: str) -> list[list[str]]:
    return [s for s in _segments(text) if s[0] == "HCR"]


def test_admission_request_is_received_and_pended_a4(app_client: TestClient, headers: H) -> None:
    code, text = _post(app_client, headers, KNEE)
    assert code == 200, text
    segs = _segments(text)
    tags = [s[0] for s in segs]
    assert tags[:3] == ["ISA", "GS", "ST"] and tags[-3:] == ["SE", "GE", "IEA"]
    isa = segs[0]
    assert isa[6].strip() == "ALLWAYS" and isa[8].strip() == "CRPCA2547517799"  # sender and receiver swapped
    assert segs[2] == ["ST", "278", "0001", "005010X217"]
    assert segs[3][:4] == ["BHT", "0007", "11", "CRPC-20261118-0001"]  # 11: response
    se = next(s for s in segs if s[0] == "SE")
    assert int(se[1]) == tags.index("SE") - tags.index("ST") + 1
    # Traces echoed as TRN*2, event and service answered with HCR A4 and our authorization ID.
    assert ["TRN", "2", "EV-KNEE-0001", "9012345678"] in segs and ["TRN", "2", "SV-KNEE-0001", "9012345678"] in segs
    hcr = _hcr(text)
    assert [h[1] for h in hcr] == ["A4", "A4"] and hcr[0][2].startswith("AWH-") and hcr[0][2] == hcr[1][2]
    assert [s[0] for s in segs].count("HL") == 5
    hl = [s for s in segs if s[0] == "HL"]
    assert [h[3] for h in hl] == ["20", "21", "22", "EV", "SS"]


def test_resent_after_a_nurse_approves_answers_a1_with_dates(app_client: TestClient, headers: H) -> None:
    _, first = _post(app_client, headers, KNEE)
    aid = _hcr(first)[0][2]
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("provider-awh")).json()
    assert req["channel"] == "x12_278" and req["member"]["member_id"] == "AWH200101"
    assert req["service_lines"][0]["code"] == "27447" and req["requested_length_of_stay"] == 2
    # The PWK announced the notes, sent separately (EL): they arrive through the documents endpoint.
    doc = app_client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                          files={"file": ("notes.pdf", base64.b64decode(CLINICAL_PDF), "application/pdf")})
    assert doc.status_code == 201, doc.text
    items = app_client.get("/api/v1/queues/mine", headers=headers("nurse")).json()
    item = next(i for i in items if i["authorization_id"] == aid)
    assert app_client.post(f"/api/v1/work-items/{item['id']}/claim", headers=headers("nurse")).status_code == 200
    app_client.post(f"/api/v1/requests/{aid}/evaluations", json=KNEE_MET, headers=headers("nurse"))
    r = app_client.post(f"/api/v1/requests/{aid}/decision", headers=headers("nurse"),
                        json={"action": "approve", "reason": "Criteria met on the clinical facts."})
    assert r.status_code == 200, r.text
    code, again = _post(app_client, headers, KNEE)  # the same request again: the same authorization
    assert code == 200
    hcr = _hcr(again)
    assert [h[1] for h in hcr] == ["A1", "A1"] and hcr[0][2] == aid
    segs = _segments(again)
    assert ["DTP", "AAH", "RD8", "20261214-20261214"] in segs or any(
        s[:3] == ["DTP", "AAH", "RD8"] for s in segs)
    assert any(s[:3] == ["DTP", "472", "RD8"] for s in segs)


def test_service_without_authorization_needed_is_na(app_client: TestClient, headers: H) -> None:
    code, text = _post(app_client, headers, VISIT)
    assert code == 200, text
    assert [h[1] for h in _hcr(text)] == ["NA", "NA"]


@pytest.mark.parametrize(("change", "problem"), [
    (lambda t: t.replace("ST*278*0001*005010X217", "ST*270*0001*005010X217"), "ST01"),
    (lambda t: t.replace("SE*26*0001", "SE*25*0001"), "SE01"),
    (lambda t: t.replace("BHT*0007*13*", "BHT*0007*11*"), "BHT02"),
    (lambda t: t.replace("HL*3*2*22*1~\nNM1*IL*1*O'NEIL*MICHAEL****MI*AWH200101~\nDMG*D8*19710214*M~\n", "")
        .replace("SE*26*0001", "SE*23*0001"), "HL*22"),
    (lambda t: t.replace("UM*HS*I*2*21:B~", "").replace("SE*26*0001", "SE*25*0001"), "UM"),
    (lambda t: t[4:], "ISA"),
])
def test_malformed_interchanges_are_refused_naming_the_segment(
        app_client: TestClient, headers: H, change: Callable[[str], str], problem: str) -> None:
    code, text = _post(app_client, headers, change(KNEE))
    assert code == 400 and problem in text, text


def test_refused_before_anything_is_received(app_client: TestClient, headers: H) -> None:
    with pytest.raises(X12Error):
        read("not an interchange")
    assert app_client.post("/x12/278", content=KNEE.encode()).status_code == 401
    assert _post(app_client, headers, KNEE, user="nurse")[0] == 200  # nurses key requests too
    assert _post(app_client, headers, KNEE, user="physician")[0] == 403


def test_cli_import_writes_the_response(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       request: pytest.FixtureRequest) -> None:
    from openum.cli import app

    monkeypatch.setenv("OPENUM_DATABASE_URL", db.url)
    monkeypatch.setenv("OPENUM_STORAGE_DIR", str(tmp_path / "files"))
    from openum.settings import get_settings

    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    out = tmp_path / "response.x12"
    result = CliRunner().invoke(app, ["x12", "import", str(SAMPLES / "office-visit-request.x12"),
                                      "--user", "provider-awh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [h[1] for h in _hcr(out.read_text())] == ["NA", "NA"]
    bad = tmp_path / "bad.x12"
    bad.write_text(VISIT.replace("SE*21*0002", "SE*9*0002"))
    result = CliRunner().invoke(app, ["x12", "import", str(bad), "--user", "provider-awh"])
    assert result.exit_code == 1
