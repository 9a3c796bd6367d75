"""The cloud's rate limit (spec 4.4): an identical request, or any request to one endpoint
with one token, is refused with 10012 inside the window."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping


def parse_rate_limit(spec: str) -> tuple[str, float]:
    """("off", 0) | ("request", seconds) | ("endpoint", seconds)."""
    if spec in ("", "off"):
        return "off", 0.0
    mode, _, seconds = spec.partition(":")
    try:
        window = float(seconds)
    except ValueError:
        window = -1.0
    if mode not in ("request", "endpoint") or window < 0:
        raise ValueError(f"not a rate limit: {spec!r}; expected off, request:SECONDS or "
                         "endpoint:SECONDS")
    return mode, window


class RateLimiter:
    def __init__(self, spec: str) -> None:
        self.mode, self.window = parse_rate_limit(spec)
        self._last: dict[tuple[object, ...], float] = {}
        self._lock = threading.Lock()

    def refuse(self, token: str, endpoint: str, fields: Mapping[str, str]) -> bool:
        """True when this request comes too soon; otherwise it is remembered."""
        if self.mode == "off":
            return False
        key: tuple[object, ...] = (token, endpoint)
        if self.mode == "request":
            key += tuple(sorted(fields.items()))
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.window:
                return True
            self._last[key] = now
            return False
