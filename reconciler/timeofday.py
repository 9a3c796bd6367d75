"""Times of day as the inverter holds them: whole minutes, both ends of a window included."""

from __future__ import annotations

import re

END_OF_DAY = 23 * 60 + 59  # "23:59": the last minute a window can include
_CANONICAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_API = re.compile(r"^\s*(\d{1,2})\s*:\s*(\d{1,2})\s*$")
UNSET_VALUES = frozenset({"", "null", "none", "nil"})


def to_minutes(hhmm: str) -> int:
    """Minutes since midnight of a canonical "HH:MM" (raises ValueError otherwise)."""
    match = _CANONICAL.match(hhmm)
    if not match:
        raise ValueError(f"not a time HH:MM: {hhmm!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def from_minutes(minutes: int) -> str:
    if not 0 <= minutes <= END_OF_DAY:
        raise ValueError(f"minute of day out of range: {minutes}")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def is_unset(value: object) -> bool:
    """The API's ways of saying "no value": JSON null, "", "null" (spec 1.6)."""
    return value is None or (isinstance(value, str) and value.strip().lower() in UNSET_VALUES)


def parse_api_time(value: object) -> str | None:
    """Tolerant parse of an API time ("3:0", "03:00", "18:0"); None when unset.

    Raises ValueError for values that are present but not a valid time (e.g. "11:187"),
    so a garbage value is never mistaken for midnight.
    """
    if is_unset(value):
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    match = _API.match(value)
    if not match:
        raise ValueError(f"not a time: {value!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"time out of range: {value!r}")
    return f"{hour:02d}:{minute:02d}"


def overlaps(a_start: str, a_end: str, b_start: str, b_end: str) -> bool:
    """Whether two inclusive windows share at least one minute."""
    return to_minutes(a_start) <= to_minutes(b_end) and to_minutes(b_start) <= to_minutes(a_end)
