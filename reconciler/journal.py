"""The apply journal: append-only JSON lines, flushed to disk one by one.

A write is journalled twice: `write-start` before it is sent and `write-done` after the
answer. A start without a done (the process was killed in between) means "sent, not known
whether it reached the inverter": the journal never claims more than it knows.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Journal:
    """Appends events of one apply run; safe to call from several threads."""

    def __init__(self, path: Path, run_id: str | None = None) -> None:
        self.path = path
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps({"time": now_iso(), "run": self.run_id, "event": event, **fields},
                          sort_keys=True, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable event; a line cut short by a kill is skipped, not fatal."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event


@dataclass(frozen=True)
class PastWrite:
    run: str
    time: str
    path: str
    after: Any


def past_writes(path: Path, serial: str) -> list[PastWrite]:
    """Writes to `serial` that the cloud accepted, oldest first."""
    return [PastWrite(run=str(e.get("run")), time=str(e.get("time")), path=str(e.get("path")),
                      after=e.get("after"))
            for e in read_events(path)
            if e.get("event") == "write-done" and e.get("serial") == serial
            and e.get("result") == "ok"]


def last_write_per_path(path: Path, serial: str) -> dict[str, PastWrite]:
    latest: dict[str, PastWrite] = {}
    for write in past_writes(path, serial):
        latest[write.path] = write
    return latest


def is_fight(history: list[PastWrite], field: str, value: Any) -> bool:
    """True when our last two applies both wrote `value` to `field` and it was changed back
    after each: a third write would only continue the fight."""
    runs: list[str] = []
    for write in reversed(history):
        if write.path != field:
            continue
        if write.after != value:
            break
        if write.run not in runs:
            runs.append(write.run)
        if len(runs) == 2:
            return True
    return False


def unconfirmed_expectations(path: Path, serial: str) -> dict[str, Any] | None:
    """The expected state of the last apply that left `serial` applied-unconfirmed, if the
    device has had no later result."""
    last: dict[str, Any] | None = None
    for event in read_events(path):
        if event.get("event") == "device-result" and event.get("serial") == serial:
            last = event
    if last and last.get("outcome") == "applied-unconfirmed":
        expected = last.get("expected")
        return {"time": last.get("time"), "expected": expected} if expected else None
    return None
