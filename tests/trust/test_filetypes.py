"""Attachments are checked by their bytes: disallowed or mislabelled content is refused by name."""

import base64
import io
import zipfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openum.intake import filetypes
from openum.intake.models import AuthorizationRequest
from tests.conftest import Database
from tests.factories import AWH_KNEE, body
from tests.fhir.bundles import pas_bundle

H = Callable[[str], dict[str, str]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 40
DICOM = b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00UL"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"This program cannot be run in DOS mode"


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<xml/>")
    return buf.getvalue()


DOCX = _zip(["[Content_Types].xml", "word/document.xml", "_rels/.rels"])
DOCM = _zip(["[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"])


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.7\n...", filetypes.PDF), (b"\n %PDF-1.4", filetypes.PDF), (PNG, filetypes.PNG),
    (JPEG, filetypes.JPEG), (TIFF, filetypes.TIFF), (b"MM\x00*rest", filetypes.TIFF), (DICOM, filetypes.DICOM),
    (DOCX, filetypes.DOCX), ("Progress note: knee pain, café\n".encode(), filetypes.TEXT),
    (EXE, "application/x-msdownload"), (b"\x7fELF\x02\x01", "application/x-elf"),
    (DOCM, "application/vnd.ms-word.document.macroEnabled.12"), (_zip(["a.txt"]), "application/zip"),
    (b"<!DOCTYPE html><script>alert(1)</script>", "text/html"), (b"#!/bin/sh\nrm -rf /", "text/x-shellscript"),
    (b"<?xml version='1.0'?><ClinicalDocument/>", "application/xml"),
    (b"GIF89a...", "image/gif"), (b"\x00\x01\x02garbage", None), (b"", None),
])
def test_sniff(data: bytes, kind: str | None) -> None:
    assert filetypes.sniff(data) == kind


def test_check_accepts_aliases_and_undeclared_types() -> None:
    assert filetypes.check("image/jpg", JPEG, name="x.jpg") == filetypes.JPEG
    assert filetypes.check("application/pdf; charset=binary", b"%PDF-1.4", name="a.pdf") == filetypes.PDF
    assert filetypes.check("application/octet-stream", PNG, name="scan") == filetypes.PNG
    assert filetypes.check(None, b"plain words", name="note.txt") == filetypes.TEXT


@pytest.mark.parametrize(("declared", "data", "words"), [
    ("application/pdf", PNG, "declared as application/pdf but its content is image/png"),
    ("application/pdf", EXE, "its content is application/x-msdownload"),
    ("application/octet-stream", EXE, "its content is application/x-msdownload"),
    ("application/pdf", b"\x00\x01garbage", "not a recognised type"),
    ("text/plain", b"", "is empty"),
])
def test_check_refuses_naming_the_attachment(declared: str, data: bytes, words: str) -> None:
    with pytest.raises(filetypes.AttachmentRefused) as err:
        filetypes.check(declared, data, name="evidence.pdf", loc=["attachments", 2])
    assert "attachment 'evidence.pdf'" in err.value.message and words in err.value.message
    assert err.value.details[0]["loc"] == ["attachments", 2]


def _with_attachment(filename: str, content_type: str, data: bytes) -> dict[str, object]:
    return body(AWH_KNEE, attachments=[
        {"kind": "clinical_documentation", "filename": "notes.pdf", "content_type": "application/pdf",
         "content_base64": base64.b64encode(b"%PDF-1.4\nnotes\n%%EOF\n").decode()},
        {"kind": "clinical_documentation", "filename": filename, "content_type": content_type,
         "content_base64": base64.b64encode(data).decode()}])


def _count(db: Database) -> int:
    with db.factory() as s:
        return s.scalar(select(func.count()).select_from(AuthorizationRequest)) or 0


def test_png_declared_as_pdf_is_refused_by_name(app_client: TestClient, headers: H, db: Database) -> None:
    r = app_client.post("/api/v1/requests", json=_with_attachment("xray.pdf", "application/pdf", PNG),
                        headers=headers("provider-awh"))
    assert r.status_code == 415, r.text
    err = r.json()["error"]
    assert err["code"] == "attachment_type_refused"
    assert "'xray.pdf'" in err["message"] and "image/png" in err["message"]
    assert err["details"][0]["loc"] == ["attachments", 1]
    assert _count(db) == 0
    # Declared truthfully, the same image is taken.
    ok = app_client.post("/api/v1/requests", json=_with_attachment("xray.png", "image/png", PNG),
                         headers=headers("provider-awh"))
    assert ok.status_code == 201, ok.text


def test_executable_is_refused_on_submission_and_upload(app_client: TestClient, headers: H,
                                                         db: Database) -> None:
    r = app_client.post("/api/v1/requests", json=_with_attachment("labs.pdf", "application/pdf", EXE),
                        headers=headers("provider-awh"))
    assert r.status_code == 415 and "'labs.pdf'" in r.json()["error"]["message"]
    assert "x-msdownload" in r.json()["error"]["message"]
    ok = app_client.post("/api/v1/requests", json=body(AWH_KNEE), headers=headers("provider-awh"))
    aid = ok.json()["authorization_id"]
    for name, ctype in (("setup.exe", "application/octet-stream"), ("report.pdf", "application/pdf")):
        up = app_client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                             files={"file": (name, EXE, ctype)})
        assert up.status_code == 415, up.text
        assert f"'{name}'" in up.json()["error"]["message"]
        assert up.json()["error"]["details"][0]["loc"] == ["body", "file"]
    docx = app_client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                           files={"file": ("letter.docx", DOCX, filetypes.DOCX)})
    assert docx.status_code == 201, docx.text
    got = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert [a["filename"] for a in got["attachments"]] == ["notes.pdf", "letter.docx"]


def test_fhir_submission_with_a_mislabelled_document_is_refused(app_client: TestClient, headers: H) -> None:
    bundle = pas_bundle(document=base64.b64encode(PNG).decode())
    r = app_client.post("/fhir/Claim/$submit", json=bundle,
                        headers={**headers("provider-awh"), "Content-Type": "application/fhir+json"})
    assert r.status_code == 415, r.text
    outcome = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "'notes.pdf'" in outcome["issue"][0]["diagnostics"]
