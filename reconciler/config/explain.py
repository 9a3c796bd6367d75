"""What the file asks of one inverter, in the device's terms (`validate --explain`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from reconciler.model import DesiredDevice, Schedule


def explain_json(device: DesiredDevice, day: date) -> dict[str, Any]:
    return {"date": day.isoformat(), **asdict(device)}


def _schedule(name: str, schedule: Schedule | None) -> list[str]:
    if schedule is None:
        return [f"  {name}: not managed"]
    grid = "" if schedule.from_grid is None else f", from grid: {schedule.from_grid}"
    lines = [f"  {name}: power {schedule.power} %, stop SOC {schedule.stop_soc} %{grid}"]
    lines += [f"    period {p.start}-{p.end}" + ("" if p.enabled else " (disabled)")
              for p in schedule.periods] or ["    no periods: all three disabled"]
    return lines


def explain(device: DesiredDevice, day: date) -> str:
    lines = [f"{device.name} ({device.serial}), {device.family or 'type from the device list'}"
             f", on {day.isoformat()}", f"  defined at {device.location}"]
    if device.profiles:
        lines.append(f"  profiles: {' + '.join(device.profiles)}")
    if device.next_switch:
        lines.append(f"  next seasonal switch: {device.next_switch}")
    if device.time_segments is None:
        lines.append("  time_segments: not managed")
    elif device.family != "sph":
        lines.append("  time_segments (slots holding none of these are disabled):")
        for segment in device.time_segments:
            slot = f"slot {segment.slot}" if segment.slot else "any slot"
            state = "" if segment.enabled else " (disabled)"
            origin = f"   <- {segment.origin}" if segment.origin else ""
            lines.append(f"    {segment.mode:<13} {segment.start}-{segment.end}  {slot}{state}"
                         f"{origin}")
        if not device.time_segments:
            lines.append("    none: every slot disabled")
    if device.family != "min":
        lines += _schedule("ac_charge", device.ac_charge)
        lines += _schedule("ac_discharge", device.ac_discharge)
    if device.settings:
        lines.append("  settings:")
        lines += [f"    {name}: {json.dumps(value)}"
                  for name, value in sorted(device.settings.items())]
    return "\n".join(lines) + "\n"
