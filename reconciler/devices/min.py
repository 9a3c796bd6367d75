"""MIN inverters (device type 7, "tlx"): nine time-of-use slots plus named settings.

Reads come from `min_settings` (`tlx_set_info`, spec 2.3); writes are `tlxSet` with
`time_segmentN` (mode, start h, start m, end h, end m, enable; unpadded numbers) or a named
type (spec 2.7). Which slots get which segments, and in what order, is `slots.py`.

How a slot is read (spec 1.6, 3.1):
- enabled (`forcedStopSwitchN` 1): mode, start and end must all be valid, and the window
  must not end before it starts; otherwise the slot is unknown (None, with a warning);
- disabled (switch 0 or unset): a mode that is unset means load_first, times that are
  unset mean 00:00 (they do not matter while the slot is off, and the plan never rewrites
  a disabled slot for its times); a value that is set but garbage (a mode 7, a time
  "11:187") still makes the slot unknown: the read is not trustworthy there;
- a slot whose keys are missing from the read is unknown; a read with no slot keys at
  all (a non-hybrid MIN answers `{}`) gets one warning for all nine.
Unknown slots are never the basis of a write (see `slots.py` for how plans treat them).

Semantics of the desired segments:
- `time_segments` absent: slots are not managed. Present: the tool owns all nine slots,
  and enabled slots that hold no wanted segment are disabled, keeping their times.
- an unpinned segment with `enabled: false` needs no slot: "this window is not active"
  is what every slot that does not hold it already says.
- a pinned segment is exact, disabled or not: the slot ends with that mode and window,
  and `enabled` as given (a disabled pinned segment parks a window for the app). Its
  view shows the times, so a difference in them is a change.

The view (what plans diff and show): {"time_segments": {"1".."9": slot}, "settings": {...}},
only the sections the file manages. An enabled slot is {"mode", "start", "end", "enabled":
true}; a disabled one is {"enabled": false} without its stale times, so a deepdiff of two
views never reports them (the plan never rewrites them either); an unknown slot is None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.devices import raw as values
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
from reconciler.timeofday import to_minutes

NAME = "min"
DEVICE_TYPE = 7
WRITE_ENDPOINT = "tlxSet"
SETTINGS_READ = "min_settings"
PARAMS = MIN_PARAMS
SLOT_WRITE = "time_segment"
OTHER_LAYERS = re.compile(r"^(yearTime|season[1-4]Time|special[12]Time)[1-9]$")
NO_TOU = "the settings read carries no time-of-use data (non-hybrid MIN?)"

__all__ = ["DEVICE_TYPE", "NAME", "PARAMS", "SETTINGS_READ", "WRITE_ENDPOINT",
           "NoRoomError", "apply", "decode_read_parameter", "parse", "plan", "view"]


# --------------------------------------------------------------------------- parse


class UnknownSlot(ValueError):
    """A slot that cannot be known; the message is the warning people read."""

    def __init__(self, slot: int, problem: str) -> None:
        super().__init__(f"{problem}; slot {slot} is unknown and will not be used as the "
                         "basis of a write")


def slot_keys(n: int) -> tuple[str, str, str, str]:
    return f"time{n}Mode", f"forcedTimeStart{n}", f"forcedTimeStop{n}", f"forcedStopSwitch{n}"


def read_switch(raw: Mapping[str, Any], key: str, n: int) -> bool:
    try:
        switch = values.code(raw[key])
    except ValueError:
        switch = -1
    if switch not in (None, 0, 1):
        raise UnknownSlot(n, f"{key} = {raw[key]!r} is not 0 or 1")
    return switch == 1  # unset: off (GS and HA read it so; spec 1.6)


def read_mode(raw: Mapping[str, Any], key: str, n: int, enabled: bool) -> str:
    try:
        mode = values.code(raw[key])
    except ValueError:
        mode = -1
    if mode is None:
        if enabled:
            raise UnknownSlot(n, f"{key} is unset on enabled slot {n}")
        return MODES[0]
    if not 0 <= mode < len(MODES):
        raise UnknownSlot(n, f"{key} = {raw[key]!r} is not a mode (0 load-first, "
                             "1 battery-first, 2 grid-first)")
    return MODES[mode]


def read_time(raw: Mapping[str, Any], key: str, n: int, enabled: bool) -> str:
    try:
        time = values.time_of_day(raw[key])
    except ValueError:
        raise UnknownSlot(n, f"{key} = {raw[key]!r} is not a time") from None
    if time is None:
        if enabled:
            raise UnknownSlot(n, f"{key} is unset on enabled slot {n}")
        return "00:00"  # a disabled slot's times do not matter
    return time


def read_slot(raw: Mapping[str, Any], n: int) -> Segment:
    """One slot as the read shows it; UnknownSlot when it cannot be known."""
    keys = slot_keys(n)
    missing = values.missing_keys(raw, keys)
    if missing:
        raise UnknownSlot(n, f"{', '.join(missing)} missing from the read")
    mode_key, start_key, stop_key, switch_key = keys
    enabled = read_switch(raw, switch_key, n)
    mode = read_mode(raw, mode_key, n, enabled)
    start = read_time(raw, start_key, n, enabled)
    end = read_time(raw, stop_key, n, enabled)
    if enabled and to_minutes(end) < to_minutes(start):
        # The device cannot hold that (10013); disabling it would repeat the bad window.
        raise UnknownSlot(n, f"enabled slot {n} ends ({end}) before it starts ({start})")
    return Segment(mode, start, end, enabled)


def read_slots(raw: Mapping[str, Any], warnings: list[str]) -> dict[int, Segment | None]:
    if not any(key in raw for n in range(1, MIN_SLOTS + 1) for key in slot_keys(n)):
        what = "its slots and settings are unknown" if not raw else "its slots are unknown"
        warnings.append(f"{NO_TOU}: {what}")
        return dict.fromkeys(range(1, MIN_SLOTS + 1))
    slots: dict[int, Segment | None] = {}
    for n in range(1, MIN_SLOTS + 1):
        try:
            slots[n] = read_slot(raw, n)
        except UnknownSlot as unknown:
            warnings.append(str(unknown))
            slots[n] = None
    return slots


def other_layer_warnings(raw: Mapping[str, Any]) -> list[str]:
    """Enabled entries of the seasonal and yearly tables (spec 3.7), packed
    "mode_week_sh_sm_eh_em_enable": enabled when the last field is 1."""
    enabled = sorted(f"{key}={value}" for key, value in raw.items()
                     if OTHER_LAYERS.match(key) and isinstance(value, str)
                     and value.strip().split("_")[-1] == "1")
    if not enabled:
        return []
    return [f"other schedule layers have enabled entries ({', '.join(enabled)}); they can "
            "override what growatt-reconcile manages (ShinePhone's price and season screens)"]


def parse(serial: str, raw: Mapping[str, Any]) -> DeviceState:
    """Normalize the `data` of a `tlx_set_info` read."""
    raw = raw if isinstance(raw, Mapping) else {}
    warnings: list[str] = []
    slots = read_slots(raw, warnings)
    settings = parse_settings(raw, PARAMS, warnings)
    warnings += other_layer_warnings(raw)
    clock = raw.get("sysTime")
    return DeviceState(serial=serial, family="min", slots=slots, settings=settings,
                       clock=clock if isinstance(clock, str) else None, warnings=warnings)


# --------------------------------------------------------------------------- plan


def describe(segment: Segment | None) -> str:
    if segment is None:
        return "unknown"
    return f"{segment.mode} {segment.start}-{segment.end}" + ("" if segment.enabled
                                                              else ", disabled")


def segment_params(segment: Segment) -> tuple[str, ...]:
    """mode code, start h, start m, end h, end m, enable: unpadded (spec 2.7)."""
    start_h, start_m = divmod(to_minutes(segment.start), 60)
    end_h, end_m = divmod(to_minutes(segment.end), 60)
    return tuple(str(v) for v in (MODES.index(segment.mode), start_h, start_m, end_h, end_m,
                                  int(segment.enabled)))


def summary(write: SlotWrite, before: Segment | None) -> str:
    slot = f"slot {write.slot}"
    if write.reason == "disable-first":
        return f"{slot}: disable first ({describe(before)}), to free its window"
    if write.reason == "disable" and write.wanted is None:
        return f"{slot}: disable ({describe(before)})"
    text = f"{slot}: {describe(write.content)} (was {describe(before)})"
    if write.wanted is not None and write.wanted.origin:
        text += f" [{write.wanted.origin}]"
    return text


def slot_operations(slots: dict[int, Segment | None], writes: list[SlotWrite]
                    ) -> list[Operation]:
    operations = []
    state = dict(slots)
    for write in writes:
        operations.append(Operation(
            endpoint=WRITE_ENDPOINT, type=f"{SLOT_WRITE}{write.slot}",
            params=segment_params(write.content), path=f"time_segments.{write.slot}",
            summary=summary(write, state.get(write.slot))))
        state[write.slot] = write.content
    return operations


def plan(current: DeviceState, desired: DesiredDevice) -> list[Operation]:
    """Slot writes (fewest, safely ordered), then one write per setting that differs.

    NoRoomError (a ValueError) when more segments need a slot than known slots exist."""
    operations: list[Operation] = []
    if desired.time_segments is not None:
        writes = plan_slots(current.slots, desired.time_segments, MIN_SLOTS)
        operations += slot_operations(current.slots, writes)
    operations += plan_settings(current, desired, PARAMS, WRITE_ENDPOINT)
    return operations


# --------------------------------------------------------------------------- apply, view


def segment_from_params(params: tuple[str, ...]) -> Segment:
    mode, start_h, start_m, end_h, end_m, enable = (int(p) for p in params[:6])
    return Segment(MODES[mode], f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}",
                   enable == 1)


def apply(state: DeviceState, operation: Operation) -> DeviceState:
    """The state as the next read shows it after this one write (pure)."""
    new = replace(state, slots=dict(state.slots), settings=dict(state.settings),
                  warnings=list(state.warnings))
    slot = operation.type.removeprefix(SLOT_WRITE)
    if operation.type.startswith(SLOT_WRITE) and slot.isdigit():
        new.slots[int(slot)] = segment_from_params(operation.params)
    elif not apply_setting(new, operation, PARAMS):
        raise ValueError(f"not a MIN write: {operation.type}")
    return new


def slot_view(segment: Segment | None, exact: bool) -> dict[str, Any] | None:
    """A disabled slot shows only that it is off: its stale times are no difference
    (unless a pinned disabled segment asks for them: `exact`). Unknown is None."""
    if segment is None:
        return None
    if segment.enabled or exact:
        return {"mode": segment.mode, "start": segment.start, "end": segment.end,
                "enabled": segment.enabled}
    return {"enabled": False}


def view(state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
    """The managed part: {"time_segments": {"1": ...}, "settings": {...}}."""
    result: dict[str, Any] = {}
    if desired.time_segments is not None:
        parked = {w.slot for w in desired.time_segments if w.slot is not None and not w.enabled}
        result["time_segments"] = {str(n): slot_view(state.slots.get(n), n in parked)
                                   for n in range(1, MIN_SLOTS + 1)}
    if desired.settings:
        result["settings"] = settings_view(state, desired)
    return result
