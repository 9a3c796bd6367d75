"""A lock in the state directory so two applies never run against the same state at once."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class LockBusyError(Exception):
    pass


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(holder: dict[str, Any]) -> bool:
    """A lock left by a process on this host that no longer runs."""
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    return isinstance(pid, int) and not _alive(pid)


def describe(holder: dict[str, Any]) -> str:
    return (f"host {holder.get('host', '?')}, pid {holder.get('pid', '?')}, "
            f"started {holder.get('started', '?')}")


def _try_take(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"host": socket.gethostname(), "pid": os.getpid(),
                   "started": datetime.now(UTC).isoformat(timespec="seconds")}, handle)
    return True


@contextmanager
def state_lock(path: Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold the lock at `path`; a dead holder's lock is taken over; a live one waits
    up to `timeout` seconds, then LockBusyError names the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while not _try_take(path):
        holder = _holder(path)
        if _stale(holder) or (not holder and path.exists()
                              and time.time() - path.stat().st_mtime > 5):
            path.unlink(missing_ok=True)  # its process is gone (or it never got written)
            continue
        if time.monotonic() >= deadline:
            raise LockBusyError(
                f"another apply holds {path} ({describe(holder)}); wait for it, or pass "
                "--lock-timeout SECONDS to wait")
        time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
