"""The desired-state file: every bad file reports each problem at its place, in one run.

Each file in tests/bad_configs/ starts with `# expect: LINE:COL: fragment` lines; every one
must match a problem of the ConfigError that `load_config` raises. Files whose expected
place or message the loader gets wrong today are listed in KNOWN_BUGS (strict xfail).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main
from reconciler.config import ConfigError, Problem, json_schema, load_config

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad_configs"
EXAMPLES = ROOT / "examples"
EXPECT = re.compile(r"^# expect: (?P<line>\d+):(?P<column>\d+)"
                    r"(?:: | (?P<severity>error|warning|note): )(?P<fragment>.+?)\s*$")

KNOWN_BUGS: dict[str, str] = {}


@dataclass(frozen=True)
class Expected:
    line: int
    column: int
    fragment: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.severity}: {self.fragment}"

    def matches(self, problem: Problem) -> bool:
        return (problem.line, problem.column, problem.severity) == (
            self.line, self.column, self.severity) and self.fragment in problem.message


def expectations(path: Path) -> list[Expected]:
    """The `# expect:` lines of the file's leading comments. Both `LINE:COL: fragment`
    (an error) and `LINE:COL SEVERITY: fragment` are understood."""
    found = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("#"):
            break
        match = EXPECT.match(text)
        if match:
            found.append(Expected(int(match["line"]), int(match["column"]),
                                  match["fragment"], match["severity"] or "error"))
    return found


def bad_files() -> list[Any]:
    params = []
    for path in sorted(BAD.glob("*.yaml")):
        marks = []
        if path.name in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[path.name]))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def problems_of(path: Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)
    problems = caught.value.problems
    assert problems, "a ConfigError must list at least one problem"
    return problems


def render(problems: list[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems)


def test_bad_configs_directory_is_complete() -> None:
    files = sorted(BAD.glob("*.yaml"))
    assert len(files) >= 45
    for path in files:
        assert expectations(path), f"{path.name} has no `# expect:` line"
    assert sum(len(expectations(path)) > 1 for path in files) >= 3
    assert set(KNOWN_BUGS) <= {path.name for path in files}


@pytest.mark.parametrize("path", bad_files())
def test_bad_config_reports_each_expected_problem(path: Path) -> None:
    expected = expectations(path)
    if any(e.severity == "error" for e in expected):
        problems = problems_of(path)
    else:  # only warnings or notes expected: the file loads and reports them
        problems = load_config(path).warnings
    for expectation in expected:
        assert any(expectation.matches(p) for p in problems), (
            f"expected {expectation} in:\n{render(problems)}")
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.file == str(path)


# --- files generated here, too big or too odd to commit ---------------------------------


def assert_located(problems: list[Problem]) -> None:
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.message


def test_file_over_one_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text("version: 1\ninverters: {}\n" + filler * (1024 * 1024 // 100 + 10))
    assert path.stat().st_size > 1024 * 1024
    problems = problems_of(path)
    assert_located(problems)
    assert any("larger than" in p.message and (p.line, p.column) == (1, 1) for p in problems)


def test_file_of_exactly_one_mib_is_read(tmp_path: Path) -> None:
    head = "version: 1\ninverters:\n  garage:\n    serial: MIN1234567\n"
    path = tmp_path / "edge.yaml"
    body = head + "#" * (1024 * 1024 - len(head) - 1) + "\n"
    path.write_text(body)
    assert path.stat().st_size == 1024 * 1024
    assert load_config(path).devices[0].serial == "MIN1234567"


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ["version: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", '
             '"lol", "lol"]']
    for level in range(1, 10):
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    lines.append("inverters: {garage: {serial: MIN1234567, settings: {x: *a9}}}")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    problems = problems_of(path)
    assert time.monotonic() - started < 2
    assert_located(problems)
    assert any("alias bomb" in p.message for p in problems), render(problems)


def test_deep_nesting_is_refused_with_a_place(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("version: 1\ninverters: " + "[" * 200 + "]" * 200 + "\n")
    problems = problems_of(path)
    assert_located(problems)
    assert any("nesting deeper than" in p.message and p.line == 2 for p in problems)


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    lines = ["version: 1", "inverters:"]
    lines += [" " * (2 * depth) + f"k{depth}:" for depth in range(1, 201)]
    path = tmp_path / "deep-block.yaml"
    path.write_text("\n".join(lines) + " 1\n")
    problems = problems_of(path)
    assert_located(problems)
    assert any("nesting deeper than" in p.message for p in problems), render(problems)


def test_non_utf8_byte_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\ninverters:\n  gar\xe4ge:\n    serial: MIN1234567\n")
    problems = problems_of(path)
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.line, problem.column) == (3, 6), str(problem)
    assert "not UTF-8" in problem.message and "0xe4" in problem.message


def test_non_utf8_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes("version: 1\n# größe\nx: é".encode() + b"\xff\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.column) == (3, 5), str(problem)


def test_control_character_is_located(tmp_path: Path) -> None:
    path = tmp_path / "control.yaml"
    path.write_text("version: 1\ninverters:\n  garage:\n    serial: MIN\x071234567\n")
    problems = problems_of(path)
    assert any("control character" in p.message and (p.line, p.column) == (4, 16)
               for p in problems), render(problems)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_token_in_a_comment_is_located(tmp_path: Path, newline: str) -> None:
    text = newline.join(["version: 1", "# token 0123456789abcdef0123456789abcdef",
                         "inverters:", "  garage:", "    serial: MIN1234567", ""])
    path = tmp_path / "token.yaml"
    path.write_bytes(text.encode())
    problems = problems_of(path)
    assert any("looks like an API token" in p.message and (p.line, p.column) == (2, 9)
               for p in problems), render(problems)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_keep_places(tmp_path: Path, newline: str) -> None:
    text = newline.join(["version: 1", "inverters:", "  garage:", "    serial: min123", ""])
    path = tmp_path / "endings.yaml"
    path.write_bytes(text.encode())
    problems = problems_of(path)
    assert any("not a Growatt serial" in p.message and (p.line, p.column) == (4, 13)
               for p in problems), render(problems)


def test_missing_file(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nope.yaml")
    assert any("no such file" in p.message for p in problems)


# --- what a valid file means ------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "inverters.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unquoted_times_are_times(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    time_segments:
      - {mode: battery_first, start: 23:30, end: 05:30}
      - mode: grid_first
        start: 17:00
        end: 19:59
""")
    (device,) = load_config(path).devices
    assert device.time_segments is not None
    assert [(s.start, s.end) for s in device.time_segments] == [
        ("23:30", "23:59"), ("00:00", "05:30"), ("17:00", "19:59")]


def test_unquoted_sph_periods_are_times(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inverters:
  shed:
    serial: SPH7654321
    type: sph
    ac_charge:
      power: 100
      stop_soc: 90
      periods:
        - {start: 00:30, end: 04:30}
""")
    (device,) = load_config(path).devices
    assert device.ac_charge is not None
    assert [(p.start, p.end) for p in device.ac_charge.periods] == [("00:30", "04:30")]


def test_end_24_00_means_end_of_day(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    time_segments:
      - {mode: load_first, start: "00:00", end: "24:00"}
""")
    (device,) = load_config(path).devices
    assert device.time_segments is not None
    assert [(s.start, s.end) for s in device.time_segments] == [("00:00", "23:59")]


def test_disabled_segments_may_overlap_and_touch(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    time_segments:
      - {mode: battery_first, start: "02:00", end: "05:00"}
      - {mode: grid_first, start: "05:00", end: "07:00", enabled: false}
""")
    (device,) = load_config(path).devices
    assert device.time_segments is not None
    assert [s.enabled for s in device.time_segments] == [True, False]


def test_profile_merge_inverter_wins(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
profiles:
  base:
    settings: {charge_power: 90, ac_charge: true}
inverters:
  garage:
    serial: MIN1234567
    type: min
    profile: base
    settings: {charge_power: 50}
""")
    (device,) = load_config(path).devices
    assert device.settings == {"charge_power": 50, "ac_charge": True}
    assert device.profiles == ["base"]


def test_problem_str_is_file_line_column_message(tmp_path: Path) -> None:
    path = BAD / "version_2.yaml"
    problems = problems_of(path)
    assert str(problems[0]).startswith(f"{path}:2:10: ")


# --- the validate command ---------------------------------------------------------------


EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLE_FILES} >= {"home-min.yaml", "home-sph.yaml",
                                                "fleet.yaml"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_load_on_every_month(path: Path) -> None:
    for month in range(1, 13):
        config = load_config(path, on_date=date(2027, month, 15))
        assert config.devices


def test_validate_json_lists_problems(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "multi_schema.yaml"
    assert main(["validate", str(path), "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert isinstance(problems, list) and len(problems) >= 4
    for problem in problems:
        assert set(problem) == {"file", "line", "column", "severity", "message"}
        assert problem["file"] == str(path)
        assert isinstance(problem["line"], int) and problem["line"] >= 1
        assert isinstance(problem["column"], int) and problem["column"] >= 1
        assert problem["severity"] in ("error", "warning", "note")
        assert isinstance(problem["message"], str) and problem["message"]
    assert {"line": 6, "column": 1} in [
        {"line": p["line"], "column": p["column"]} for p in problems]


def test_validate_json_of_a_valid_file_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "home-sph.yaml"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_validate_text_reports_count(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "multi_schema.yaml"
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert f"{path}:6:1: unknown key 'acount'" in output
    assert re.search(r"\b4 (problems|errors)\b", output), output


def test_explain_shows_midnight_split(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "home-min.yaml"
    assert main(["validate", str(path), "--explain", "garage", "--date", "2027-01-15"]) == 0
    out = capsys.readouterr().out
    assert "garage (MIN1234567)" in out
    assert "profiles: winter" in out
    assert re.search(r"battery_first\s+23:00-23:59.*23:00-06:00 across midnight.*part 1 of 2",
                     out), out
    assert re.search(r"battery_first\s+00:00-06:00.*part 2 of 2", out), out
    assert "charge_power: 90" in out


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "home-min.yaml"
    assert main(["validate", str(path), "--explain", "garage", "--date", "2027-01-15",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2027-01-15"
    assert [(s["start"], s["end"]) for s in data["time_segments"]][:2] == [
        ("23:00", "23:59"), ("00:00", "06:00")]


def test_date_chooses_summer_profile(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "home-min.yaml"
    assert main(["validate", str(path), "--explain", "garage", "--date", "2027-06-01"]) == 0
    out = capsys.readouterr().out
    assert "on 2027-06-01" in out
    assert "profiles: summer" in out and "winter" not in out.split("profiles:")[1].split(
        "\n")[0]
    assert "grid_first    18:00-20:59" in out
    assert "23:00" not in out
    assert "next seasonal switch: 2027-10-01" in out


def test_date_is_used_by_load_config() -> None:
    config = load_config(EXAMPLES / "home-min.yaml", on_date=date(2027, 6, 1))
    (device,) = config.devices
    assert device.profiles == ["summer"]
    assert device.settings["ac_charge"] is False
    assert device.settings["discharge_stop_soc"] == 10


def test_bad_date_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "home-min.yaml"), "--date", "2027-13-01"]) != 0


def test_explain_unknown_inverter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "home-min.yaml"), "--explain", "nobody"]) != 0


SEASON_GAP = """\
version: 1
profiles:
  winter:
    settings: {charge_power: 90}
  summer:
    settings: {charge_power: 50}
inverters:
  garage:
    serial: MIN1234567
    type: min
    profile:
      - {use: winter, from: "11-01", until: "02-28"}
      - {use: summer, from: "05-01", until: "08-31"}
"""


def test_season_gap_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SEASON_GAP)
    config = load_config(path, on_date=date(2027, 1, 10))
    assert [w.severity for w in config.warnings] == ["warning"]
    (warning,) = config.warnings
    assert (warning.line, warning.column) == (11, 5), str(warning)  # the key
    assert "02-29" in warning.message or "03-01" in warning.message
    assert main(["validate", str(path), "--date", "2027-01-10"]) == 0
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "1 warning" in output
    assert f"{path}:11:5: warning: " in output


def test_season_gap_day_without_profile_loads(tmp_path: Path) -> None:
    path = write(tmp_path, SEASON_GAP)
    (device,) = load_config(path, on_date=date(2027, 4, 1)).devices
    assert device.profiles == []
    assert device.settings == {}


def test_fallback_entry_means_no_gap(tmp_path: Path) -> None:
    path = write(tmp_path, SEASON_GAP + "      - {use: summer}\n")
    assert load_config(path, on_date=date(2027, 1, 10)).warnings == []


def test_problems_of_other_seasons_count(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
profiles:
  winter:
    settings: {charge_power: 90}
  summer:
    settings: {charge_powr: 50}
inverters:
  garage:
    serial: MIN1234567
    type: min
    profile:
      - {use: winter, from: "10-01", until: "03-31"}
      - {use: summer}
""")
    problems = problems_of(path, on_date=date(2027, 1, 10))
    assert any((p.line, p.column) == (6, 16) and "charge_powr" in p.message
               for p in problems), render(problems)


def test_dangerous_setting_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    settings: {on_off: true}
""")
    (warning,) = load_config(path).warnings
    assert warning.severity in ("warning", "note")
    assert "dangerous" in warning.message and warning.line == 6


# --- the schema ---------------------------------------------------------------------------


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "schemas" / "inverters.schema.json").read_text())
    assert committed == json_schema(), (
        "schemas/inverters.schema.json is stale: regenerate it with "
        "`growatt-reconcile schema > schemas/inverters.schema.json`")


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_schema_knows_every_setting() -> None:
    from reconciler.devices.params import PARAMS

    text = json.dumps(json_schema())
    for params in PARAMS.values():
        for name in params:
            assert f'"{name}"' in text


def test_examples_use_only_schema_keys() -> None:
    schema = json_schema()
    top = set(schema["properties"])
    for path in EXAMPLE_FILES:
        data = yaml.safe_load(path.read_text())
        assert set(data) <= top, path


def test_validate_json_of_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SEASON_GAP)
    assert main(["validate", str(path), "--format", "json", "--date", "2027-01-10"]) == 0
    (warning,) = json.loads(capsys.readouterr().out)
    assert set(warning) == {"file", "line", "column", "severity", "message"}
    assert (warning["line"], warning["column"], warning["severity"]) == (11, 5, "warning")


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "absent.yaml")]) == 1
    captured = capsys.readouterr()
    assert "no such file" in captured.out + captured.err


def test_unknown_profile_key_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
profiles:
  base:
    setings: {charge_power: 90}
inverters:
  garage:
    serial: MIN1234567
    profile: base
""")
    problems = problems_of(path)
    assert any((p.line, p.column) == (4, 5) and "did you mean 'settings'" in p.message
               for p in problems), render(problems)
