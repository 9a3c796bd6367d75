"""The shared vocabulary: desired and current device state in the device's own terms.

`config` compiles the YAML file into `DesiredDevice`s; each family in `devices/` parses a
settings read into a `DeviceState` and plans `Operation`s between the two. Times are
canonical "HH:MM" strings, windows include both ends and never cross midnight here
(config has split them already).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Family = Literal["min", "sph"]
FAMILIES: tuple[Family, ...] = ("min", "sph")
DEVICE_TYPES: dict[int, Family] = {7: "min", 5: "sph"}  # device/list `type` codes

# MIN time-of-use modes; the index is the wire code (spec 3.1).
MODES: tuple[str, ...] = ("load_first", "battery_first", "grid_first")
MIN_SLOTS = 9
SPH_PERIODS = 3


@dataclass(frozen=True)
class Segment:
    """What one MIN time-of-use slot holds."""

    mode: str  # one of MODES
    start: str
    end: str
    enabled: bool


@dataclass(frozen=True)
class Period:
    """One SPH charge or discharge period."""

    start: str
    end: str
    enabled: bool


@dataclass(frozen=True)
class Schedule:
    """A whole SPH charge or discharge schedule, written in one call (spec 3.4).

    On a device there are always three periods; in a desired state, zero to three.
    `from_grid` is the mains flag of the charge schedule and None for discharge.
    """

    power: int
    stop_soc: int
    periods: tuple[Period, ...]
    from_grid: bool | None = None


@dataclass(frozen=True)
class WantedSegment:
    """A MIN segment the file asks for, after midnight splitting."""

    mode: str
    start: str
    end: str
    enabled: bool = True
    slot: int | None = None  # pinned slot, 1..9
    origin: str = ""  # e.g. "23:30-05:30 (split at midnight, part 1 of 2)" for the plan view


@dataclass
class DesiredDevice:
    """One inverter as the file wants it. A section that is None is not managed."""

    name: str
    serial: str
    family: Family | None  # None: resolve from the device list
    time_segments: list[WantedSegment] | None = None  # MIN
    ac_charge: Schedule | None = None  # SPH
    ac_discharge: Schedule | None = None  # SPH
    settings: dict[str, Any] = field(default_factory=dict)  # name -> normalized value
    profiles: list[str] = field(default_factory=list)  # active profile names, merge order
    next_switch: str | None = None  # ISO date the active dated profile changes, if any
    location: str = ""  # "file:line:col" of the inverter's entry


@dataclass
class DeviceState:
    """One inverter as a settings read shows it, normalized.

    Unknown is never zero: a slot, schedule or setting that could not be read is None
    (slots/schedules) or absent (settings), with a warning saying why.
    """

    serial: str
    family: Family
    slots: dict[int, Segment | None] = field(default_factory=dict)  # MIN: 1..9
    ac_charge: Schedule | None = None  # SPH
    ac_discharge: Schedule | None = None  # SPH
    settings: dict[str, Any] = field(default_factory=dict)
    clock: str | None = None  # the inverter's sysTime, as read
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Operation:
    """One write, exactly as it goes on the wire (endpoint, type, params)."""

    endpoint: str  # "tlxSet" | "mixSet"
    type: str  # "time_segment3", "charge_power", "mix_ac_charge_time_period", ...
    params: tuple[str, ...]  # param1.. as strings; trailing blanks are implied
    path: str  # the state it changes: "time_segments.3", "ac_charge", "settings.charge_power"
    summary: str  # one line for people
    dangerous: bool = False
