"""MIN inverters (device type 7, "tlx"): nine time-of-use slots plus named settings.

Reads come from `min_settings` (`tlx_set_info`, spec 2.3); writes are `tlxSet` with
`time_segmentN` (mode, start h, start m, end h, end m, enable) or a named type (spec 2.7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.devices.params import MIN_PARAMS
from reconciler.devices.settings import (
    apply_setting,
    decode_read_parameter,
    parse_settings,
    plan_settings,
    settings_view,
)
from reconciler.devices.slots import NoRoomError, SlotWrite, plan_slots
from reconciler.model import MIN_SLOTS, MODES, DesiredDevice, DeviceState, Operation, Segment
from reconciler.timeofday import is_unset, parse_api_time

NAME = "min"
DEVICE_TYPE = 7
WRITE_ENDPOINT = "tlxSet"
SETTINGS_READ = "min_settings"
PARAMS = MIN_PARAMS
OTHER_LAYERS = re.compile(r"^(yearTime\d|season\dTime\d|special\dTime\d)$")

__all__ = ["NoRoomError", "apply", "decode_read_parameter", "parse", "plan", "view"]


def _code(value: Any) -> int | None:
    """An int from 1, "1", 1.0; None when unset; ValueError when garbage."""
    if is_unset(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if number != int(number):
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def parse_slot(raw: Mapping[str, Any], n: int, warnings: list[str]) -> Segment | None:
    """One slot, or None when it cannot be known (a warning says why)."""
    keys = (f"time{n}Mode", f"forcedTimeStart{n}", f"forcedTimeStop{n}", f"forcedStopSwitch{n}")
    if not any(key in raw for key in keys):
        return None
    mode_key, start_key, stop_key, switch_key = keys
    try:
        switch = _code(raw.get(switch_key))
        if switch not in (None, 0, 1):
            raise ValueError(f"not 0 or 1: {raw.get(switch_key)!r}")
    except ValueError:
        warnings.append(f"{switch_key} = {raw.get(switch_key)!r} is not 0 or 1; slot {n} is "
                        "unknown and will not be the basis of a write")
        return None
    enabled = switch == 1
    try:
        mode = _code(raw.get(mode_key))
        mode_name = MODES[mode] if mode is not None and 0 <= mode < len(MODES) else None
        if mode is not None and mode_name is None:
            raise ValueError
    except (ValueError, IndexError):
        mode_name = None
        if enabled:
            warnings.append(f"{mode_key} = {raw.get(mode_key)!r} is not a mode; slot {n} is "
                            "unknown and will not be the basis of a write")
            return None
    if mode_name is None:
        if enabled:
            warnings.append(f"{mode_key} is unset on enabled slot {n}; slot {n} is unknown")
            return None
        mode_name = MODES[0]
    times = []
    for key in (start_key, stop_key):
        try:
            times.append(parse_api_time(raw.get(key)))
        except ValueError:
            if enabled:
                warnings.append(f"{key} = {raw.get(key)!r} is not a time; slot {n} is unknown "
                                "and will not be the basis of a write")
                return None
            times.append(None)  # a disabled slot's times do not matter
    if enabled and (times[0] is None or times[1] is None):
        warnings.append(f"enabled slot {n} has no start or end time; slot {n} is unknown")
        return None
    return Segment(mode_name, times[0] or "00:00", times[1] or "00:00", enabled)


def other_layer_warnings(raw: Mapping[str, Any]) -> list[str]:
    """Enabled entries in the seasonal/yearly tables can override what we manage (3.7)."""
    enabled = []
    for key, value in raw.items():
        if OTHER_LAYERS.match(key) and isinstance(value, str) and "_" in value:
            parts = value.split("_")
            if parts[-1] == "1" and any(part not in ("", "0") for part in parts):
                enabled.append(f"{key}={value}")
    if not enabled:
        return []
    return [f"other schedule layers have enabled entries ({', '.join(sorted(enabled))}); they "
            "can override what growatt-reconcile manages (set in ShinePhone's price or season "
            "screens)"]


def parse(serial: str, raw: Mapping[str, Any]) -> DeviceState:
    warnings: list[str] = []
    raw = raw if isinstance(raw, Mapping) else {}
    slots = {n: parse_slot(raw, n, warnings) for n in range(1, MIN_SLOTS + 1)}
    if not raw:
        warnings.append("the settings read carries no data (a non-hybrid MIN?): its "
                        "time-of-use slots and settings are unknown")
    elif all(segment is None for segment in slots.values()):
        warnings.append("the settings read carries no time-of-use slots")
    clock = raw.get("sysTime")
    state = DeviceState(serial=serial, family="min", slots=slots,
                        settings=parse_settings(raw, PARAMS, warnings),
                        clock=clock if isinstance(clock, str) else None, warnings=warnings)
    state.warnings.extend(other_layer_warnings(raw))
    return state


def _describe(segment: Segment | None) -> str:
    if segment is None:
        return "unknown"
    state = "" if segment.enabled else ", disabled"
    return f"{segment.mode} {segment.start}-{segment.end}{state}"


def slot_operation(write: SlotWrite, current: Segment | None) -> Operation:
    content = write.content
    h1, m1 = content.start.split(":")
    h2, m2 = content.end.split(":")
    params = (str(MODES.index(content.mode)), str(int(h1)), str(int(m1)), str(int(h2)),
              str(int(m2)), "1" if content.enabled else "0")
    if write.reason == "disable-first":
        summary = f"slot {write.slot}: disable first ({_describe(current)}), to free its window"
    elif write.reason == "disable" and write.wanted is None:
        summary = f"slot {write.slot}: disable ({_describe(current)})"
    else:
        summary = f"slot {write.slot}: {_describe(content)} (was {_describe(current)})"
        if write.wanted is not None and write.wanted.origin:
            summary += f" [{write.wanted.origin}]"
    return Operation(endpoint=WRITE_ENDPOINT, type=f"time_segment{write.slot}", params=params,
                     path=f"time_segments.{write.slot}", summary=summary)


def plan(current: DeviceState, desired: DesiredDevice) -> list[Operation]:
    operations: list[Operation] = []
    if desired.time_segments is not None:
        writes = plan_slots(current.slots, desired.time_segments, MIN_SLOTS)
        state = current.slots
        for write in writes:
            operations.append(slot_operation(write, state.get(write.slot)))
            state = {**state, write.slot: write.content}
    operations += plan_settings(current, desired, PARAMS, WRITE_ENDPOINT)
    return operations


def apply(state: DeviceState, operation: Operation) -> DeviceState:
    new = replace(state, slots=dict(state.slots), settings=dict(state.settings),
                  warnings=list(state.warnings))
    if operation.type.startswith("time_segment"):
        slot = int(operation.type.removeprefix("time_segment"))
        mode, h1, m1, h2, m2, enable = operation.params[:6]
        new.slots[slot] = Segment(MODES[int(mode)], f"{int(h1):02d}:{int(m1):02d}",
                                  f"{int(h2):02d}:{int(m2):02d}", enable == "1")
    else:
        apply_setting(new, operation, PARAMS)
    return new


def slot_view(segment: Segment | None, pinned_disabled: bool) -> dict[str, Any] | None:
    """A disabled slot shows only that it is off: its stale times are no difference."""
    if segment is None:
        return None
    if segment.enabled or pinned_disabled:
        return {"mode": segment.mode, "start": segment.start, "end": segment.end,
                "enabled": segment.enabled}
    return {"enabled": False}


def view(state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if desired.time_segments is not None:
        pinned_off = {w.slot for w in desired.time_segments if w.slot and not w.enabled}
        result["time_segments"] = {str(n): slot_view(state.slots.get(n), n in pinned_off)
                                   for n in range(1, MIN_SLOTS + 1)}
    if desired.settings:
        result["settings"] = settings_view(state, desired)
    return result
