"""The CI examples cannot rot: their `run:` / `script:` steps run against the simulator.

Install steps are skipped (the tool is installed already); `gh` and `curl` are stubs that
record what the workflow asked of GitHub or GitLab.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import EXAMPLES

CI = EXAMPLES / "ci"
GH_STUB = """#!/bin/sh
echo "gh $*" >> "$STUB_LOG"
case "$*" in
  *--paginate*) [ -n "$STUB_EXISTING" ] && echo "$STUB_EXISTING" ;;
  "issue list"*) [ -n "$STUB_ISSUE" ] && echo "$STUB_ISSUE" ;;
esac
exit 0
"""
CURL_STUB = """#!/bin/sh
echo "curl $*" >> "$STUB_LOG"
case "$*" in
  *"-X "*) ;;
  *) echo "${STUB_NOTES:-[]}" ;;
esac
exit 0
"""


@pytest.fixture
def workspace(tmp_path: Path, sim: Any, token: str) -> dict[str, Any]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gh", GH_STUB), ("curl", CURL_STUB)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    config = (EXAMPLES / "home-min.yaml").read_text().replace(
        "server: eu", f"server: {sim.url}")
    (repo / "inverters.yaml").write_text(config)
    tool_dir = Path(sys.executable).parent  # where growatt-reconcile is installed
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{tool_dir}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "GROWATT_TOKEN": token, "CONFIG": "inverters.yaml",
           "GROWATT_READ_INTERVAL": "0", "STUB_LOG": str(tmp_path / "stub.log"),
           "NO_COLOR": "1"}
    assert shutil.which("growatt-reconcile", path=env["PATH"]), "the tool is not installed"
    return {"repo": repo, "env": env, "log": tmp_path / "stub.log"}


def run_steps(steps: list[tuple[str, str]], workspace: dict[str, Any],
              extra: dict[str, str]) -> list[int]:
    codes = []
    for _name, script in steps:
        result = subprocess.run(["bash", "-eo", "pipefail", "-c", script],
                                cwd=workspace["repo"], env={**workspace["env"], **extra},
                                capture_output=True, text=True, timeout=120)
        codes.append(result.returncode)
        assert "Traceback" not in result.stderr, result.stderr
    return codes


def github_steps(job: str) -> list[tuple[str, str]]:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = workflow["jobs"][job]["steps"]
    return [(step.get("name", ""), step["run"]) for step in steps
            if "run" in step and not step.get("name", "").startswith("Install")]


def gitlab_steps(job: str) -> list[tuple[str, str]]:
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    return [(job, line) for line in pipeline[job]["script"]]


def log(workspace: dict[str, Any]) -> str:
    path: Path = workspace["log"]
    return path.read_text() if path.exists() else ""


def test_github_pull_request_plan_comment_is_posted_then_updated(
        workspace: dict[str, Any]) -> None:
    pr = {"GITHUB_REPOSITORY": "me/config", "PR_NUMBER": "7", "GH_TOKEN": "x"}
    assert run_steps(github_steps("plan"), workspace, pr) == [0, 0, 0]
    plan = (workspace["repo"] / "plan.md").read_text()
    assert plan.startswith("<!-- growatt-reconcile-plan -->")
    assert "garage" in plan
    assert "-X POST repos/me/config/issues/7/comments" in log(workspace)
    run_steps(github_steps("plan"), workspace, {**pr, "STUB_EXISTING": "42"})
    assert "-X PATCH repos/me/config/issues/comments/42" in log(workspace)


def test_github_merge_applies_and_nightly_drift_job_reports(workspace: dict[str, Any],
                                                            sim: Any) -> None:
    drift = run_steps(github_steps("drift"), workspace, {"GH_TOKEN": "x"})
    assert drift == [2]  # the inverters differ from the file: drift
    assert "gh issue create --title Inverters drifted from inverters.yaml" in log(workspace)
    assert run_steps(github_steps("apply"), workspace, {}) == [0, 0]
    assert any(r["endpoint"] == "tlxSet" for r in sim.requests)
    assert run_steps(github_steps("drift"), workspace, {"GH_TOKEN": "x"}) == [0]


def test_github_apply_job_never_runs_twice_at_once() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    assert workflow["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False
    assert "secrets.GROWATT_TOKEN" in workflow["env"]["GROWATT_TOKEN"]


def test_gitlab_jobs(workspace: dict[str, Any], sim: Any) -> None:
    mr = {"CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_PROJECT_ID": "5",
          "CI_MERGE_REQUEST_IID": "3", "GITLAB_API_TOKEN": "x"}
    assert run_steps(gitlab_steps("plan"), workspace, mr) == [0, 0, 0]
    assert "-X POST" in log(workspace) and "merge_requests/3/notes" in log(workspace)
    notes = '[{"id": 9, "body": "<!-- growatt-reconcile-plan --> old"}]'
    run_steps(gitlab_steps("plan"), workspace, {**mr, "STUB_NOTES": notes})
    assert "-X PUT" in log(workspace) and "notes/9" in log(workspace)
    assert run_steps(gitlab_steps("drift"), workspace, {}) == [2]
    assert run_steps(gitlab_steps("apply"), workspace, {}) == [0, 0]
    assert run_steps(gitlab_steps("drift"), workspace, {}) == [0]
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert pipeline["apply"]["resource_group"]
