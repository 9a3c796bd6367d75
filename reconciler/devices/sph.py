"""SPH inverters (device type 5, "mix"): AC charge and discharge schedules plus settings.

Reads come from `sph_settings` (`mix_data_info`, spec 2.6). A schedule is written whole:
power, stop SOC, (mains flag) and all three periods in one `mixSet` (spec 2.8, 3.4), so
each schedule costs one write when anything in it differs, built from the same read.

Reading (spec 1.6, 2.6): a schedule is known only when every key of it reads cleanly;
the stop SOC comes from the unsuffixed key (`wchargeSOCLowLimit`) when the read has it
set, else from the `...2` key. A disabled period with unset times reads as 00:00-00:00.
Anything garbage (a time "11:187", a switch 2), missing, or an enabled period that ends
before it starts makes the whole schedule unknown (None) with a warning naming the key:
there is no per-period write, so the schedule is the unit that is known or not.

Planning:
- Wanted enabled periods keep the place where the device already holds them; the others
  go to places that change anyway, then to disabled ones. Wanted periods with
  `enabled: false` need no place. Places left over are sent switched off with the times
  the device holds there, or 0:0-0:0 when those are unknown or not a valid window, so no
  blank is ever sent and nothing unknown is repeated.
- An unknown schedule that the file manages is written whole from the file.
- Safe order (spec 3.3, 0xAHA report): a charge period may not overlap an enabled
  discharge period after any write. With both schedules changing, the write that is
  valid against the other's current periods goes first; an unknown schedule may hold
  anything, so it counts as overlapping. When neither order works, the discharge periods
  are switched off first: one extra write, and the fewest, since both two-write orders
  fail. When only one schedule changes and its new periods overlap the other's enabled
  periods, no order helps: `plan` raises CannotPlanError (a ValueError).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.devices import raw as values
from reconciler.devices.params import SPH_PARAMS
from reconciler.devices.settings import (
    apply_setting,
    decode_read_parameter,
    parse_settings,
    plan_settings,
    settings_view,
)
from reconciler.model import SPH_PERIODS, DesiredDevice, DeviceState, Operation, Period, Schedule
from reconciler.timeofday import to_minutes

NAME = "sph"
DEVICE_TYPE = 5
WRITE_ENDPOINT = "mixSet"
SETTINGS_READ = "sph_settings"
PARAMS = SPH_PARAMS
CHARGE = "mix_ac_charge_time_period"
DISCHARGE = "mix_ac_discharge_time_period"
OFF = Period("00:00", "00:00", False)  # an unused place as sent: 0,0,0,0,0

__all__ = ["DEVICE_TYPE", "NAME", "PARAMS", "SETTINGS_READ", "WRITE_ENDPOINT",
           "CannotPlanError", "apply", "decode_read_parameter", "parse", "plan", "view"]


class CannotPlanError(ValueError):
    """No order of writes reaches the wanted state without a rejected write."""


@dataclass(frozen=True)
class Kind:
    """Where one schedule lives in the read and on the wire."""

    name: str  # DesiredDevice/DeviceState attribute and Operation.path
    label: str  # for people
    prefix: str  # forced{prefix}TimeStart{i} ...
    power_key: str
    soc_key: str  # unsuffixed; the `...2` key is the fallback (spec 2.6, 6.2)
    mains_key: str | None  # the charge schedule's mains flag
    write_type: str

    def period_keys(self, i: int) -> tuple[str, str, str]:
        return (f"forced{self.prefix}TimeStart{i}", f"forced{self.prefix}TimeStop{i}",
                f"forced{self.prefix}StopSwitch{i}")

    def all_keys(self) -> list[str]:
        keys = [self.power_key, self.soc_key, f"{self.soc_key}2"]
        keys += [self.mains_key] if self.mains_key else []
        return keys + [k for i in range(1, SPH_PERIODS + 1) for k in self.period_keys(i)]


CHARGING = Kind("ac_charge", "AC charge", "Charge", "chargePowerCommand", "wchargeSOCLowLimit",
                "acChargeEnable", CHARGE)
DISCHARGING = Kind("ac_discharge", "AC discharge", "Discharge", "disChargePowerCommand",
                   "wdisChargeSOCLowLimit", None, DISCHARGE)
KINDS = (CHARGING, DISCHARGING)


# --------------------------------------------------------------------------- parse


def whole(raw: Mapping[str, Any], key: str) -> int:
    """A set whole number; ValueError (the warning's first half) otherwise."""
    if key not in raw:
        raise ValueError(f"{key} is missing from the read")
    try:
        number = values.code(raw[key])
    except ValueError:
        raise ValueError(f"{key} = {raw[key]!r} is not a whole number") from None
    if number is None:
        raise ValueError(f"{key} is unset")
    return number


def stop_soc(raw: Mapping[str, Any], kind: Kind) -> int:
    key = kind.soc_key
    if key in raw and not values.is_unset(raw[key]):
        return whole(raw, key)
    return whole(raw, f"{key}2")


def read_period(raw: Mapping[str, Any], kind: Kind, i: int) -> Period:
    start_key, stop_key, switch_key = kind.period_keys(i)
    for key in (start_key, stop_key, switch_key):
        if key not in raw:
            raise ValueError(f"{key} is missing from the read")
    try:
        switch = values.code(raw[switch_key])
    except ValueError:
        switch = -1
    if switch not in (None, 0, 1):
        raise ValueError(f"{switch_key} = {raw[switch_key]!r} is not 0 or 1")
    enabled = switch == 1
    times = []
    for key in (start_key, stop_key):
        try:
            time = values.time_of_day(raw[key])
        except ValueError:
            raise ValueError(f"{key} = {raw[key]!r} is not a time") from None
        if time is None and enabled:
            raise ValueError(f"{key} is unset on enabled period {i}")
        times.append(time or "00:00")
    start, end = times
    if enabled and to_minutes(end) < to_minutes(start):
        raise ValueError(f"enabled period {i} ends ({end}) before it starts ({start})")
    return Period(start, end, enabled)


def read_schedule(raw: Mapping[str, Any], kind: Kind, warnings: list[str]) -> Schedule | None:
    if not raw:
        return None  # one warning for the whole empty read
    if not any(key in raw for key in kind.all_keys()):
        warnings.append(f"the settings read carries no {kind.label} schedule; it is unknown")
        return None
    try:
        power = whole(raw, kind.power_key)
        soc = stop_soc(raw, kind)
        mains = whole(raw, kind.mains_key) if kind.mains_key else None
        if mains not in (None, 0, 1):
            raise ValueError(f"{kind.mains_key} = {mains!r} is not 0 or 1")
        periods = tuple(read_period(raw, kind, i) for i in range(1, SPH_PERIODS + 1))
    except ValueError as exc:
        warnings.append(f"{exc}; the {kind.label} schedule is unknown and will not be used "
                        "as the basis of a write")
        return None
    return Schedule(power, soc, periods, None if mains is None else bool(mains))


def parse(serial: str, raw: Mapping[str, Any]) -> DeviceState:
    """Normalize the `data` of a `mix_data_info` read."""
    raw = raw if isinstance(raw, Mapping) else {}
    warnings: list[str] = []
    if not raw:
        warnings.append("the settings read carries no data: its schedules and settings are "
                        "unknown")
    charge = read_schedule(raw, CHARGING, warnings)
    discharge = read_schedule(raw, DISCHARGING, warnings)
    settings = parse_settings(raw, PARAMS, warnings)
    clock = raw.get("sysTime")
    return DeviceState(serial=serial, family="sph", ac_charge=charge, ac_discharge=discharge,
                       settings=settings, clock=clock if isinstance(clock, str) else None,
                       warnings=warnings)


# --------------------------------------------------------------------------- plan


def is_window(period: Period) -> bool:
    return to_minutes(period.start) <= to_minutes(period.end)


def unused(old: Period | None) -> Period:
    """A place no wanted period takes: off, with the times the device holds if sendable."""
    if old is None or not is_window(old):
        return OFF
    return replace(old, enabled=False)


def place_periods(current: Schedule | None, wanted: Sequence[Period]) -> tuple[Period, ...]:
    """The three places, holding the wanted enabled periods; unchanged periods stay put."""
    for period in wanted:
        if not is_window(period) or (period.enabled and period.start == period.end):
            raise CannotPlanError(f"wanted period {period.start}-{period.end} is not a window "
                                  "the inverter takes (it ends before or where it starts)")
    on = [p for p in wanted if p.enabled]
    if len(on) > SPH_PERIODS:
        raise CannotPlanError(f"{len(on)} enabled periods but an SPH schedule holds "
                              f"{SPH_PERIODS}")
    old: list[Period | None] = list(current.periods) if current else [None] * SPH_PERIODS
    final: list[Period | None] = [None] * SPH_PERIODS
    rest = []
    for period in on:
        place = next((i for i, p in enumerate(old) if final[i] is None and p == period), None)
        if place is None:
            rest.append(period)
        else:
            final[place] = period
    # places that change anyway (enabled, not wanted) first, then off ones, then unknown
    free = [i for i in range(SPH_PERIODS) if final[i] is None]
    free.sort(key=lambda i: (0 if (p := old[i]) is not None and p.enabled else
                             1 if p is not None else 2, i))
    for period, place in zip(rest, free, strict=False):
        final[place] = period
    return tuple(p if p is not None else unused(old[i]) for i, p in enumerate(final))


def final_schedule(kind: Kind, current: Schedule | None, wanted: Schedule) -> Schedule:
    from_grid = None
    if kind.mains_key:  # the file always says; keep the device's value if it did not
        from_grid = wanted.from_grid
        if from_grid is None:
            from_grid = current.from_grid if current and current.from_grid is not None else True
    return Schedule(wanted.power, wanted.stop_soc, place_periods(current, wanted.periods),
                    from_grid)


def same_schedule(current: Schedule | None, final: Schedule) -> bool:
    """Equal as the device behaves: a disabled period's times do not matter."""
    if current is None:
        return False
    if (current.power, current.stop_soc, current.from_grid) != (
            final.power, final.stop_soc, final.from_grid):
        return False
    return all(a == b if a.enabled or b.enabled else True
               for a, b in zip(current.periods, final.periods, strict=True))


def enabled_overlap(a: Schedule | None, b: Schedule | None) -> tuple[Period, Period] | None:
    """A pair of enabled periods, one of each schedule, that share a minute."""
    if a is None or b is None:
        return None
    for x in a.periods:
        for y in b.periods:
            if x.enabled and y.enabled and to_minutes(x.start) <= to_minutes(y.end) \
                    and to_minutes(y.start) <= to_minutes(x.end):
                return x, y
    return None


def can_write(new: Schedule, other_now: Schedule | None) -> bool:
    """Whether the cloud accepts `new` while the other schedule is as it is now; an unknown
    other schedule may hold anything."""
    if other_now is None:
        return not any(p.enabled for p in new.periods)
    return enabled_overlap(new, other_now) is None


def switched_off(schedule: Schedule) -> Schedule:
    return replace(schedule, periods=tuple(unused(p) for p in schedule.periods))


def order_writes(current: DeviceState, finals: dict[str, Schedule],
                 managed: set[str]) -> list[tuple[Kind, Schedule, str]]:
    """(kind, content, note) in a safe order, or CannotPlanError."""
    if set(finals) == {"ac_charge", "ac_discharge"}:
        charge, discharge = finals["ac_charge"], finals["ac_discharge"]
        clash = enabled_overlap(charge, discharge)
        if clash:
            raise CannotPlanError(
                f"the AC charge period {clash[0].start}-{clash[0].end} overlaps the AC "
                f"discharge period {clash[1].start}-{clash[1].end}; the inverter rejects that")
        if can_write(charge, current.ac_discharge):
            return [(CHARGING, charge, ""), (DISCHARGING, discharge, "")]
        if can_write(discharge, current.ac_charge):
            return [(DISCHARGING, discharge, ""), (CHARGING, charge, "")]
        paused = switched_off(current.ac_discharge or discharge)
        return [(DISCHARGING, paused, " [discharge periods off first, to free the charge "
                                      "windows]"),
                (CHARGING, charge, ""), (DISCHARGING, discharge, "")]
    writes = []
    for name, schedule in finals.items():
        kind = CHARGING if name == "ac_charge" else DISCHARGING
        other = DISCHARGING if kind is CHARGING else CHARGING
        clash = enabled_overlap(schedule, getattr(current, other.name))
        if clash:
            hint = ("" if other.name in managed
                    else f"; manage {other.name} in the file too, or choose another window")
            raise CannotPlanError(
                f"the {kind.label} period {clash[0].start}-{clash[0].end} would overlap the "
                f"enabled {other.label} period {clash[1].start}-{clash[1].end}, which the "
                f"inverter rejects{hint}")
        writes.append((kind, schedule, ""))
    return writes


def hm(text: str) -> list[str]:
    hour, minute = divmod(to_minutes(text), 60)
    return [str(hour), str(minute)]


def schedule_params(kind: Kind, schedule: Schedule) -> tuple[str, ...]:
    """p1 power, p2 stop SOC, (p3 mains), then 3 x (start h, start m, end h, end m, enable),
    unpadded; every used param is set (spec 2.8)."""
    params = [str(schedule.power), str(schedule.stop_soc)]
    if kind.mains_key:
        params.append("1" if schedule.from_grid else "0")
    for period in schedule.periods:
        params += [*hm(period.start), *hm(period.end), "1" if period.enabled else "0"]
    return tuple(params)


def describe(schedule: Schedule | None) -> str:
    if schedule is None:
        return "unknown"
    windows = ", ".join(f"{p.start}-{p.end}" for p in schedule.periods if p.enabled) or "none"
    grid = "" if schedule.from_grid is None else (", from grid" if schedule.from_grid
                                                   else ", not from grid")
    return f"power {schedule.power} %, stop {schedule.stop_soc} %{grid}, periods {windows}"


def plan(current: DeviceState, desired: DesiredDevice) -> list[Operation]:
    """At most one write per schedule that differs (two for the discharge schedule when it
    must be switched off first), then one write per setting that differs."""
    finals: dict[str, Schedule] = {}
    managed = set()
    for kind in KINDS:
        wanted: Schedule | None = getattr(desired, kind.name)
        if wanted is None:
            continue
        managed.add(kind.name)
        now: Schedule | None = getattr(current, kind.name)
        final = final_schedule(kind, now, wanted)
        if not same_schedule(now, final):
            finals[kind.name] = final
    operations = []
    state = {kind.name: getattr(current, kind.name) for kind in KINDS}
    for kind, schedule, note in order_writes(current, finals, managed):
        summary = f"{kind.name}: {describe(schedule)} (was {describe(state[kind.name])}){note}"
        operations.append(Operation(endpoint=WRITE_ENDPOINT, type=kind.write_type,
                                    params=schedule_params(kind, schedule), path=kind.name,
                                    summary=summary))
        state[kind.name] = schedule
    operations += plan_settings(current, desired, PARAMS, WRITE_ENDPOINT)
    return operations


# --------------------------------------------------------------------------- apply, view


def schedule_from_params(kind: Kind, params: Sequence[str]) -> Schedule:
    numbers = [int(p) for p in params]
    head = 3 if kind.mains_key else 2
    periods = []
    for i in range(SPH_PERIODS):
        start_h, start_m, end_h, end_m, enable = numbers[head + 5 * i:head + 5 * i + 5]
        periods.append(Period(f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}",
                              enable == 1))
    from_grid = numbers[2] == 1 if kind.mains_key else None
    return Schedule(numbers[0], numbers[1], tuple(periods), from_grid)


def apply(state: DeviceState, operation: Operation) -> DeviceState:
    """The state as the next read shows it after this one write (pure)."""
    new = replace(state, settings=dict(state.settings), warnings=list(state.warnings))
    for kind in KINDS:
        if operation.type == kind.write_type:
            setattr(new, kind.name, schedule_from_params(kind, operation.params))
            return new
    if not apply_setting(new, operation, PARAMS):
        raise ValueError(f"not an SPH write: {operation.type}")
    return new


def schedule_view(schedule: Schedule | None) -> dict[str, Any] | None:
    """Disabled periods show only that they are off (their times are no difference)."""
    if schedule is None:
        return None
    result: dict[str, Any] = {"power": schedule.power, "stop_soc": schedule.stop_soc}
    if schedule.from_grid is not None:
        result["from_grid"] = schedule.from_grid
    result["periods"] = [{"start": p.start, "end": p.end, "enabled": True} if p.enabled
                         else {"enabled": False} for p in schedule.periods]
    return result


def view(state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
    """The managed part: {"ac_charge": ..., "ac_discharge": ..., "settings": {...}}."""
    result: dict[str, Any] = {}
    for kind in KINDS:
        if getattr(desired, kind.name) is not None:
            result[kind.name] = schedule_view(getattr(state, kind.name))
    if desired.settings:
        result["settings"] = settings_view(state, desired)
    return result
