"""Tolerant readers of the settings blobs (spec 1.6, 2.3, 2.6): pure functions, no I/O.

The API says "unset" in three ways (`""`, `"null"`, JSON null) and writes times as
unpadded "H:M". The readers here accept all of that. In `strict` mode a value that is
present but cannot be parsed (e.g. "11:187") raises ValueError instead of turning into
a default: such a value must never become the basis of a write (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from reconciler.timeofday import is_unset, parse_api_time

# The community client's names for the MIN time-segment modes (`mode_name`).
MODE_NAMES = {0: "Load First", 1: "Battery First", 2: "Grid First"}
UNKNOWN_MODE = "Unknown"
MIDNIGHT = "00:00"


def unwrap(settings_data: Any) -> Mapping[str, Any]:
    """The settings object from an earlier read: the `data` part or the whole envelope."""
    if isinstance(settings_data, Mapping) and isinstance(settings_data.get("data"), Mapping):
        return settings_data["data"]
    return settings_data if isinstance(settings_data, Mapping) else {}


def hhmm(value: Any, *, strict: bool = False) -> str:
    """"HH:MM" from an API time ("3:0", "03:00", "null", "", None -> "00:00")."""
    try:
        return parse_api_time(value) or MIDNIGHT
    except ValueError:
        if strict:
            raise
        return MIDNIGHT


def to_int(value: Any, default: int | None, *, strict: bool = False) -> int | None:
    """An int from 80, 80.0, "80", "80.0"; `default` when unset (or unparsable, unless
    strict)."""
    if is_unset(value):
        return default
    if isinstance(value, bool):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        if strict:
            raise ValueError(f"not a number: {value!r}") from None
        return default
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinity
        if strict:
            raise ValueError(f"not a number: {value!r}")
        return default
    return int(number)


def to_flag(value: Any, *, strict: bool = False) -> bool:
    """A 0/1 switch; unset means off."""
    return to_int(value, 0, strict=strict) == 1


def hour_minute(value: time | str) -> tuple[str, str]:
    """Unpadded hour and minute strings for a write (spec 1.3: `str(int)`), from a
    `datetime.time` or a "HH:MM"/"H:M" string. Raises ValueError for anything else."""
    if isinstance(value, time):
        return str(value.hour), str(value.minute)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    canonical = parse_api_time(value)
    if canonical is None:
        raise ValueError(f"not a time: {value!r}")
    hour, minute = canonical.split(":")
    return str(int(hour)), str(int(minute))


def param_text(value: Any) -> str:
    """One `paramN` value as the API wants it: flags as 1/0, whole numbers unpadded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"  # str(True) would be "True"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 80.0 -> "80"
    return str(value)


def time_segments(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The nine MIN time segments, shaped as the community client's
    `min_read_time_segments` returns them (batt_mode None when the API says "null")."""
    segments = []
    for n in range(1, 10):
        mode = to_int(settings.get(f"time{n}Mode"), None)
        segments.append({
            "segment_id": n, "batt_mode": mode,
            "mode_name": MODE_NAMES.get(mode, UNKNOWN_MODE) if mode is not None
            else UNKNOWN_MODE,
            "start_time": hhmm(settings.get(f"forcedTimeStart{n}")),
            "end_time": hhmm(settings.get(f"forcedTimeStop{n}")),
            "enabled": to_flag(settings.get(f"forcedStopSwitch{n}"))})
    return segments


def ac_periods(settings: Mapping[str, Any], prefix: str, *,
               strict: bool = False) -> list[dict[str, Any]]:
    """The three SPH periods under `prefix` ("Charge" or "Discharge")."""
    periods = []
    for i in (1, 2, 3):
        periods.append({
            "period_id": i,
            "start_time": hhmm(settings.get(f"forced{prefix}TimeStart{i}"), strict=strict),
            "end_time": hhmm(settings.get(f"forced{prefix}TimeStop{i}"), strict=strict),
            "enabled": to_flag(settings.get(f"forced{prefix}StopSwitch{i}"), strict=strict)})
    return periods


def stop_soc(settings: Mapping[str, Any], base: str, default: int | None, *,
             strict: bool = False) -> int | None:
    """An SPH stop SOC: the unsuffixed key first (what the community client reads), else
    the `...2` key (the official field list, spec 2.6 and 6.2), else `default`."""
    for key in (base, f"{base}2"):
        value = settings.get(key)
        if not is_unset(value):
            number = to_int(value, None, strict=strict)
            if number is not None:
                return number
    return default


def ac_charge_times(settings: Mapping[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """`sph_read_ac_charge_times` from a settings object. Missing values get the community
    client's defaults (power 0, stop SOC 100); in strict mode they are None instead, so a
    caller about to write cannot mistake a default for the device's value."""
    return {"charge_power": to_int(settings.get("chargePowerCommand"), None if strict else 0,
                                   strict=strict),
            "charge_stop_soc": stop_soc(settings, "wchargeSOCLowLimit",
                                        None if strict else 100, strict=strict),
            "mains_enabled": to_flag(settings.get("acChargeEnable"), strict=strict),
            "periods": ac_periods(settings, "Charge", strict=strict)}


def ac_discharge_times(settings: Mapping[str, Any], *, strict: bool = False
                       ) -> dict[str, Any]:
    """`sph_read_ac_discharge_times` from a settings object (defaults: power 0, stop SOC
    10; None in strict mode, as for the charge schedule)."""
    return {"discharge_power": to_int(settings.get("disChargePowerCommand"),
                                      None if strict else 0, strict=strict),
            "discharge_stop_soc": stop_soc(settings, "wdisChargeSOCLowLimit",
                                           None if strict else 10, strict=strict),
            "periods": ac_periods(settings, "Discharge", strict=strict)}
