"""Remembers when each request was last made, across runs, so that an identical request is
not sent inside the cloud's window (spec 4.4: the limit keys on the request).

Keys are hashes of method, endpoint and sorted parameters: the file never holds a token.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.statedir import atomic_write_json, read_json

FORGET_AFTER = 86400.0  # entries older than a day are dropped from the file
SAVE_EVERY = 2.0  # seconds between file writes during a run; the rest at close


def request_key(method: str, endpoint: str, fields: Mapping[str, Any] | None) -> str:
    items = sorted((str(k), "" if v is None else str(v)) for k, v in (fields or {}).items())
    text = json.dumps([method.upper(), endpoint, items])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Limiter:
    def __init__(self, path: Path | None, interval: float,
                 clock: Any = time.time) -> None:
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
                if isinstance(value, int | float):
                    self._last[key] = max(self._last.get(key, 0.0), float(value))

    def wait_time(self, key: str) -> float:
        """Seconds until `key` may be sent again (0 when it may go now)."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            if not self._loaded:
                self._load()  # what earlier runs recorded
                self._loaded = True
            last = self._last.get(key)
        if last is None:
            return 0.0
        return max(0.0, last + self.interval - self.clock())

    def record(self, key: str) -> None:
        """The request is being sent (or was just answered) now."""
        now = self.clock()
        with self._lock:
            self._last[key] = now
            self._dirty = True
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
