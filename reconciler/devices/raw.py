"""Tolerant readers for single raw values of a settings read (spec 1.6).

Tolerant exactly where the API is messy, strict everywhere else:
- unset is JSON null, "", "null" (any case) -> None: the value is not set;
- numbers come as 1, 1.0, "1", "1.0", " 1 " -> 1;
- times come as "3:0", "03:00", "18:0" -> "03:00", "18:00".
Anything else (True, "x", 1.5, "11:187", a list) raises ValueError with the value in the
message, so the caller can name the key in a warning and treat the value as unknown. A
missing key is the caller's business: it means "unknown", never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.timeofday import is_unset, parse_api_time

__all__ = ["code", "is_unset", "missing_keys", "time_of_day"]


def code(value: Any) -> int | None:
    """A whole number (a flag, a mode, a percentage) or None when unset."""
    if is_unset(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def time_of_day(value: Any) -> str | None:
    """A canonical "HH:MM" or None when unset; ValueError for garbage such as "11:187"."""
    return parse_api_time(value)


def missing_keys(raw: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if key not in raw]
