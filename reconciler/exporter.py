"""Describing a device's current state in the file format: `export` and restore points."""

from __future__ import annotations

import re
from typing import Any

import yaml

from reconciler.devices.params import PARAMS
from reconciler.model import DeviceState, Period, Schedule, Segment
from reconciler.timeofday import END_OF_DAY, from_minutes, to_minutes

MIDNIGHT_END = from_minutes(END_OF_DAY)


def _enabled_slots(state: DeviceState) -> list[tuple[int, Segment]]:
    return sorted((slot, seg) for slot, seg in state.slots.items()
                  if seg is not None and seg.enabled)


def join_midnight(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge `X-23:59` and `00:00-Y` of one mode back into one window across midnight."""
    result = list(segments)
    for late in list(result):
        if late["end"] != MIDNIGHT_END:
            continue
        for early in result:
            if (early is not late and early["start"] == "00:00"
                    and early["mode"] == late["mode"]
                    and to_minutes(early["end"]) < to_minutes(late["start"]) - 1):
                late["end"] = early["end"]
                result.remove(early)
                break
    return result


def segments_of(state: DeviceState, *, pin_slots: bool) -> list[dict[str, Any]]:
    segments = []
    for slot, seg in _enabled_slots(state):
        entry: dict[str, Any] = {"mode": seg.mode, "start": seg.start, "end": seg.end}
        if pin_slots:
            entry["slot"] = slot
        segments.append(entry)
    return segments if pin_slots else join_midnight(segments)


def _periods(periods: tuple[Period, ...]) -> list[dict[str, Any]]:
    return [{"start": p.start, "end": p.end} for p in periods if p.enabled]


def schedule_of(schedule: Schedule, *, charge: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"power": schedule.power, "stop_soc": schedule.stop_soc}
    if charge:
        entry["from_grid"] = bool(schedule.from_grid)
    entry["periods"] = _periods(schedule.periods)
    return entry


def device_entry(state: DeviceState, *, pin_slots: bool,
                 with_dangerous: bool = False) -> dict[str, Any]:
    """An inverter entry that plans clean against `state` (unknown parts are left out,
    so they are not managed)."""
    entry: dict[str, Any] = {"serial": state.serial, "type": state.family}
    if state.family == "min" and state.slots and all(
            seg is not None for seg in state.slots.values()):
        entry["time_segments"] = segments_of(state, pin_slots=pin_slots)
    if state.ac_charge is not None:
        entry["ac_charge"] = schedule_of(state.ac_charge, charge=True)
    if state.ac_discharge is not None:
        entry["ac_discharge"] = schedule_of(state.ac_discharge, charge=False)
    params = PARAMS[state.family]
    settings = {name: value for name, value in state.settings.items()
                if name in params and (with_dangerous or not params[name].dangerous)}
    if settings:
        entry["settings"] = settings
    return entry


def config_document(inverters: dict[str, dict[str, Any]], *, server: str = "eu",
                    token_env: str = "GROWATT_TOKEN",  # noqa: S107
                    ) -> dict[str, Any]:
    return {"version": 1, "account": {"server": server, "token_env": token_env},
            "inverters": inverters}


class _Dumper(yaml.SafeDumper):
    """Quotes every time, so "05:30" and "23:30" look alike (YAML 1.1 reads 23:30 as a number)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if re.fullmatch(r"\d{1,2}:\d{2}", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def to_yaml(document: dict[str, Any], header: str = "",
            comments: dict[str, str] | None = None) -> str:
    """YAML text with a header comment and a comment line above each named inverter."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for line in text.splitlines():
        name = line.strip().rstrip(":")
        if comments and line.startswith("  ") and not line.startswith("   ") \
                and name in comments:
            lines.append(f"  # {comments[name]}")
        lines.append(line)
    return "\n".join(lines) + "\n"
