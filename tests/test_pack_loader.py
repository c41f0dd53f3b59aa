"""Plan packs are validated on load, and every error names the file, the path and the problem."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from openum.cli import app as cli
from openum.errors import NoPackInForce
from openum.packs.loader import PackLoadError, load_pack
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT

PACKS = REPO_ROOT / "packs"


def _copy(tmp_path: Path, name: str = "allways-commercial") -> Path:
    dest = tmp_path / name
    shutil.copytree(PACKS / name, dest)
    return dest


def _edit(path: Path, fn) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("name", ["partnership-medi-cal", "allways-commercial"])
def test_reference_packs_load(name: str) -> None:
    pack = load_pack(PACKS / name)
    assert pack.manifest.plan.id == name
    assert pack.catalog.services


def test_error_names_file_path_and_problem(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "services.yaml", lambda d: d["services"][0].update(category="no-such-category"))
    _edit(folder / "pack.yaml", lambda d: d["plan"].update(time_zone="Mars/Olympus"))
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    messages = [str(e) for e in err.value.errors]
    assert any(m.startswith("pack.yaml: plan.time_zone:") and "Mars/Olympus" in m for m in messages)
    # A bad reference is only found once the whole file parses; fix the first error and retry.
    _edit(folder / "pack.yaml", lambda d: d["plan"].update(time_zone="America/New_York"))
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert any(str(e) == "services.yaml: services[0].category: unknown category 'no-such-category'"
               for e in err.value.errors)


def test_unknown_line_of_business_in_requirements_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "services.yaml",
          lambda d: d["services"][0]["requirements"].update({"medicare": "prior_auth"}))
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert any(e.file == "services.yaml" and e.path == "services[0].requirements.medicare"
               for e in err.value.errors)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "calendar.yaml").write_text("weekend: [saturday\nholidays: }\n")
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert err.value.errors[0].file == "calendar.yaml"
    assert "line" in err.value.errors[0].path


def test_type_error_in_a_field_is_reported_with_its_path(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "pack.yaml", lambda d: d.update(effective_from="not-a-date"))
    with pytest.raises(PackLoadError) as err:
        load_pack(folder)
    assert any(e.file == "pack.yaml" and e.path == "effective_from" for e in err.value.errors)


def test_cli_pack_check_reports_errors_and_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["pack", "check", str(PACKS / "partnership-medi-cal")])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    folder = _copy(tmp_path)
    _edit(folder / "services.yaml", lambda d: d["services"][0].update(code="not a code"))
    bad = runner.invoke(cli, ["pack", "check", str(folder)])
    assert bad.exit_code == 1
    assert "services.yaml: services[0].code" in bad.output


def test_version_in_force_at_receipt_governs(tmp_path: Path) -> None:
    """Seed 001: authorization-list changes pass review and take effect on a date."""
    v1 = _copy(tmp_path, "allways-commercial")
    v2 = tmp_path / "allways-commercial-2027"
    shutil.copytree(v1, v2)
    _edit(v2 / "pack.yaml", lambda d: d.update(version="2027.1", effective_from="2027-01-01"))
    registry = PackRegistry([load_pack(v1), load_pack(v2)])
    # 2026-12-31 23:30 in Boston is still 2026 there, though 2027 in UTC.
    assert registry.in_force("allways-commercial", datetime(2027, 1, 1, 4, 30, tzinfo=UTC)).version == "2026.1"
    assert registry.in_force("allways-commercial", datetime(2027, 1, 1, 5, 30, tzinfo=UTC)).version == "2027.1"
    with pytest.raises(NoPackInForce):
        registry.in_force("allways-commercial", datetime(2025, 6, 1, tzinfo=UTC))
