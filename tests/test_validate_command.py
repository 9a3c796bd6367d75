"""`growatt-reconcile validate` and `schema` as people and CI use them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.config import json_schema
from reconciler.devices.params import PARAMS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
NOTE = """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    settings: {on_off: true, charge_power: 80}
"""


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths as people type them: examples/fleet.yaml


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_clean_as_a_process(path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]  # one line
    assert ": valid, " in result.stdout and "warning" not in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_point_editors_at_the_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/inverters.schema.json"


def test_summary_counts_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "examples/fleet.yaml")
    assert code == 0
    assert out == ("examples/fleet.yaml: valid, 12 inverters (7 MIN, 3 SPH, 2 of type found "
                   "at plan time)\n")


def test_notes_are_shown_and_counted(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inverters.yaml"
    path.write_text(NOTE)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    first, summary = out.splitlines()
    assert first.startswith(f"{path}:6:16: note: on_off is a dangerous setting")
    assert "--allow-dangerous" in first
    assert summary == f"{path}: valid, 1 inverter (1 MIN), 1 note"


def test_errors_one_per_line_then_a_summary(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inverters.yaml"
    path.write_text(NOTE.replace("charge_power: 80", "charge_power: 180") +
                    "  shed:\n    serial: min1234567\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:6:16: note: on_off is a dangerous setting (inverter on (true) or off "
        "(false)): plan shows it, apply writes it only with --allow-dangerous",
        f"{path}:6:44: charge_power must be from 0 to 100 %, not 180",
        f"{path}:8:13: 'min1234567' is not a Growatt serial number: expected 10 capital "
        "letters and digits, like MIN1234567: write it in capitals, 'MIN1234567'",
        f"{path}: invalid, 2 errors, 1 note",
    ]


def test_json_lists_errors_and_notes(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inverters.yaml"
    path.write_text(NOTE.replace("charge_power: 80", "charge_power: 180"))
    code, out, _ = run(capsys, "validate", str(path), "--format", "json")
    assert code == 1
    assert [(p["line"], p["column"], p["severity"]) for p in json.loads(out)] == [
        (6, 16, "note"), (6, 44, "error")]


def test_explain_an_sph_by_serial(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "examples/home-sph.yaml", "--explain",
                       "SPH7654321", "--date", "2027-05-01")
    assert code == 0
    assert out.splitlines() == [
        "shed (SPH7654321), sph, on 2027-05-01",
        "  defined at examples/home-sph.yaml:12:3",
        "  time_segments: not managed",
        "  ac_charge: power 100 %, stop SOC 90 %, from grid: True",
        "    period 00:30-04:30",
        "  ac_discharge: power 100 %, stop SOC 20 %",
        "    period 17:00-21:00",
        "  settings:",
        '    export_limit: {"enabled": true, "percent": 60}',
    ]


def test_explain_suggests_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "examples/fleet.yaml", "--explain", "bakry")
    assert code == 1
    assert "did you mean 'bakery'?" in err


def test_missing_file_is_a_located_problem(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(tmp_path / "inverters.yaml"))
    assert code == 1
    assert out.startswith(f"{tmp_path / 'inverters.yaml'}:1:1: no such file")


def test_schema_narrows_settings_per_family() -> None:
    defs = json_schema()["$defs"]
    assert set(defs["SettingsMin"]["properties"]) == set(PARAMS["min"])
    assert set(defs["SettingsSph"]["properties"]) == set(PARAMS["sph"])
    assert set(defs["Settings"]["properties"]) == set(PARAMS["min"]) | set(PARAMS["sph"])
    assert defs["SettingsMin"]["properties"]["on_off"]["x-dangerous"] is True
    assert defs["SettingsMin"]["properties"]["charge_power"] == {
        "type": "integer", "minimum": 0, "maximum": 100,
        "description": "battery charge power, % of rated (MIN)."}
    rules = {rule["if"]["properties"]["type"]["const"]: rule["then"]["properties"]
             for rule in defs["InverterModel"]["allOf"]}
    assert rules["min"]["ac_charge"] is False and rules["sph"]["time_segments"] is False
    assert "first whose dates include the day" in (
        defs["InverterModel"]["properties"]["profile"]["description"])


def test_committed_schema_is_the_command_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == (ROOT / "schemas" / "inverters.schema.json").read_text()
