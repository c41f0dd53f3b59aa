"""Fixtures for criteria tests: the shipped policy files, read with the Pydantic model directly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openum.review.criteria import MedicalPolicy, PolicyFile

PACKS_DIR = Path(__file__).resolve().parents[2] / "packs"
PACK_NAMES = ("partnership-medi-cal", "allways-commercial")


def _read(pack: str) -> dict[str, PolicyFile]:
    folder = PACKS_DIR / pack / "policies"
    return {
        p.name: PolicyFile.model_validate(yaml.safe_load(p.read_text()))
        for p in sorted(folder.glob("*.yaml"))
    }


@pytest.fixture(scope="session")
def packs_dir() -> Path:
    """The repository's packs/ folder."""
    return PACKS_DIR


@pytest.fixture(scope="session")
def shipped_policy_files() -> dict[str, dict[str, PolicyFile]]:
    """pack name -> file name -> validated PolicyFile, without loading the rest of the pack."""
    return {name: _read(name) for name in PACK_NAMES}


@pytest.fixture(params=PACK_NAMES)
def pack(request: pytest.FixtureRequest) -> str:
    """Each reference pack in turn."""
    return str(request.param)


@pytest.fixture
def policies(
    pack: str, shipped_policy_files: dict[str, dict[str, PolicyFile]]
) -> dict[str, MedicalPolicy]:
    """The current pack's policies by id (each shipped policy has one version)."""
    return {p.id: p for f in shipped_policy_files[pack].values() for p in f.policies}


@pytest.fixture
def lob(pack: str) -> str:
    """A line of business of the current pack."""
    return {"partnership-medi-cal": "medi-cal", "allways-commercial": "commercial"}[pack]
