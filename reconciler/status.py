"""Live status of an inverter: telemetry (min_energy / sph_energy) plus the active window.

Telemetry field names differ between families and firmware; each figure is taken from
the first key that carries a number, and left out when none does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.devices import registry
from reconciler.facts import family_of, read_inventory, read_settings
from reconciler.model import DesiredDevice, DeviceState
from reconciler.planner import state_of
from reconciler.timeofday import to_minutes

FIGURES: dict[str, dict[str, tuple[str, ...]]] = {
    "min": {
        "soc_percent": ("bdc1Soc", "soc", "SOC"),
        "pv_w": ("ppv", "ppvText"),
        "load_w": ("pacToLocalLoad", "pLocalLoadTotal", "pself"),
        "grid_import_w": ("pacToUserTotal", "pacToUser"),
        "grid_export_w": ("pacToGridTotal", "pacToGrid"),
        "battery_charge_w": ("bdc1ChargePower", "pcharge1", "chargePower"),
        "battery_discharge_w": ("bdc1DischargePower", "pdischarge1", "dischargePower"),
    },
    "sph": {
        "soc_percent": ("soc", "SOC", "bmsSOC"),
        "pv_w": ("ppv", "ppv1"),
        "load_w": ("pLocalLoad", "pacToLocalLoad", "pself"),
        "grid_import_w": ("pacToUser", "pacToUserTotal"),
        "grid_export_w": ("pacToGrid", "pacToGridTotal"),
        "battery_charge_w": ("pcharge1", "pcharge"),
        "battery_discharge_w": ("pdisCharge1", "pdischarge1"),
    },
}
TELEMETRY = {"min": "min_energy", "sph": "sph_energy"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def figures(family: str, data: dict[str, Any]) -> dict[str, float]:
    result = {}
    for name, keys in FIGURES[family].items():
        for key in keys:
            number = _number(data.get(key))
            if number is not None:
                result[name] = number
                break
    return result


def last_update(data: dict[str, Any]) -> str | None:
    for key in ("time", "lastUpdateTimeText", "calendar"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def age_seconds(text: str | None, timezone: str | None) -> float | None:
    if not text:
        return None
    try:
        when = datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    zone = ZoneInfo(timezone) if timezone else datetime.now().astimezone().tzinfo
    return (datetime.now(zone).replace(tzinfo=None) - when).total_seconds()


def active_window(state: DeviceState, now_minutes: int) -> str:
    """Which window applies at this minute, in the inverter's terms."""
    if state.family == "min":
        for slot, seg in sorted(state.slots.items()):
            if seg and seg.enabled and to_minutes(seg.start) <= now_minutes <= to_minutes(
                    seg.end):
                return f"{seg.mode} (slot {slot}, {seg.start}-{seg.end})"
        return "load_first (no segment active: the default)"
    for label, schedule in (("AC charge", state.ac_charge), ("AC discharge", state.ac_discharge)):
        for period in schedule.periods if schedule else ():
            if period.enabled and to_minutes(period.start) <= now_minutes <= to_minutes(
                    period.end):
                return f"{label} {period.start}-{period.end}"
    return "no charge or discharge period active"


def device_status(client: Any, device: DesiredDevice, *, state_dir: Path, read_interval: float,
                  timezone: str | None) -> dict[str, Any]:
    from reconciler.growatt.errors import GrowattError

    row: dict[str, Any] = {"name": device.name, "serial": device.serial}
    try:
        family: str | None = device.family
        inventory = read_inventory(client, state_dir=state_dir, needed={device.serial})
        entry = inventory.devices.get(device.serial, {})
        family = family or family_of(entry)
        if family is None:
            row["error"] = "unknown device type (set `type:` in the file)"
            return row
        row["family"] = family
        data = getattr(client, TELEMETRY[family])(device.serial) or {}
        data = data if isinstance(data, dict) else {}
        lost = entry.get("lost", data.get("lost"))
        row["online"] = not bool(lost) if lost is not None else None
        row["last_update"] = last_update(data)
        row["last_update_age_seconds"] = age_seconds(row["last_update"], timezone)
        row.update(figures(family, data))
        module = registry()[family]
        read = read_settings(client, device.serial, family, state_dir=state_dir,
                             read_interval=read_interval)
        zone = ZoneInfo(timezone) if timezone else datetime.now().astimezone().tzinfo
        now = datetime.now(zone)
        row["active_window"] = active_window(state_of(module, read, []),
                                             now.hour * 60 + now.minute)
    except GrowattError as exc:
        row["error"] = str(exc)
    return row


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def render_status(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        head = f"{row['name']} ({row['serial']})"
        if row.get("error"):
            lines.append(f"{head}: error: {row['error']}")
            continue
        online = {True: "online", False: "LOST", None: "online?"}[row.get("online")]
        lines.append(f"{head}: {online}, updated {_age(row.get('last_update_age_seconds'))}")
        flows = [f"{label} {row[key]:.0f}{unit}" for key, label, unit in (
            ("soc_percent", "battery", " %"), ("pv_w", "PV", " W"), ("load_w", "load", " W"),
            ("grid_import_w", "import", " W"), ("grid_export_w", "export", " W"),
            ("battery_charge_w", "charging", " W"),
            ("battery_discharge_w", "discharging", " W")) if key in row]
        if flows:
            lines.append("    " + ", ".join(flows))
        lines.append(f"    now: {row.get('active_window', '?')}")
    return "\n".join(lines) + "\n"
