"""Policy files: validation, cross-checks against the pack, version selection, and review dates."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from openum.packs.loader import SECTION_MODELS, PackLoadError, load_pack
from openum.packs.schema import PackManifest, ServicesFile
from openum.review.criteria import (
    AmbiguousPolicyError,
    MedicalPolicy,
    PolicyFile,
    overdue_for_review,
    overdue_policies,
    policy_for,
)
from openum.vocabulary import RequestKind


def raw(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "cpap",
        "title": "CPAP",
        "version": "1",
        "effective_from": "2025-01-01",
        "source": "test",
        "approvals": [{"committee": "UM committee", "approved_on": "2024-12-01"}],
        "next_review_date": "2025-12-01",
        "applies_to": {"service_codes": ["E0601"]},
        "indications": {"all_of": [{"kind": "attestation", "id": "a", "text": "a?"}]},
    }
    base.update(over)
    return base


def pol(**over: Any) -> MedicalPolicy:
    return MedicalPolicy.model_validate(raw(**over))


# --- validation


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"indications": {"kind": "astrology", "id": "x", "text": "x"}}, "criterion_kind"),
        (
            {
                "indications": {
                    "at_least": 3,
                    "of": [{"kind": "attestation", "id": "a", "text": "a"}],
                }
            },
            "can never be met",
        ),
        (
            {
                "indications": {
                    "all_of": [
                        {"kind": "attestation", "id": "a", "text": "a"},
                        {"kind": "attestation", "id": "a", "text": "b"},
                    ]
                }
            },
            "used twice",
        ),
        (
            {"indications": {"kind": "diagnosis", "id": "d", "text": "d", "prefixes": ["Q99.99X"]}},
            "ICD-10-CM",
        ),
        ({"indications": {"kind": "age", "id": "x", "text": "x"}}, "min_years"),
        (
            {"indications": {"kind": "attestation", "id": "a", "text": "a", "colour": "red"}},
            "Extra inputs",
        ),
        ({"effective_to": "2024-01-01"}, "before effective_from"),
        ({"approvals": []}, "at least 1"),
        ({"applies_to": {"service_codes": ["E0601"], "diagnosis_prefixes": ["ZZZ"]}}, "ICD-10-CM"),
    ],
)
def test_invalid_policies_are_refused(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        pol(**over)


def test_same_version_twice_in_a_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        PolicyFile.model_validate({"policies": [raw(), raw()]})


def test_policies_section_is_registered() -> None:
    import openum.packs.sections  # noqa: F401

    assert SECTION_MODELS["policies"] is PolicyFile


def test_every_shipped_policy_records_source_approval_and_next_review(
    shipped_policy_files: dict[str, dict[str, PolicyFile]],
) -> None:
    committees = {
        "partnership-medi-cal": ("Q/UAC", "P&T"),
        "allways-commercial": ("Clinical Policy and Quality",),
    }
    for pack, files in shipped_policy_files.items():
        for f in files.values():
            for p in f.policies:
                assert p.source and "InterQual" not in p.source and "MCG" not in p.source
                assert any(k in a.committee for a in p.approvals for k in committees[pack]), (
                    pack,
                    p.id,
                )
                assert p.next_review_date > max(a.approved_on for a in p.approvals)
                assert all(leaf.text.strip() for leaf in p.leaves())


def test_shipped_policies_never_select_ambiguously(
    shipped_policy_files: dict[str, dict[str, PolicyFile]],
) -> None:
    for files in shipped_policy_files.values():
        pols = [p for f in files.values() for p in f.policies]
        codes = {c for p in pols for c in p.applies_to.service_codes}
        for code in codes:
            for kind in [None, *RequestKind]:
                assert policy_for(pols, code, date(2026, 6, 1), ["M17.11"], kind) is not None


# --- cross-check against pack.yaml and services.yaml


def _manifest(lobs: list[str]) -> PackManifest:
    return PackManifest.model_validate(
        {
            "schema_version": 1,
            "version": "1",
            "effective_from": "2026-01-01",
            "plan": {
                "id": "p",
                "name": "P",
                "short_name": "P",
                "authorization_prefix": "PP",
                "time_zone": "America/New_York",
                "contact": {"phone": "1"},
            },
            "approval": {"approved_by": "x", "approved_at": "2025-01-01"},
            "lines_of_business": [{"id": i, "name": i, "program": "commercial"} for i in lobs],
        }
    )


def _catalog(codes: list[str]) -> ServicesFile:
    return ServicesFile.model_validate(
        {
            "categories": [{"id": "dme", "name": "DME"}],
            "services": [
                {
                    "code": c,
                    "system": "HCPCS",
                    "description": c,
                    "category": "dme",
                    "requirements": {"*": "prior_auth"},
                }
                for c in codes
            ],
        }
    )


def test_cross_check_reports_unknown_codes_and_lines_of_business() -> None:
    f = PolicyFile.model_validate(
        {
            "policies": [
                raw(
                    applies_to={"service_codes": ["E0601", "E0470"]},
                    auto_approve_for=["commercial", "medicare"],
                ),
            ]
        }
    )
    problems = PolicyFile.cross_check(f, _manifest(["commercial"]), _catalog(["E0601"]))
    assert problems == [
        (
            "policies[0].applies_to.service_codes[1]",
            "service code E0470 is not in the service catalog (services.yaml)",
        ),
        (
            "policies[0].auto_approve_for[1]",
            "unknown line of business 'medicare'; pack.yaml defines ['commercial']",
        ),
    ]
    assert (
        PolicyFile.cross_check(
            f, _manifest(["commercial", "medicare"]), _catalog(["E0601", "E0470"])
        )
        == []
    )


def test_shipped_policies_cross_check_against_their_own_pack(
    packs_dir: Path, shipped_policy_files: dict[str, dict[str, PolicyFile]]
) -> None:
    for pack, files in shipped_policy_files.items():
        folder = packs_dir / pack
        if not ((folder / "pack.yaml").exists() and (folder / "services.yaml").exists()):
            pytest.skip(f"{pack} is not complete yet")
        manifest = PackManifest.model_validate(yaml.safe_load((folder / "pack.yaml").read_text()))
        catalog = ServicesFile.model_validate(
            yaml.safe_load((folder / "services.yaml").read_text())
        )
        for name, f in files.items():
            assert PolicyFile.cross_check(f, manifest, catalog) == [], name


@pytest.mark.parametrize("pack", ["partnership-medi-cal", "allways-commercial"])
def test_load_pack_loads_the_policies_section(packs_dir: Path, pack: str) -> None:
    try:
        loaded = load_pack(packs_dir / pack)
    except PackLoadError as exc:
        mine = [e for e in exc.errors if e.file.startswith("policies/")]
        assert mine == []
        pytest.skip(f"{pack} has errors outside policies/: {exc}")
    assert len(loaded.sections["policies"]) == 9


def test_load_pack_names_the_policy_file_and_path_of_a_bad_reference(
    packs_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "partnership-medi-cal"
    shutil.copytree(packs_dir / "partnership-medi-cal", dest)
    path = dest / "policies" / "cpap.yaml"
    data = yaml.safe_load(path.read_text())
    data["policies"][0]["auto_approve_for"] = ["commercial"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_pack(dest)
    except PackLoadError as exc:
        assert any(
            e.file == "policies/cpap.yaml" and e.path == "policies[0].auto_approve_for[0]"
            for e in exc.errors
        ), exc
    else:
        pytest.fail("the unknown line of business was not reported")


# --- selection by date, code, diagnosis and request kind

V1 = pol(version="2025.1", effective_from="2025-01-01")
V2 = pol(version="2026.1", effective_from="2026-01-01")
OLD = pol(id="retired", version="1", effective_from="2020-01-01", effective_to="2024-12-31")


def test_version_in_force_on_the_date_is_chosen() -> None:
    pols = [V2, V1]
    assert policy_for(pols, "E0601", date(2024, 12, 31)) is None
    assert policy_for(pols, "E0601", date(2025, 1, 1)) is V1
    assert policy_for(pols, "E0601", date(2025, 12, 31)) is V1
    # The newer version supersedes the open-ended older one from its first day.
    assert policy_for(pols, "e0601", date(2026, 1, 1)) is V2
    assert policy_for(pols, "E0470", date(2026, 1, 1)) is None


def test_effective_to_is_the_last_day_in_force() -> None:
    retired = pol(version="1", effective_from="2020-01-01", effective_to="2024-12-31")
    assert policy_for([retired], "E0601", date(2024, 12, 31)) is retired
    assert policy_for([retired], "E0601", date(2025, 1, 1)) is None


def test_diagnosis_and_request_kind_narrow_and_win() -> None:
    general = pol(id="general")
    by_dx = pol(
        id="pediatric-osa",
        applies_to={"service_codes": ["E0601"], "diagnosis_prefixes": ["G47.33"]},
    )
    by_kind = pol(
        id="continued", applies_to={"service_codes": ["E0601"], "request_kinds": ["concurrent"]}
    )
    day = date(2025, 6, 1)
    assert policy_for([general, by_dx], "E0601", day, ["G47.33"]) is by_dx
    assert policy_for([general, by_dx], "E0601", day, ["I10"]) is general
    assert policy_for([general, by_kind], "E0601", day, [], RequestKind.CONCURRENT) is by_kind
    assert policy_for([general, by_kind], "E0601", day, [], RequestKind.PRE_SERVICE) is general
    assert policy_for([by_kind], "E0601", day) is None


def test_two_equally_specific_policies_are_an_error_not_a_guess() -> None:
    with pytest.raises(AmbiguousPolicyError, match="all apply"):
        policy_for([pol(id="a"), pol(id="b")], "E0601", date(2025, 6, 1))
    with pytest.raises(AmbiguousPolicyError, match="versions"):
        policy_for([pol(version="1"), pol(version="2")], "E0601", date(2025, 6, 1))


# --- annual review


def test_overdue_for_review_is_after_the_date_not_on_it() -> None:
    p = pol(next_review_date="2025-12-01")
    assert not overdue_for_review(p, date(2025, 12, 1))
    assert overdue_for_review(p, date(2025, 12, 2))


def test_overdue_listing_flags_only_versions_in_force() -> None:
    v1 = pol(version="2025.1", effective_from="2025-01-01", next_review_date="2025-12-01")
    v2 = pol(version="2026.1", effective_from="2026-01-01", next_review_date="2026-12-01")
    other = pol(id="mri", next_review_date="2025-06-01")
    retired = pol(id="old", effective_to="2025-03-01", next_review_date="2025-02-01")
    pols = [v1, v2, other, retired]
    assert overdue_policies(pols, date(2025, 12, 15)) == [other, v1]
    # v1 is superseded in 2026: only v2 (not yet due) and the MRI policy remain.
    assert overdue_policies(pols, date(2026, 2, 1)) == [other]
    assert overdue_policies(pols, date(2025, 5, 1)) == []
