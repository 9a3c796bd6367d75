"""Running the command line in-process against a simulator, as a user would."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Figures the reliability suite prints at the end of the run (tests/test_faults.py); here,
# not in conftest.py, because pytest loads conftest under another module name.
FIGURES: dict[str, int] = {"runs": 0, "faults injected": 0, "devices": 0, "converged": 0,
                           "tokens leaked": 0}


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    """`growatt-reconcile ...` in a working directory of its own, with a token set."""

    def __init__(self, workdir: Path, server: Any, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch, token: str) -> None:
        self.workdir, self.server, self.capsys = workdir, server, capsys
        monkeypatch.chdir(workdir)
        monkeypatch.setenv("GROWATT_TOKEN", token)
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("GROWATT_READ_INTERVAL", "0")  # the simulator has no window

    def __call__(self, *args: str, server: bool = True) -> Result:
        argv = list(args)
        if server and "--server" not in argv:
            argv += ["--server", self.server.url]
        self.capsys.readouterr()
        code = main(argv)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def example(self, name: str) -> str:
        """Copy an example into the working directory (plans record its path)."""
        target = self.workdir / f"{name}.yaml"
        shutil.copy(EXAMPLES / f"{name}.yaml", target)
        return target.name

    def write(self, name: str, text: str) -> str:
        (self.workdir / name).write_text(text)
        return name

    @property
    def state_dir(self) -> Path:
        return self.workdir / ".growatt-reconcile"

    def journal(self) -> list[dict[str, Any]]:
        path = self.state_dir / "journal.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() \
            else []


def writes(server: Any) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["endpoint"] in ("tlxSet", "mixSet")]


def settings_reads(server: Any) -> list[dict[str, Any]]:
    return [r for r in server.requests
            if r["endpoint"] in ("device/tlx/tlx_set_info", "device/mix/mix_data_info")]
