"""Checking and formatting wire values the way the cloud does (spec 1.3, 1.6)."""

from __future__ import annotations

from reconciler.sim.errors import SimError

OUT_OF_RANGE = 10008
EMPTY = 10007
TIME_FORMAT = 10009
END_BEFORE_START = 10013


def need(params: list[str], count: int) -> list[str]:
    """The first `count` params, each non-empty (10007 otherwise)."""
    values = (params + [""] * count)[:count]
    for index, value in enumerate(values, 1):
        if value.strip() == "":
            raise SimError(EMPTY, f"error_param{index}_empty")
    return [value.strip() for value in values]


def whole(value: str, low: int, high: int, what: str) -> int:
    try:
        number = float(value)
    except ValueError:
        raise SimError(OUT_OF_RANGE, f"error_{what}_not_a_number") from None
    if number != int(number) or not low <= number <= high:
        raise SimError(OUT_OF_RANGE, f"error_{what}_out_of_range")
    return int(number)


def decimal(value: str, low: float, high: float, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SimError(OUT_OF_RANGE, f"error_{what}_not_a_number") from None
    if not low <= number <= high:
        raise SimError(OUT_OF_RANGE, f"error_{what}_out_of_range")
    return number


def clock(hour: str, minute: str) -> int:
    """Minute of day from hour and minute params ("1" or "01"); 10009 when not a time."""
    try:
        h, m = int(hour), int(minute)
    except ValueError:
        raise SimError(TIME_FORMAT, "error_time_format") from None
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise SimError(TIME_FORMAT, "error_time_format")
    return h * 60 + m


def window(params: list[str]) -> tuple[int, int]:
    """(start, end) minutes from four params; the cloud refuses end before start."""
    start, end = clock(params[0], params[1]), clock(params[2], params[3])
    if end < start:
        raise SimError(END_BEFORE_START, "error_end_time_before_start_time")
    return start, end


def hm(minutes: int) -> str:
    """The cloud's unpadded "H:M" form."""
    return f"{minutes // 60}:{minutes % 60}"


def parse_hm(value: object) -> int | None:
    """Minute of day of a stored "H:M" value; None when unset or garbage."""
    if not isinstance(value, str) or ":" not in value:
        return None
    hour, _, minute = value.partition(":")
    try:
        h, m = int(hour), int(minute)
    except ValueError:
        return None
    return h * 60 + m if 0 <= h <= 23 and 0 <= m <= 59 else None


def flag(value: str, what: str) -> int:
    return whole(value, 0, 1, what)
