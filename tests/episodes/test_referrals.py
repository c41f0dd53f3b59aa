"""PCP-to-specialist referrals: only the PCP refers, what needs no referral, in network recorded, out of
network to prior authorization, and the notification window (seed 004 "Referrals"; seed 001)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.episodes.conftest import H, ok
from tests.episodes.test_episode_journey import DOC

PCP = "2547517799"  # Emily Chen, MD: PCP of AWH200101, AWH200112, AWH200115


def _refer(client: TestClient, headers: H, user: str = "provider-awh", **kw: Any) -> Any:
    payload = {"member_id": "AWH200101", "referring_provider_npi": PCP, "specialist_npi": "1226468613",
               "purpose": "consultation", "reason": "Knee pain despite 6 months of conservative care.", **kw}
    return client.post("/api/v1/referrals", json=payload, headers=headers(user))


def test_allways_referral_rules(app_client: TestClient, headers: H) -> None:
    c = app_client
    # Today is Wed 18 Nov 2026. In network, visit on 1 Dec: recorded, notified before the visit; the window
    # would run to 1 Dec + 90 days = 1 Mar 2027.
    ref = ok(_refer(c, headers, first_visit_date="2026-12-01"), 201)
    got = (ref["status"], ref["in_network"], ref["notified_before_first_visit"], ref["timely"], ref["window_until"])
    assert got == ("recorded", True, True, True, "2027-03-01")
    # "The AllWays Health Partners PCP is the only provider authorized to make referrals to Specialists."
    r = _refer(c, headers, referring_provider_npi="1298369574")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["rule"] == "pcp-only"
    # "no later than 90 days after the initial specialty visit": first visit 20 Aug -> 18 Nov is day 90 (on
    # time); a visit on 19 Aug makes today day 91 (late: recorded, payment subject to denial).
    day90 = ok(_refer(c, headers, first_visit_date="2026-08-20"), 201)
    assert (day90["timely"], day90["notified_before_first_visit"], day90["window_until"]) == (True, False, "2026-11-18")
    day91 = ok(_refer(c, headers, first_visit_date="2026-08-19"), 201)
    assert (day91["status"], day91["timely"], day91["window_until"]) == ("recorded", False, "2026-11-17")
    assert any("subject to denial" in n for n in day91["notes"])
    # "Referrals are not required for ... PPO members": whoever sends it.
    ppo = ok(_refer(c, headers, member_id="AWH200103", referring_provider_npi="1298369574"), 201)
    assert (ppo["status"], ppo["exemption"]) == ("not_required", "plan-product-ppo")
    # "A gynecologist or obstetrician for routine, preventive, or urgent care": no referral.
    obgyn = ok(_refer(c, headers, member_id="AWH200112", specialist_npi="1821416215", purpose="routine"), 201)
    assert (obgyn["status"], obgyn["exemption"]) == ("not_required", "obgyn-routine-preventive-urgent")
    # "Outpatient and diversionary BH services": no referral.
    bh = ok(_refer(c, headers, member_id="AWH200115", specialist_npi="1052589839", purpose="treatment"), 201)
    assert (bh["status"], bh["exemption"]) == ("not_required", "behavioral-health-outpatient-diversionary")
    # "For out-of-network Specialists, referrals are ... subject to prior authorization."
    oon = ok(_refer(c, headers, specialist_npi="2001304114", service_codes=["99214"], diagnoses=["M54.16"],
                    clinical_indications="Lumbar radiculopathy; neurosurgical opinion.", attachments=DOC), 201)
    assert (oon["status"], oon["in_network"]) == ("prior_authorization_required", False)
    pa = ok(c.get(f"/api/v1/requests/{oon['authorization_id']}", headers=headers("nurse")))
    assert (pa["kind"], pa["status"], pa["coverage"]["provider"]["status"]) == ("pre_service", "in_clinical_review",
                                                                               "out_of_network")
    # The PCP's office sees its referrals; another organization's office does not.
    listed = ok(c.get("/api/v1/referrals", params={"member_id": "AWH200101"}, headers=headers("provider-awh")))
    assert len(listed) == 4
    assert c.get(f"/api/v1/referrals/{ref['id']}", headers=headers("provider-awh-2")).status_code == 404
    assert ok(c.get(f"/api/v1/referrals/{ref['id']}", headers=headers("nurse")))["status"] == "recorded"


def test_medi_cal_referral_rules(app_client: TestClient, headers: H) -> None:
    c = app_client
    base = {"member_id": "PHC100101", "referring_provider_npi": "1588139984", "purpose": "consultation"}
    ortho = ok(c.post("/api/v1/referrals", headers=headers("provider-phc"),
                      json={**base, "specialist_npi": "1472940554", "first_visit_date": "2026-08-01"}), 201)
    # Seed 001 sets no notification window: nothing is late.
    assert (ortho["status"], ortho["timely"], ortho["window_until"]) == ("recorded", None, None)
    # "Neither a referral from the PCP, nor prior authorization, is required ... any mental health service"
    mh = ok(c.post("/api/v1/referrals", headers=headers("provider-phc"),
                   json={**base, "specialist_npi": "1932081965"}), 201)
    assert (mh["status"], mh["exemption"]) == ("not_required", "mental-health")
    # "Referrals are generated by the primary care provider": another PCP may not.
    r = c.post("/api/v1/referrals", headers=headers("provider-phc"),
               json={**base, "referring_provider_npi": "2987973098", "specialist_npi": "1472940554"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "referral_refused"
