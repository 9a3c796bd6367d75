"""Remembers when each request was last made, across runs, so that an identical request is
not sent inside the cloud's window (spec 4.4: the limit keys on the request).

Keys are hashes of method, endpoint and sorted parameters: the file never holds a token
(nor a serial in clear). The file is written atomically; a missing, unreadable or corrupt
file counts as empty. Thread-safe: the applier calls the client from several threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reconciler.statedir import atomic_write_json, read_json

FORGET_AFTER = 86400.0  # entries older than a day are dropped from the file
SAVE_EVERY = 2.0  # seconds between file writes during a run; the rest at close


def request_key(method: str, endpoint: str, fields: Mapping[str, Any] | None) -> str:
    """A stable hash of method + endpoint + sorted parameters (None counts as "")."""
    items = sorted((str(k), "" if v is None else str(v)) for k, v in (fields or {}).items())
    text = json.dumps([method.upper(), endpoint, items])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Limiter:
    """Last-call times per request key; `interval` seconds between identical requests
    (0 or less: no limit). `clock` is wall-clock seconds, since the file outlives runs."""

    def __init__(self, path: Path | None, interval: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._dirty = False
        self._saved_at = 0.0
        self._loaded = False

    def _load(self) -> None:
        if self.path is None:
            return
        data = read_json(self.path)
        if isinstance(data, dict) and isinstance(data.get("last"), dict):
            for key, value in data["last"].items():
                if isinstance(value, int | float) and math.isfinite(value):
                    self._last[key] = max(self._last.get(key, 0.0), float(value))

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._load()  # what earlier runs recorded
            self._loaded = True

    def wait_time(self, key: str) -> float:
        """Seconds until `key` may be sent again (0 when it may go now)."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            self._ensure_loaded()
            last = self._last.get(key)
        if last is None:
            return 0.0
        # min(): a time in the future (clock moved back, a hand-edited file) still waits
        # no longer than one window.
        return min(self.interval, max(0.0, last + self.interval - self.clock()))

    def reserve(self, key: str) -> float:
        """Atomically: 0 and the call is recorded as made now, or the seconds to wait.
        Two threads asking for the same request cannot both get 0."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            self._ensure_loaded()
            now = self.clock()
            last = self._last.get(key)
            if last is not None and last + self.interval > now:
                return min(self.interval, last + self.interval - now)
            self._touch(key, now)
            return 0.0

    def record(self, key: str) -> None:
        """The request is being sent (or was just answered) now."""
        if self.interval <= 0:
            return
        with self._lock:
            self._touch(key, self.clock())

    def _touch(self, key: str, now: float) -> None:
        self._last[key] = now
        self._dirty = True
        # Saving on every call would cost a file write per request; every few seconds
        # and at close keeps separate runs in step at a fraction of that.
        if now - self._saved_at >= SAVE_EVERY:
            self._save(now)

    def flush(self) -> None:
        """Write what was recorded, for the next run (called when the client closes)."""
        with self._lock:
            if self._dirty:
                self._save(self.clock())

    def _save(self, now: float) -> None:
        self._saved_at = now
        self._dirty = False
        if self.path is None or self.interval <= 0:
            return
        self._load()
        self._last = {k: v for k, v in self._last.items() if now - v < FORGET_AFTER}
        # The limiter file is a courtesy; a read-only state dir must not fail a run.
        with contextlib.suppress(OSError):
            atomic_write_json(self.path, {"version": 1, "last": self._last}, durable=False)
