"""The journal's guarantees and the state lock, without any device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reconciler.journal import (
    Journal,
    PastWrite,
    is_fight,
    last_write_per_path,
    past_writes,
    read_events,
    unconfirmed_expectations,
)
from reconciler.locking import LockBusyError, state_lock


def test_journal_lines_survive_a_cut_off_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, run_id="r1")
    journal.write("write-done", serial="MIN1234567", path="settings.charge_power",
                  after=80, result="ok")
    with path.open("a") as handle:
        handle.write('{"event": "write-start", "serial": "MIN12')  # killed mid-line
    events = list(read_events(path))
    assert [e["event"] for e in events] == ["write-done"]
    assert past_writes(path, "MIN1234567") == [
        PastWrite(run="r1", time=events[0]["time"], path="settings.charge_power", after=80)]


def test_journal_is_safe_from_threads(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")

    def many(n: int) -> None:
        for i in range(50):
            journal.write("write-done", serial=f"S{n}", path=f"p{i}", result="ok", after=i)

    threads = [threading.Thread(target=many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "j.jsonl").read_text().splitlines()
    assert len(lines) == 200
    assert all(json.loads(line)["event"] == "write-done" for line in lines)


def test_fight_needs_two_runs_writing_the_same_value() -> None:
    one = [PastWrite("a", "t1", "settings.charge_power", 80)]
    two = [*one, PastWrite("b", "t2", "settings.charge_power", 80)]
    assert not is_fight(one, "settings.charge_power", 80)
    assert is_fight(two, "settings.charge_power", 80)
    assert not is_fight(two, "settings.charge_power", 90)  # a new wish is not a fight
    changed = [*two, PastWrite("c", "t3", "settings.charge_power", 70)]
    assert not is_fight(changed, "settings.charge_power", 80)
    same_run = [PastWrite("a", "t1", "x", 1), PastWrite("a", "t2", "x", 1)]
    assert not is_fight(same_run, "x", 1)


def test_last_write_and_unconfirmed(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, run_id="r1")
    journal.write("write-done", serial="S1", path="a", after=1, result="ok")
    journal.write("write-done", serial="S1", path="a", after=2, result="ok")
    journal.write("write-done", serial="S1", path="b", after=3, result="failed")
    assert {p: w.after for p, w in last_write_per_path(path, "S1").items()} == {"a": 2}
    assert unconfirmed_expectations(path, "S1") is None
    journal.write("device-result", serial="S1", outcome="applied-unconfirmed",
                  expected={"a": 2})
    pending = unconfirmed_expectations(path, "S1")
    assert pending is not None and pending["expected"] == {"a": 2}
    journal.write("device-result", serial="S1", outcome="converged", expected=None)
    assert unconfirmed_expectations(path, "S1") is None


def test_lock_excludes_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    lock = tmp_path / "apply.lock"
    with state_lock(lock):
        with pytest.raises(LockBusyError) as info, state_lock(lock, timeout=0.2):
            pass
        assert f"pid {os.getpid()}" in str(info.value)
    assert not lock.exists()


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    lock = tmp_path / "apply.lock"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    import socket

    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout),
                                "started": "earlier"}))
    with state_lock(lock):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_lock_waits_for_a_busy_holder(tmp_path: Path) -> None:
    lock = tmp_path / "apply.lock"
    released = threading.Event()

    def hold() -> None:
        with state_lock(lock):
            released.wait(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    while not lock.exists():
        pass
    with state_lock(lock, timeout=5):
        assert lock.exists()
    thread.join()
