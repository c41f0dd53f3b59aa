"""Fixtures for letter tests: the two reference packs, loaded once, and PDF text helpers."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from openum.packs.loader import PlanPack, load_pack
from openum.settings import REPO_ROOT
from tests.letters.samples import ALLWAYS, PARTNERSHIP

PACKS_DIR = REPO_ROOT / "packs"


@pytest.fixture(scope="session")
def packs() -> dict[str, PlanPack]:
    """plan id -> the shipped pack."""
    return {name: load_pack(PACKS_DIR / name) for name in (PARTNERSHIP, ALLWAYS)}


@pytest.fixture
def pack_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a shipped pack to tmp_path so a test can edit its letters."""
    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(PACKS_DIR / name, dest)
        return dest
    return copy


def pdf_text(pdf: bytes) -> str:
    """All pages' text with whitespace collapsed, so phrases that wrap across lines still match."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def pdf_text_runs(pdf: bytes) -> list[tuple[str, float]]:
    """Every run of text on every page with its size in points (WeasyPrint scales px by the CTM)."""
    runs: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            runs.append((text.strip(), round(size * abs(tm[0]) * abs(cm[0]), 1)))

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return runs


def pdf_font_sizes(pdf: bytes, *, skip: frozenset[str] = frozenset()) -> list[float]:
    """The size of every run of text; `skip` leaves out runs by their text (e.g. the logo's words)."""
    return [size for text, size in pdf_text_runs(pdf) if text not in skip]
