"""The appeal file: everything the decision under appeal rested on, plus what the appeal added.

As JSON: the request (services, diagnoses, clinical facts), its documents, every criteria
evaluation with each criterion's result and evidence, every decision, the history with its notes,
peer-to-peer discussions, the notices and letters, earlier reconsiderations, and the appeal's own
history and new evidence.

As one PDF (WeasyPrint, through openum.notification.letters.render.html_to_pdf): the same, printed;
each letter's text as it was rendered from its snapshot; images and text documents shown inline;
every document and every delivered letter PDF embedded in the file as a named PDF attachment, so
the one file carries the originals byte for byte (each listed with its SHA-256).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import tinyhtml5
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.appeals.models import Appeal, ExternalReview
from openum.intake.models import AuthorizationRequest
from openum.intake.storage import AttachmentStore
from openum.notification import builder
from openum.notification.letters.render import html_to_pdf, render_html
from openum.notification.letters.schema import LetterType
from openum.notification.models import Notice
from openum.packs.loader import PlanPack
from openum.review.models import CriteriaEvaluation, Decision, PeerToPeer

INLINE_IMAGES = {"image/png", "image/jpeg"}


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (date, datetime)) else v


def _row(obj: Any, names: list[str]) -> dict[str, Any]:
    return {n: _iso(getattr(obj, n)) for n in names}


def build(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest) -> dict[str, Any]:
    """The appeal file as plain data (what GET .../file returns)."""
    member = req.member
    evals = session.scalars(select(CriteriaEvaluation).where(CriteriaEvaluation.request_pk == req.id)
                            .order_by(CriteriaEvaluation.id)).all()
    decisions = session.scalars(select(Decision).where(Decision.request_pk == req.id).order_by(Decision.id)).all()
    p2p = session.scalars(select(PeerToPeer).where(PeerToPeer.request_pk == req.id).order_by(PeerToPeer.id)).all()
    notices = session.scalars(select(Notice).where(Notice.request_pk == req.id).order_by(Notice.id)).all()
    related = session.scalars(select(Appeal).where(Appeal.request_pk == req.id, Appeal.id != appeal.id)
                              .order_by(Appeal.id)).all()
    externals = session.scalars(select(ExternalReview).where(ExternalReview.appeal_pk == appeal.id)
                                .order_by(ExternalReview.id)).all()
    return {
        "appeal": {
            **_row(appeal, ["id", "level", "status", "appellant", "appellant_name", "channel", "received_at",
                            "statement", "urgency_requested", "urgency", "expedite_status", "notice_date",
                            "filing_deadline", "late", "late_handling", "outcome", "decided_at", "decided_by",
                            "reviewer_specialty", "decision_reason", "rationale"]),
            "history": [_row(e, ["at", "type", "actor", "reason"]) | {"data": e.data} for e in appeal.events],
            "external_reviews": [_row(x, ["kind", "body", "requested_at", "forwarded_at", "outcome", "decided_at"])
                                 for x in externals],
        },
        "request": {
            **_row(req, ["authorization_id", "plan_id", "pack_version", "line_of_business", "kind", "urgency",
                         "setting", "received_at", "status", "requesting_npi", "servicing_npi", "facility_npi",
                         "requested_length_of_stay", "admission_date", "clinical_indications", "pertinent_history"]),
            "member": {"member_id": member.member_id, "name": f"{member.first_name} {member.last_name}",
                       "birth_date": member.birth_date.isoformat()} if member else req.member_reference,
            "service_lines": [{**_row(ln, ["sequence", "code", "code_system", "units", "from_date", "to_date",
                                           "decision", "approved_units", "approved_from", "approved_to"]),
                               "description": svc.description if (svc := pack.service(ln.code)) else None}
                              for ln in req.lines],
            "diagnoses": [{"code": d.code, "description": d.description} for d in req.diagnoses],
            "clinical_facts": req.clinical_facts,
            "coverage": req.coverage,
            "determination": req.determination,
        },
        "documents": [_row(a, ["id", "kind", "filename", "content_type", "size", "sha256", "received_at"])
                      for a in req.attachments],
        "criteria_evaluations": [
            {**_row(e, ["id", "line_sequence", "policy_id", "policy_version", "outcome", "evaluated_at",
                        "evaluated_by", "automatic"]),
             "results": e.results, "missing_facts": e.missing_facts, "facts": e.facts} for e in evals],
        "decisions": [_row(d, ["id", "decided_at", "decided_by", "role", "credential", "action", "basis",
                               "administrative_category", "policy_id", "policy_version", "reason", "rationale",
                               "alternatives", "override_reason", "automatic"]) | {"lines": d.lines}
                      for d in decisions],
        "notes": [_row(e, ["at", "actor", "reason"]) for e in req.events if e.type == "note"],
        "history": [_row(e, ["at", "type", "actor", "actor_role", "from_status", "to_status", "reason"])
                    for e in req.events],
        "peer_to_peer": [_row(p, ["status", "offered_at", "timing", "practitioner_name", "scheduled_for",
                                  "held_at", "notes", "outcome"]) for p in p2p],
        "notices": [_row(n, ["id", "obligation", "recipient", "recipient_name", "channel", "letter_type",
                             "language", "status", "due_at", "created_at", "sent_at", "delivered_at", "late",
                             "document_sha256"]) for n in notices],
        "related": [_row(a, ["id", "level", "status", "outcome", "received_at", "decided_at", "decided_by"])
                    for a in related],
        "new_evidence": [_row(ev, ["id", "kind", "description", "filename", "content_type", "size", "sha256",
                                   "received_at"]) for ev in appeal.evidence],
    }


def _letter_texts(pack: PlanPack, session: Session, req: AuthorizationRequest) -> list[tuple[Notice, str]]:
    """Each distinct letter (one per trigger, type and language) as the words it says."""
    seen, out = set(), []
    for n in session.scalars(select(Notice).where(Notice.request_pk == req.id, Notice.letter_type.is_not(None))
                             .order_by(Notice.id)):
        key = (n.trigger_event_id, n.letter_type, n.language)
        if key in seen:
            continue
        seen.add(key)
        try:
            html = render_html(pack, LetterType(str(n.letter_type)), builder.from_json(n.context), language=n.language)
            root = tinyhtml5.parse(html)
            body = next((el for el in root.iter() if str(el.tag).endswith("body")), root)
            text = "\n".join(t.strip() for t in body.itertext() if t.strip())
        except Exception as exc:  # a letter that cannot be re-rendered is listed, not fatal
            text = f"(letter could not be rendered: {exc})"
        out.append((n, text))
    return out


def _table(rows: list[dict[str, Any]], columns: list[str]) -> Markup:
    if not rows:
        return Markup("<p class='none'>None.</p>")
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if r.get(c) is None else r.get(c))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _data_uri(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class Embedded:
    """An original file carried inside the PDF as an attachment."""

    name: str
    description: str
    data: bytes


def _document_block(title: str, filename: str, content_type: str, sha256: str,
                    data: bytes | None) -> tuple[Markup, Embedded | None]:
    """(inline block, the original to embed in the PDF)."""
    label = escape(f"{title} ({content_type}, SHA-256 {sha256})")
    if data is None:
        return Markup(f"<p class='doc'>{label}: <em>not found in storage</em></p>"), None
    link = Embedded(filename, f"{title}; SHA-256 {sha256}", data)
    if content_type in INLINE_IMAGES:
        return Markup(f"<div class='doc'><p>{label}</p><img src='{_data_uri(content_type, data)}'></div>"), link
    if content_type == "text/plain":
        text = escape(data.decode("utf-8", "replace"))
        return Markup(f"<div class='doc'><p>{label}</p><pre>{text}</pre></div>"), link
    return Markup(f"<p class='doc'>{label}: embedded in this PDF as an attachment.</p>"), link


def to_html(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest, data: dict[str, Any],
            store: AttachmentStore, printed_at: datetime) -> tuple[str, list[Embedded]]:
    """The appeal file as one printable HTML page, and the originals to embed with it."""
    def get(key: str) -> bytes | None:
        try:
            return store.get(key)
        except OSError:
            return None

    links: list[Embedded] = []
    parts: list[Markup] = []
    a, r = data["appeal"], data["request"]
    kind = "Reconsideration" if appeal.level == "reconsideration" else "Appeal"
    title = f"{kind} file {appeal.id} - {r['authorization_id']}"
    parts.append(Markup(f"<h1>{escape(title)}</h1><p class='meta'>{escape(pack.manifest.plan.name)} · printed "
                        f"{escape(printed_at.isoformat())}</p>"))
    parts.append(Markup("<h2>The appeal</h2>") + _table([a], ["level", "status", "appellant", "appellant_name",
                                                             "received_at", "urgency", "notice_date",
                                                             "filing_deadline", "late", "outcome"]))
    parts.append(Markup(f"<p><strong>Statement:</strong> {escape(a.get('statement') or '')}</p>"))
    parts.append(Markup("<h2>The request</h2>") + _table([r], ["authorization_id", "line_of_business", "kind",
                                                              "urgency", "received_at", "status"]))
    parts.append(Markup(f"<p><strong>Member:</strong> {escape(r['member'].get('name', ''))} "
                        f"({escape(r['member'].get('member_id', ''))})</p>"))
    parts.append(Markup("<h3>Services</h3>") + _table(r["service_lines"], ["sequence", "code", "description", "units",
                                                                          "from_date", "decision", "approved_units"]))
    parts.append(Markup("<h3>Diagnoses</h3>") + _table(r["diagnoses"], ["code", "description"]))
    parts.append(Markup(f"<p><strong>Clinical indications:</strong> {escape(r.get('clinical_indications') or '')}</p>"
                        f"<p><strong>Pertinent history:</strong> {escape(r.get('pertinent_history') or '')}</p>"))
    parts.append(Markup("<h2>Criteria and results</h2>"))
    for e in data["criteria_evaluations"]:
        parts.append(Markup(f"<h3>{escape(e['policy_id'])} v{escape(e['policy_version'])}, line "
                            f"{escape(e['line_sequence'])}: {escape(e['outcome'])}</h3>"))
        parts.append(_table([{"criterion": x.get("text") or x.get("criterion_id"), "result": x.get("result"),
                              "evidence": "; ".join(f"{ev.get('fact')}: {ev.get('value')}"
                                                    for ev in x.get("evidence", []))}
                             for x in e["results"]], ["criterion", "result", "evidence"]))
    parts.append(Markup("<h2>Decisions</h2>") + _table(data["decisions"], ["decided_at", "decided_by", "credential",
                                                                          "action", "basis", "reason", "rationale",
                                                                          "alternatives"]))
    parts.append(Markup("<h2>Notes and history</h2>") + _table(data["history"], ["at", "type", "actor",
                                                                                 "from_status", "to_status", "reason"]))
    parts.append(Markup("<h2>Peer-to-peer</h2>") + _table(data["peer_to_peer"], ["status", "offered_at", "held_at",
                                                                                 "notes", "outcome"]))
    parts.append(Markup("<h2>Notices</h2>") + _table(data["notices"], ["obligation", "recipient", "channel",
                                                                      "letter_type", "status", "due_at",
                                                                      "delivered_at"]))
    parts.append(Markup("<h2>Letters</h2>"))
    by_id = {n.id: n for n in session.scalars(select(Notice).where(Notice.request_pk == req.id))}
    for notice, text in _letter_texts(pack, session, req):
        parts.append(Markup(f"<h3>{escape(notice.letter_type)} ({escape(notice.language)}), "
                            f"{escape(notice.created_at.isoformat())}</h3><pre class='letter'>{escape(text)}</pre>"))
    for n in by_id.values():
        if n.document_key:
            doc = get(n.document_key)
            if doc is not None:
                links.append(Embedded(f"letter-{n.id}-{n.letter_type}.pdf",
                                      f"letter {n.id} ({n.letter_type}) as sent; SHA-256 {n.document_sha256}", doc))
    parts.append(Markup("<h2>Documents the decision rested on</h2>"))
    for att in req.attachments:
        block, link = _document_block(f"{att.kind}: {att.filename}", f"request-{att.id}-{att.filename}",
                                      att.content_type, att.sha256, get(att.storage_key))
        parts.append(block)
        links.extend([link] if link else [])
    parts.append(Markup("<h2>New evidence sent with the appeal</h2>"))
    if not appeal.evidence:
        parts.append(Markup("<p class='none'>None.</p>"))
    for ev in appeal.evidence:
        block, link = _document_block(f"{ev.kind}: {ev.filename}", f"appeal-{ev.id}-{ev.filename}",
                                      ev.content_type, ev.sha256, get(ev.storage_key))
        parts.append(block)
        links.extend([link] if link else [])
    parts.append(Markup("<h2>Earlier reconsiderations and appeals</h2>") + _table(
        data["related"], ["level", "status", "outcome", "received_at", "decided_at", "decided_by"]))
    parts.append(Markup("<h2>Appeal history</h2>") + _table(a["history"], ["at", "type", "actor", "reason"]))
    style = ("body{font-family:sans-serif;font-size:9pt}table{border-collapse:collapse;width:100%;margin:4pt 0}"
             "td,th{border:1px solid #999;padding:2pt;vertical-align:top;text-align:left}"
             "pre{white-space:pre-wrap;font-size:8pt}img{max-width:100%}h1{font-size:14pt}h2{font-size:12pt}")
    html = str(Markup("<!doctype html><html><head><meta charset='utf-8'><title>") + escape(title)
               + Markup("</title><style>") + Markup(style) + Markup("</style></head><body>")
               + Markup("").join(parts) + Markup("</body></html>"))
    return html, links


def _print(html: str, files: list[Embedded]) -> bytes:
    """html_to_pdf, with the originals embedded under their own names (same data:-only fetching)."""
    if not files:
        return html_to_pdf(html)
    from weasyprint import HTML, Attachment
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf(attachments=[
        Attachment(string=f.data, name=f.name, description=f.description, url_fetcher=fetcher) for f in files])
    assert pdf is not None
    return bytes(pdf)


def to_pdf(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest, store: AttachmentStore,
           printed_at: datetime) -> bytes:
    """The appeal file as one PDF, every original document and sent letter embedded in it."""
    data = build(session, pack=pack, appeal=appeal, req=req)
    html, files = to_html(session, pack=pack, appeal=appeal, req=req, data=data, store=store, printed_at=printed_at)
    return _print(html, files)
