"""The clocks/*.yaml format: what it accepts and refuses, and loading through the pack loader."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from clockkit import PACKS, fake_pack, medi_cal_calendar, pt, run
from clockkit import due as due_of
from pydantic import ValidationError

from openum.deadlines.schema import ClockFile, Notice, Outcome
from openum.packs.loader import SECTION_MODELS, PackLoadError, load_pack

MINIMAL: dict[str, Any] = {
    "id": "test-layer",
    "name": "Test layer",
    "kind": "contract",
    "citation_base": "Contract",
    "lines_of_business": ["medi-cal"],
    "rules": [
        {
            "id": "standard",
            "description": "Standard",
            "kinds": ["pre_service"],
            "urgency": "any",
            "citation": "s. 1",
            "decision": {"amount": 2, "unit": "business_days", "end_of_business_day": True},
        }
    ],
}


def layer(**rule_changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["rules"][0].update(rule_changes)
    return data


def test_minimal_layer_and_citation_join() -> None:
    f = ClockFile.model_validate(MINIMAL)
    assert f.cite(f.rules[0].citation) == "Contract s. 1"


def test_end_of_business_day_rounds_to_closing_time() -> None:
    pack = fake_pack(medi_cal_calendar(), ClockFile.model_validate(MINIMAL))
    r = run(pack, "medi-cal", "pre_service", "urgent", pt(2026, 3, 27, 10))
    # Fri 27 Mar: Mon 30 (1), Tue 31 Cesar Chavez Day, Wed 1 Apr (2), at the 17:00 close.
    assert due_of(r, "decision") == pt(2026, 4, 1, 17)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (layer(surprise=1), "Extra inputs are not permitted"),
        (layer(decision={"amount": 2, "unit": "weeks"}), "unit"),
        (
            layer(decision={"amount": 2, "unit": "hours", "start": "decision"}),
            "decision clocks start",
        ),
        (
            layer(decision={"amount": 2, "unit": "business_days", "start": "information_complete"}),
            "needs a cap",
        ),
        (
            layer(decision={"amount": 2, "unit": "hours", "end_of_business_day": True}),
            "end_of_business_day",
        ),
        (layer(urgency="sometimes"), "urgency"),
        (layer(kinds=[]), "kinds"),
        (layer(in_force_from="2026-02-01", in_force_until="2026-01-01"), "in_force_until"),
        (layer(extension={"max_count": 1, "conditions": "x", "citation": "y"}), "each"),
        (
            layer(
                pause={
                    "claimant_max": {"amount": 45, "unit": "calendar_days"},
                    "counts_as_extension": True,
                    "citation": "x",
                }
            ),
            "needs an extension rule",
        ),
        (
            layer(
                provider_verbal={"amount": 1, "unit": "hours", "start": "provider_verbal_notice"}
            ),
            "provider_verbal",
        ),
        (layer(review={"amount": 24, "unit": "hours", "start": "decision"}), "review clocks"),
        (layer(decision={"amount": -1, "unit": "hours"}), "greater than or equal"),
    ],
)
def test_invalid_rules(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ClockFile.model_validate(data)


def test_overlapping_rules_refused() -> None:
    data = copy.deepcopy(MINIMAL)
    data["rules"].append({**data["rules"][0], "id": "other", "urgency": "urgent"})
    with pytest.raises(ValidationError, match="both apply"):
        ClockFile.model_validate(data)


def test_rules_split_by_date_or_service_class_do_not_overlap() -> None:
    data = copy.deepcopy(MINIMAL)
    first = data["rules"][0]
    first["in_force_until"] = "2025-12-31"
    data["rules"].append(
        {**first, "id": "later", "in_force_until": None, "in_force_from": "2026-01-01"}
    )
    data["rules"].append(
        {**first, "id": "drug", "in_force_until": None, "service_class": "part_b_drug"}
    )
    assert len(ClockFile.model_validate(data).rules) == 3


def test_duplicate_rule_ids_refused() -> None:
    data = copy.deepcopy(MINIMAL)
    data["rules"].append({**data["rules"][0], "kinds": ["post_service"]})
    with pytest.raises(ValidationError, match="used twice"):
        ClockFile.model_validate(data)


def test_notice_forms() -> None:
    plain = Notice.model_validate({"amount": 1, "unit": "business_days", "start": "decision"})
    assert [o for o, _ in plain.clocks()] == [None]
    split = Notice.model_validate({"denial": {"amount": 1, "unit": "hours"}})
    assert [o for o, _ in split.clocks()] == [Outcome.DENIAL]
    with pytest.raises(ValidationError, match="not both"):
        Notice.model_validate(
            {
                "any_outcome": {"amount": 1, "unit": "hours"},
                "denial": {"amount": 1, "unit": "hours"},
            }
        )
    with pytest.raises(ValidationError):
        Notice.model_validate({})


def test_cross_check_reports_unknown_lines_of_business() -> None:
    class Lob:
        def __init__(self, id: str) -> None:
            self.id = id

    class Manifest:
        lines_of_business = [Lob("medi-cal")]

    data = copy.deepcopy(MINIMAL)
    data["lines_of_business"] = ["medi-cal", "medicare"]
    problems = ClockFile.cross_check(ClockFile.model_validate(data), Manifest(), None)  # type: ignore[arg-type]
    assert problems == [
        (
            "lines_of_business[1]",
            "unknown line of business 'medicare'; pack.yaml defines ['medi-cal']",
        )
    ]


def test_clocks_section_is_registered() -> None:
    import openum.packs.sections  # noqa: F401

    assert SECTION_MODELS["clocks"] is ClockFile


@pytest.mark.parametrize(
    "rel", sorted(str(p.relative_to(PACKS)) for p in PACKS.glob("*/clocks/*.yaml"))
)
def test_shipped_layer_files_are_valid(rel: str) -> None:
    ClockFile.model_validate(yaml.safe_load((PACKS / rel).read_text()))


@pytest.mark.parametrize(
    ("folder", "lobs"),
    [("partnership-medi-cal", {"medi-cal"}), ("allways-commercial", {"commercial", "qhp"})],
)
def test_real_pack_loads_its_clocks(folder: str, lobs: set[str]) -> None:
    """Through the real loader, when the rest of the pack (written by others) is in place."""
    path = Path(PACKS / folder)
    if not (path / "pack.yaml").exists():
        pytest.skip("pack.yaml not written yet")
    try:
        pack = load_pack(path)
    except PackLoadError as exc:
        ours = [e for e in exc.errors if e.file.startswith("clocks/")]
        assert not ours, ours
        pytest.skip(f"pack has errors outside clocks/: {exc.errors[:3]}")
    layers = pack.sections["clocks"]
    assert layers and all(set(f.lines_of_business) <= lobs for f in layers.values())


def test_loader_reports_unknown_line_of_business(tmp_path: Path) -> None:
    src = PACKS / "partnership-medi-cal"
    if not (src / "pack.yaml").exists():
        pytest.skip("pack.yaml not written yet")
    import shutil

    dst = tmp_path / "pack"
    shutil.copytree(src, dst)
    bad = copy.deepcopy(MINIMAL)
    bad["lines_of_business"] = ["medicaid-nc"]
    (dst / "clocks" / "zz-bad.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(PackLoadError) as err:
        load_pack(dst)
    ours = [e for e in err.value.errors if e.file == "clocks/zz-bad.yaml"]
    if not ours and any(not e.file.startswith("clocks/") for e in err.value.errors):
        pytest.skip("pack has errors outside clocks/")
    assert [(e.path, "medicaid-nc" in e.message) for e in ours] == [("lines_of_business[0]", True)]
