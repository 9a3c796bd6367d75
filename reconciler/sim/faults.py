"""Fault injection: `KIND[@ENDPOINT][:PROBABILITY]` or `KIND[@ENDPOINT]*COUNT`, seeded."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass

KINDS = ("http500", "html", "badjson", "timeout", "reset", "ratelimit", "ignore-write")
_SPEC = re.compile(r"^(?P<kind>[a-z0-9-]+)(?:@(?P<endpoint>[A-Za-z0-9_/]+))?"
                   r"(?:(?::(?P<probability>[0-9.]+))|(?:\*(?P<count>\d+)))?$")


@dataclass
class Fault:
    kind: str
    endpoint: str | None = None  # None: every endpoint
    probability: float = 1.0
    remaining: int | None = None  # None: unlimited; else the next N matching requests

    def matches(self, endpoint: str) -> bool:
        if self.endpoint is None:
            return True
        return endpoint == self.endpoint or endpoint.rsplit("/", 1)[-1] == self.endpoint


def parse_fault(spec: str) -> Fault:
    match = _SPEC.match(spec.strip())
    if not match or match.group("kind") not in KINDS:
        raise ValueError(f"not a fault: {spec!r}; expected KIND[@ENDPOINT][:PROBABILITY] or "
                         f"KIND[@ENDPOINT]*COUNT with KIND one of {', '.join(KINDS)}")
    probability = float(match.group("probability") or 1.0)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"fault probability must be from 0 to 1: {spec!r}")
    count = match.group("count")
    return Fault(kind=match.group("kind"), endpoint=match.group("endpoint"),
                 probability=probability, remaining=int(count) if count else None)


class Faults:
    """Decides, request by request and in request order, which fault (if any) strikes."""

    def __init__(self, specs: tuple[str, ...] | list[str], seed: int | None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.faults = [parse_fault(spec) for spec in specs]

    def replace(self, specs: list[str]) -> None:
        faults = [parse_fault(spec) for spec in specs]
        with self._lock:
            self.faults = faults

    def pick(self, endpoint: str, is_write: bool) -> str | None:
        with self._lock:
            for fault in self.faults:
                if not fault.matches(endpoint) or (fault.kind == "ignore-write"
                                                   and not is_write):
                    continue
                if fault.remaining is not None:
                    if fault.remaining <= 0:
                        continue
                    fault.remaining -= 1
                    return fault.kind
                if self._random.random() < fault.probability:
                    return fault.kind
        return None
