"""The named parameters a file may manage under `settings`, per family (spec 2.7, 2.8).

Each entry says how people write the value, how it goes on the wire (write type and
params), and where its current value is read: keys of the settings read, or
`read_parameter` when the settings read does not carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.timeofday import is_unset


@dataclass(frozen=True)
class Codec:
    """How one kind of value is checked, written and read back."""

    schema: dict[str, Any]  # JSON Schema of the value in the file
    normalize: Callable[[Any], Any]  # file value -> normalized; ValueError with a sentence
    encode: Callable[[Any], tuple[str, ...]]  # normalized -> param1..
    decode: Callable[[Sequence[Any]], Any]  # raw values of the read keys -> normalized or None


@dataclass(frozen=True)
class Param:
    name: str
    family: str
    write_type: str
    codec: Codec
    read_keys: tuple[str, ...]  # empty: read with read_parameter(write_type)
    description: str
    dangerous: bool = False  # may switch the inverter off or change grid protection


def _number(raw: Any) -> float:
    """A number from a read: 80, 80.0, "80" (never bool, never garbage)."""
    if isinstance(raw, bool):
        raise ValueError(f"not a number: {raw!r}")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        return float(raw.strip())
    raise ValueError(f"not a number: {raw!r}")


def _whole(raw: Any) -> int:
    value = _number(raw)
    if value != int(value):
        raise ValueError(f"not a whole number: {raw!r}")
    return int(value)


def _first(raws: Sequence[Any]) -> Any:
    return raws[0] if raws else None


def flag(on: str = "1", off: str = "0") -> Codec:
    """true/false in the file; "1"/"0" (or "0001"/"0000") on the wire."""

    def normalize(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value

    def decode(raws: Sequence[Any]) -> bool | None:
        raw = _first(raws)
        if is_unset(raw):
            return None
        number = _whole(raw)
        if number not in (0, 1):
            raise ValueError(f"not a 0/1 flag: {raw!r}")
        return bool(number)

    return Codec({"type": "boolean"}, normalize, lambda v: (on if v else off,), decode)


def whole_number(low: int, high: int, unit: str = "") -> Codec:
    def normalize(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number from {low} to {high}, not {value!r}")
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}{unit}, not {value}")
        return value

    def decode(raws: Sequence[Any]) -> int | None:
        raw = _first(raws)
        return None if is_unset(raw) else _whole(raw)

    schema = {"type": "integer", "minimum": low, "maximum": high}
    return Codec(schema, normalize, lambda v: (str(v),), decode)


def percent() -> Codec:
    return whole_number(0, 100, " %")


def decimal(ranges: Sequence[tuple[float, float]], unit: str = "") -> Codec:
    text = " or ".join(f"{a:g} to {b:g}" for a, b in ranges)

    def normalize(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number ({text}{unit}), not {value!r}")
        if not any(a <= value <= b for a, b in ranges):
            raise ValueError(f"must be {text}{unit}, not {value}")
        return float(value)

    def decode(raws: Sequence[Any]) -> float | None:
        raw = _first(raws)
        return None if is_unset(raw) else _number(raw)

    schema: dict[str, Any] = {"type": "number"}
    if len(ranges) == 1:
        schema |= {"minimum": ranges[0][0], "maximum": ranges[0][1]}
    return Codec(schema, normalize, lambda v: (f"{v:g}",), decode)


def choice(options: Mapping[Any, str]) -> Codec:
    """A value from a fixed list in the file; its code on the wire."""
    by_code = {code: value for value, code in options.items()}

    def normalize(value: Any) -> Any:
        if isinstance(value, bool) or value not in options:
            allowed = ", ".join(str(option) for option in options)
            raise ValueError(f"must be one of {allowed}, not {value!r}")
        return value

    def decode(raws: Sequence[Any]) -> Any:
        raw = _first(raws)
        if is_unset(raw):
            return None
        code = str(_whole(raw))
        if code not in by_code:
            raise ValueError(f"unknown code {raw!r}")
        return by_code[code]

    return Codec({"enum": list(options)}, normalize, lambda v: (options[v],), decode)


def export_limit() -> Codec:
    """`{enabled: true, percent: 50}`; wire p1 on/off, p2 percent (backflow_setting)."""

    def normalize(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) - {"enabled", "percent"}:
            raise ValueError("must be {enabled: true|false, percent: 0-100}")
        enabled = value.get("enabled")
        if not isinstance(enabled, bool):
            raise ValueError("enabled must be true or false")
        share = value.get("percent", 100 if enabled else 0)
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise ValueError(f"percent must be a whole number from 0 to 100, not {share!r}")
        return {"enabled": enabled, "percent": share}

    def decode(raws: Sequence[Any]) -> dict[str, Any] | None:
        on, share = [*raws, None, None][:2]
        if is_unset(on):
            return None
        enabled = _whole(on) != 0
        return {"enabled": enabled, "percent": 0 if is_unset(share) else _whole(share)}

    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["enabled"],
        "properties": {
            "enabled": {"type": "boolean"},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        },
    }
    return Codec(schema, normalize, lambda v: ("1" if v["enabled"] else "0", str(v["percent"])),
                 decode)


def _params(family: str, *entries: Param) -> dict[str, Param]:
    if any(entry.family != family for entry in entries):
        raise ValueError(f"a parameter in the {family} registry names another family")
    return {entry.name: entry for entry in entries}


VOLTAGE_HIGH = decimal([(230.0, 300.0)], " V")
VOLTAGE_LOW = decimal([(150.0, 230.0)], " V")
POWER_FACTOR = decimal([(-1.0, -0.8), (0.8, 1.0)])
FREQUENCY = choice({50: "0", 60: "1"})
AC_VOLTAGE = choice({230: "0", 208: "1", 240: "2"})

MIN_PARAMS = _params(
    "min",
    Param("ac_charge", "min", "ac_charge", flag(), ("acChargeEnable",),
          "charge the battery from the grid in battery-first windows"),
    Param("charge_power", "min", "charge_power", percent(), ("chargePowerCommand",),
          "battery charge power, % of rated"),
    Param("charge_stop_soc", "min", "charge_stop_soc", percent(), ("wchargeSOCLowLimit",),
          "stop charging at this state of charge, %"),
    Param("discharge_power", "min", "discharge_power", percent(), ("disChargePowerCommand",),
          "battery discharge power, % of rated"),
    Param("discharge_stop_soc", "min", "discharge_stop_soc", percent(),
          ("wdisChargeSOCLowLimit",), "stop discharging at this state of charge, % (off-grid)"),
    Param("on_grid_discharge_stop_soc", "min", "on_grid_discharge_stop_soc", percent(),
          ("onGridDischargeStopSOC",), "stop discharging at this state of charge, % (on-grid)"),
    Param("export_limit", "min", "backflow_setting", export_limit(),
          ("exportLimit", "exportLimitPowerRate"), "limit export to the grid"),
    Param("active_power_rate", "min", "pv_active_p_rate", percent(), ("activeRate",),
          "active power limit, % of rated"),
    Param("reactive_power_rate", "min", "pv_reactive_p_rate", percent(), ("reactiveRate",),
          "reactive power, % of rated"),
    Param("power_factor", "min", "pv_power_factor", POWER_FACTOR, ("pf",), "power factor"),
    Param("on_off", "min", "tlx_on_off", flag("0001", "0000"), ("onOff",),
          "inverter on (true) or off (false)", dangerous=True),
    Param("grid_voltage_high", "min", "pv_grid_voltage_high", VOLTAGE_HIGH,
          ("voltageHighLimit",), "grid over-voltage protection limit, V", dangerous=True),
    Param("grid_voltage_low", "min", "pv_grid_voltage_low", VOLTAGE_LOW, ("voltageLowLimit",),
          "grid under-voltage protection limit, V", dangerous=True),
    Param("off_grid_enable", "min", "tlx_off_grid_enable", flag(), (),
          "supply loads off-grid (EPS)"),
    Param("off_grid_frequency", "min", "tlx_ac_discharge_frequency", FREQUENCY, (),
          "off-grid output frequency, Hz"),
    Param("off_grid_voltage", "min", "tlx_ac_discharge_voltage", AC_VOLTAGE, (),
          "off-grid output voltage, V"),
)

SPH_PARAMS = _params(
    "sph",
    Param("export_limit", "sph", "backflow_setting", export_limit(),
          ("exportLimit", "exportLimitPowerRate"), "limit export to the grid"),
    Param("load_first_stop_soc", "sph", "mix_load_flast_value_multi", percent(),
          ("wdisChargeSOCLowLimit1",), "stop discharging in load-first at this state of charge, %"),
    Param("load_first_control", "sph", "mix_load_first_control",
          choice({"three_phase_sum": "0", "per_phase": "1"}), (),
          "load-first control on three-phase systems"),
    Param("single_export", "sph", "mix_single_export", flag(), (), "single-phase export"),
    Param("active_power_rate", "sph", "pv_active_p_rate", percent(), ("activeRate",),
          "active power limit, % of rated"),
    Param("reactive_power_rate", "sph", "pv_reactive_p_rate", percent(), ("reactiveRate",),
          "reactive power, % of rated"),
    Param("power_factor", "sph", "pv_power_factor", POWER_FACTOR, ("powerFactor",),
          "power factor"),
    Param("pf_memory", "sph", "pv_pf_cmd_memory_state", flag(), (),
          "keep power-factor commands across restarts"),
    Param("on_off", "sph", "pv_on_off", flag("0001", "0000"), ("onOff",),
          "inverter on (true) or off (false)", dangerous=True),
    Param("grid_voltage_high", "sph", "pv_grid_voltage_high", VOLTAGE_HIGH,
          ("voltageHighLimit",), "grid over-voltage protection limit, V", dangerous=True),
    Param("grid_voltage_low", "sph", "pv_grid_voltage_low", VOLTAGE_LOW, ("voltageLowLimit",),
          "grid under-voltage protection limit, V", dangerous=True),
    Param("off_grid_enable", "sph", "mix_off_grid_enable", flag(), (),
          "supply loads off-grid (EPS)"),
    Param("off_grid_frequency", "sph", "mix_ac_discharge_frequency", FREQUENCY, (),
          "off-grid output frequency, Hz"),
    Param("off_grid_voltage", "sph", "mix_ac_discharge_voltage", AC_VOLTAGE, (),
          "off-grid output voltage, V"),
)

PARAMS: dict[str, dict[str, Param]] = {"min": MIN_PARAMS, "sph": SPH_PARAMS}
