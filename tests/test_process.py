"""The command as a separate process: Ctrl-C and SIGKILL in the middle of an apply."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, writes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def command(workdir: Path, server: Any, token: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GROWATT_TOKEN": token, "GROWATT_READ_INTERVAL": "0", "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "reconciler", *args, "--server", server.url],
                            cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def journal(workdir: Path) -> list[dict[str, Any]]:
    """Lines a kill may have cut short are skipped, as the tool itself does."""
    events = []
    for line in (workdir / ".growatt-reconcile" / "journal.jsonl").read_text().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


@pytest.fixture
def slow_sim(sim_factory: Any) -> Any:
    return sim_factory(latency_ms=120)


def planned(workdir: Path, server: Any, token: str) -> None:
    shutil.copy(EXAMPLES / "fleet.yaml", workdir / "fleet.yaml")
    code, _out, err = finish(command(workdir, server, token, "plan", "fleet.yaml"))
    assert code == 0, err


def converges(workdir: Path, server: Any, token: str) -> None:
    code, out, err = finish(command(workdir, server, token, "apply", "fleet.yaml",
                                    "--auto-approve"))
    assert code == 0, out + err
    code, out, _ = finish(command(workdir, server, token, "plan", "fleet.yaml",
                                  "--detailed-exitcode"))
    assert code == 0, out


def test_ctrl_c_finishes_writes_under_way_and_starts_no_new_one(
        tmp_path: Path, slow_sim: Any, token: str) -> None:
    planned(tmp_path, slow_sim, token)
    process = command(tmp_path, slow_sim, token, "apply", "--parallelism", "2")
    deadline = time.monotonic() + 20
    while not writes(slow_sim) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    code, out, err = finish(process)
    assert code == 130, out + err
    assert "Traceback" not in err
    events = journal(tmp_path)
    assert events[-1]["event"] == "run-end" and events[-1]["interrupted"] is True
    started = [e for e in events if e["event"] == "write-start"]
    done = [e for e in events if e["event"] == "write-done"]
    assert len(started) == len(done)  # every write under way was finished and recorded
    assert len(done) == len(writes(slow_sim))
    assert len(done) < 17  # it stopped before the end
    assert "interrupted" in out
    converges(tmp_path, slow_sim, token)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_leaves_a_journal_that_tells_what_reached_each_inverter(
        tmp_path: Path, slow_sim: Any, token: str, seed: int) -> None:
    planned(tmp_path, slow_sim, token)
    process = command(tmp_path, slow_sim, token, "apply")
    time.sleep(random.Random(seed).uniform(0.3, 1.5))
    process.kill()
    finish(process)
    time.sleep(0.3)  # requests the simulator was still answering
    events = journal(tmp_path) if (tmp_path / ".growatt-reconcile" / "journal.jsonl").exists() \
        else []
    done = [(e["serial"], e["type"], tuple(e["params"])) for e in events
            if e["event"] == "write-done" and e["result"] == "ok"]
    started = [(e["serial"], e["type"], tuple(e["params"])) for e in events
               if e["event"] == "write-start"]
    reached = [(r["fields"].get("tlx_sn") or r["fields"].get("mix_sn"), r["fields"]["type"])
               for r in writes(slow_sim) if r["error_code"] == 0]
    # Every write the journal calls done reached the cloud; the ones reached but not yet
    # marked done are the ones whose start is journalled without an end.
    done_writes = Counter((s, t) for s, t, _ in done)
    reached_writes = Counter(reached)
    assert done_writes <= reached_writes
    unknown = Counter((s, t) for s, t, _ in started) - done_writes
    assert reached_writes - done_writes <= unknown
    converges(tmp_path, slow_sim, token)


def test_two_applies_on_one_state_directory_the_lock_holds(tmp_path: Path, slow_sim: Any,
                                                           token: str) -> None:
    planned(tmp_path, slow_sim, token)
    first = command(tmp_path, slow_sim, token, "apply")
    lock = tmp_path / ".growatt-reconcile" / "apply.lock"
    deadline = time.monotonic() + 20
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = command(tmp_path, slow_sim, token, "apply")
    code, out, err = finish(second)
    assert code == 1
    assert f"pid {first.pid}" in err and "another apply holds" in err
    assert finish(first)[0] == 0
    code, out, err = finish(command(tmp_path, slow_sim, token, "plan", "fleet.yaml",
                                    "--detailed-exitcode"))
    assert code == 0, out


def test_two_state_directories_against_one_cloud_both_converge(tmp_path: Path, slow_sim: Any,
                                                               token: str) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    planned(one, slow_sim, token)
    planned(two, slow_sim, token)
    runs = [command(folder, slow_sim, token, "apply") for folder in (one, two)]
    results = [finish(run) for run in runs]
    for code, out, err in results:
        assert code == 0, out + err  # same wishes: the second writes are harmless repeats
    for folder in (one, two):
        code, out, _ = finish(command(folder, slow_sim, token, "plan", "fleet.yaml",
                                      "--detailed-exitcode"))
        assert code == 0, out
