"""SPH inverters (device type 5, "mix"): AC charge and discharge schedules plus settings.

Reads come from `sph_settings` (`mix_data_info`, spec 2.6). A schedule is written whole:
power, stop SOC, (mains flag) and all three periods in one `mixSet` (spec 2.8, 3.4), so
each schedule costs one write when anything in it differs, built from the same read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.devices.params import SPH_PARAMS
from reconciler.devices.settings import (
    apply_setting,
    decode_read_parameter,
    parse_settings,
    plan_settings,
    settings_view,
)
from reconciler.model import SPH_PERIODS, DesiredDevice, DeviceState, Operation, Period, Schedule
from reconciler.timeofday import is_unset, parse_api_time, to_minutes

NAME = "sph"
DEVICE_TYPE = 5
WRITE_ENDPOINT = "mixSet"
SETTINGS_READ = "sph_settings"
PARAMS = SPH_PARAMS
CHARGE = "mix_ac_charge_time_period"
DISCHARGE = "mix_ac_discharge_time_period"
UNUSED = Period("00:00", "00:00", False)

__all__ = ["apply", "decode_read_parameter", "parse", "plan", "view"]


def _number(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None or is_unset(value) or isinstance(value, bool):
        return None
    number = float(value)
    if number != int(number):
        raise ValueError(f"{key} = {value!r} is not a whole number")
    return int(number)


def _stop_soc(raw: Mapping[str, Any], base: str) -> int | None:
    """Unsuffixed key first, else the `...2` key (spec 2.6, 6.2)."""
    for key in (base, f"{base}2"):
        if key in raw and not is_unset(raw[key]):
            return _number(raw, key)
    return None


def parse_schedule(raw: Mapping[str, Any], prefix: str, power_key: str, soc_base: str,
                   mains_key: str | None, warnings: list[str]) -> Schedule | None:
    """A whole schedule, or None when any part of it cannot be known."""
    label = "AC charge" if prefix == "Charge" else "AC discharge"
    try:
        power = _number(raw, power_key)
        soc = _stop_soc(raw, soc_base)
        mains = _number(raw, mains_key) if mains_key else 0
        periods = []
        for index in range(1, SPH_PERIODS + 1):
            switch = _number(raw, f"forced{prefix}StopSwitch{index}")
            enabled = switch == 1
            times = []
            for key in (f"forced{prefix}TimeStart{index}", f"forced{prefix}TimeStop{index}"):
                try:
                    times.append(parse_api_time(raw.get(key)))
                except ValueError:
                    if enabled:
                        raise ValueError(f"{key} = {raw.get(key)!r} is not a time") from None
                    times.append(None)
            if enabled and None in times:
                raise ValueError(f"enabled period {index} has no start or end time")
            periods.append(Period(times[0] or "00:00", times[1] or "00:00", enabled))
    except ValueError as exc:
        warnings.append(f"{exc}; the {label} schedule is unknown and will not be the basis "
                        "of a write")
        return None
    if power is None or soc is None or mains is None:
        if any(key.startswith(f"forced{prefix}") for key in raw):
            warnings.append(f"the {label} power or stop SOC is missing from the read; the "
                            f"schedule is unknown")
        return None
    return Schedule(power=power, stop_soc=soc, periods=tuple(periods),
                    from_grid=bool(mains) if mains_key else None)


def parse(serial: str, raw: Mapping[str, Any]) -> DeviceState:
    warnings: list[str] = []
    raw = raw if isinstance(raw, Mapping) else {}
    if not raw:
        warnings.append("the settings read carries no data: schedules and settings unknown")
    charge = parse_schedule(raw, "Charge", "chargePowerCommand", "wchargeSOCLowLimit",
                            "acChargeEnable", warnings)
    discharge = parse_schedule(raw, "Discharge", "disChargePowerCommand",
                               "wdisChargeSOCLowLimit", None, warnings)
    clock = raw.get("sysTime")
    return DeviceState(serial=serial, family="sph", ac_charge=charge, ac_discharge=discharge,
                       settings=parse_settings(raw, PARAMS, warnings),
                       clock=clock if isinstance(clock, str) else None, warnings=warnings)


def place_periods(current: Schedule | None, wanted: tuple[Period, ...]) -> tuple[Period, ...]:
    """Three periods holding the wanted enabled ones; unchanged periods keep their place,
    the rest go where a change is needed anyway, then to disabled places."""
    old = list(current.periods) if current else [UNUSED] * SPH_PERIODS
    wanted_on = [p for p in wanted if p.enabled]
    final: list[Period | None] = [None] * SPH_PERIODS
    rest = []
    for period in wanted_on:
        place = next((i for i in range(SPH_PERIODS) if final[i] is None and old[i] == period),
                     None)
        if place is None:
            rest.append(period)
        else:
            final[place] = period
    free = [i for i in range(SPH_PERIODS) if final[i] is None]
    free.sort(key=lambda i: (not old[i].enabled, i))  # must-change places first
    for period, place in zip(rest, free, strict=False):
        final[place] = period
    return tuple(p if p is not None else Period(old[i].start, old[i].end, False)
                 for i, p in enumerate(final))


def _equal(a: Schedule | None, b: Schedule) -> bool:
    """Equal as the device behaves: a disabled period's times do not matter."""
    if a is None:
        return False
    if (a.power, a.stop_soc, a.from_grid) != (b.power, b.stop_soc, b.from_grid):
        return False
    return all((x.enabled, x.start, x.end) == (y.enabled, y.start, y.end)
               if x.enabled or y.enabled else True for x, y in zip(a.periods, b.periods,
                                                                     strict=True))


def _hm(text: str) -> tuple[str, str]:
    hour, minute = text.split(":")
    return str(int(hour)), str(int(minute))


def schedule_params(schedule: Schedule, charge: bool) -> tuple[str, ...]:
    head = [str(schedule.power), str(schedule.stop_soc)]
    if charge:
        head.append("1" if schedule.from_grid else "0")
    for period in schedule.periods:
        head += [*_hm(period.start), *_hm(period.end), "1" if period.enabled else "0"]
    return tuple(head)


def describe(schedule: Schedule | None) -> str:
    if schedule is None:
        return "unknown"
    windows = ", ".join(f"{p.start}-{p.end}" for p in schedule.periods if p.enabled) or "none"
    grid = "" if schedule.from_grid is None else (", from grid" if schedule.from_grid
                                                   else ", not from grid")
    return f"power {schedule.power} %, stop {schedule.stop_soc} %{grid}, periods {windows}"


def _overlap(a: Schedule, b: Schedule | None) -> bool:
    if b is None:
        return False
    return any(to_minutes(x.start) <= to_minutes(y.end) and to_minutes(y.start) <= to_minutes(x.end)
               for x in a.periods if x.enabled for y in b.periods if y.enabled)


def _all_off(schedule: Schedule) -> Schedule:
    return replace(schedule, periods=tuple(replace(p, enabled=False) for p in schedule.periods))


def schedule_operation(name: str, schedule: Schedule, current: Schedule | None,
                       note: str = "") -> Operation:
    charge = name == "ac_charge"
    summary = f"{name}: {describe(schedule)} (was {describe(current)}){note}"
    return Operation(endpoint=WRITE_ENDPOINT, type=CHARGE if charge else DISCHARGE,
                     params=schedule_params(schedule, charge), path=name, summary=summary)


def plan(current: DeviceState, desired: DesiredDevice) -> list[Operation]:
    finals: dict[str, Schedule] = {}
    for name in ("ac_charge", "ac_discharge"):
        wanted: Schedule | None = getattr(desired, name)
        if wanted is None:
            continue
        now: Schedule | None = getattr(current, name)
        final = replace(wanted, periods=place_periods(now, wanted.periods),
                        from_grid=wanted.from_grid if name == "ac_charge" else None)
        if not _equal(now, final):
            finals[name] = final
    operations: list[Operation] = []
    if len(finals) == 2:
        charge, discharge = finals["ac_charge"], finals["ac_discharge"]
        # A charge period may not overlap an enabled discharge period at any step.
        if not _overlap(charge, current.ac_discharge):
            operations += [schedule_operation("ac_charge", charge, current.ac_charge),
                           schedule_operation("ac_discharge", discharge, current.ac_discharge)]
        elif not _overlap(discharge, current.ac_charge):
            operations += [schedule_operation("ac_discharge", discharge, current.ac_discharge),
                           schedule_operation("ac_charge", charge, current.ac_charge)]
        else:
            paused = _all_off(current.ac_discharge) if current.ac_discharge else _all_off(
                discharge)
            operations += [
                schedule_operation("ac_discharge", paused, current.ac_discharge,
                                   " [discharge periods off first, to free the charge windows]"),
                schedule_operation("ac_charge", charge, current.ac_charge),
                schedule_operation("ac_discharge", discharge, paused)]
    else:
        operations += [schedule_operation(name, schedule, getattr(current, name))
                       for name, schedule in finals.items()]
    operations += plan_settings(current, desired, PARAMS, WRITE_ENDPOINT)
    return operations


def schedule_from_params(params: tuple[str, ...], charge: bool) -> Schedule:
    values = list(params)
    power, soc = int(values[0]), int(values[1])
    from_grid = values[2] == "1" if charge else None
    rest = values[3:] if charge else values[2:]
    periods = []
    for index in range(SPH_PERIODS):
        h1, m1, h2, m2, enable = rest[index * 5:index * 5 + 5]
        periods.append(Period(f"{int(h1):02d}:{int(m1):02d}", f"{int(h2):02d}:{int(m2):02d}",
                              enable == "1"))
    return Schedule(power, soc, tuple(periods), from_grid)


def apply(state: DeviceState, operation: Operation) -> DeviceState:
    new = replace(state, settings=dict(state.settings), warnings=list(state.warnings))
    if operation.type == CHARGE:
        new.ac_charge = schedule_from_params(operation.params, charge=True)
    elif operation.type == DISCHARGE:
        new.ac_discharge = schedule_from_params(operation.params, charge=False)
    else:
        apply_setting(new, operation, PARAMS)
    return new


def schedule_view(schedule: Schedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    result: dict[str, Any] = {"power": schedule.power, "stop_soc": schedule.stop_soc}
    if schedule.from_grid is not None:
        result["from_grid"] = schedule.from_grid
    result["periods"] = [{"start": p.start, "end": p.end, "enabled": True} if p.enabled
                         else {"enabled": False} for p in schedule.periods]
    return result


def view(state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in ("ac_charge", "ac_discharge"):
        if getattr(desired, name) is not None:
            result[name] = schedule_view(getattr(state, name))
    if desired.settings:
        result["settings"] = settings_view(state, desired)
    return result
