"""The token never appears in output, files or logs; the source keeps to safe calls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Cli

ROOT = Path(__file__).resolve().parent.parent


def every_file_text(root: Path) -> dict[Path, str]:
    return {path: path.read_text(errors="replace") for path in root.rglob("*")
            if path.is_file()}


def test_no_command_and_no_error_path_shows_the_token(
        tmp_path: Path, sim_factory: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    good = sim_factory(tokens=(token,), request_log=tmp_path / "good.jsonl",
                       faults=("http500@device/mix/mix_data_info*1",))
    (tmp_path / "work").mkdir()
    cli = Cli(tmp_path / "work", good, capsys, monkeypatch, token)
    config = cli.example("fleet")
    runs = [
        cli("validate", config, server=False),
        cli("validate", config, "--explain", "garage-2", server=False),
        cli("schema", server=False),
        cli("plan", config),
        cli("plan", config, "--format", "json"),
        cli("plan", config, "--format", "markdown", "--verbose"),
        cli("show", server=False),
        cli("apply", "--format", "json"),
        cli("plan", config),
        cli("apply", config, "--auto-approve"),
        cli("export"),
        cli("status", config),
        cli("status", config, "--format", "json"),
    ]
    good.set_offline(["MIN0000001"])
    runs.append(cli("apply", config, "--auto-approve"))
    good.set_faults(["timeout@tlxSet:1", "html@device/tlx/tlx_set_info:0.5", "badjson:0.2",
                     "reset@plant/list*1"])
    runs.append(cli("plan", config, "--target", "bakery"))
    wrong = sim_factory(tokens=("another-token",), request_log=tmp_path / "wrong.jsonl")
    cli.server = wrong
    runs += [cli("plan", config), cli("export"), cli("status", config)]
    assert any(run.code != 0 for run in runs)  # error paths were taken
    assert any("PermissionDeniedError" in run.out for run in runs)
    for run in runs:
        assert token not in run.out
        assert token not in run.err
    for path, text in every_file_text(tmp_path).items():
        assert token not in text, f"the token leaked into {path}"


SOURCE_RULES = [
    (re.compile(r"verify\s*=\s*False"), "TLS verification must stay on"),
    (re.compile(r"shell\s*=\s*True"), "no shell=True"),
    (re.compile(r"yaml\.load\((?![^)]*SafeLoader)"), "only safe YAML loading"),
    (re.compile(r"(?<![\w.])eval\("), "no eval"),
    (re.compile(r"(?<![\w.])exec\("), "no exec"),
    (re.compile(r"pickle\.loads?\("), "no pickle"),
]


@pytest.mark.parametrize("pattern, rule", SOURCE_RULES, ids=[r for _, r in SOURCE_RULES])
def test_source_keeps_to_safe_calls(pattern: re.Pattern[str], rule: str) -> None:
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in sorted((ROOT / "reconciler").rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == [], f"{rule}: {offenders}"


def test_plain_http_only_to_loopback() -> None:
    from reconciler.growatt.servers import ServerError, base_url

    assert base_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/"
    assert base_url("http://localhost:1/v1/")
    for unsafe in ("http://openapi.growatt.com/v1/", "http://10.0.0.5/v1/",
                   "ftp://x/v1/", "openapi.growatt.com"):
        with pytest.raises(ServerError):
            base_url(unsafe)
