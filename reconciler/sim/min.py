"""MIN (type 7, "tlx") in the simulated cloud: `tlxSet` validation and read-back (spec 2.7)."""

from __future__ import annotations

from typing import Any

from reconciler.sim import named, values
from reconciler.sim.errors import SimError

DEVICE_TYPE = 7
WRITE_ENDPOINT = "tlxSet"
WRITE_SERIAL_FIELD = "tlx_sn"
PARAM_COUNT = 19
SETTINGS_ENDPOINT = "device/tlx/tlx_set_info"
DETAIL_ENDPOINT = "device/tlx/tlx_data_info"
READ_PARAM_ENDPOINT = "readMinParam"
SLOTS = range(1, 10)

NAMED: dict[str, named.Named] = {
    "ac_charge": named.flag("acChargeEnable"),
    "charge_power": named.percent("chargePowerCommand"),
    "charge_stop_soc": named.percent("wchargeSOCLowLimit"),
    "discharge_power": named.percent("disChargePowerCommand"),
    "discharge_stop_soc": named.percent("wdisChargeSOCLowLimit"),
    "on_grid_discharge_stop_soc": named.percent("onGridDischargeStopSOC"),
    "backflow_setting": named.export_limit(2),
    "pv_active_p_rate": named.percent("activeRate"),
    "pv_reactive_p_rate": named.percent("reactiveRate"),
    "pv_power_factor": named.decimal("pf", *named.POWER_FACTOR),
    "tlx_on_off": named.on_off("onOff"),
    "pv_grid_voltage_high": named.decimal("voltageHighLimit", named.VOLTAGE_HIGH),
    "pv_grid_voltage_low": named.decimal("voltageLowLimit", named.VOLTAGE_LOW),
    "tlx_off_grid_enable": named.hidden("tlx_off_grid_enable", named.flag("v")),
    "tlx_ac_discharge_frequency": named.hidden("tlx_ac_discharge_frequency",
                                               named.choice("v", ("0", "1"))),
    "tlx_ac_discharge_voltage": named.hidden("tlx_ac_discharge_voltage",
                                             named.choice("v", ("0", "1", "2"))),
    "pf_sys_year": named.hidden("pf_sys_year", named.Named(
        lambda p: {"v": values.need(p, 1)[0]})),
    "set_any_reg": named.any_register(),
}


def enabled_windows(settings: dict[str, Any], skip: int) -> list[tuple[int, int, int]]:
    """(slot, start, end) of the enabled slots other than `skip`."""
    result = []
    for slot in SLOTS:
        if slot == skip or str(settings.get(f"forcedStopSwitch{slot}")) != "1":
            continue
        start = values.parse_hm(settings.get(f"forcedTimeStart{slot}"))
        end = values.parse_hm(settings.get(f"forcedTimeStop{slot}"))
        if start is not None and end is not None:
            result.append((slot, start, end))
    return result


def time_segment(slot: int, params: list[str], settings: dict[str, Any],
                 options: Any) -> dict[str, Any]:
    mode, sh, sm, eh, em, enable = values.need(params, 6)
    mode_code = values.whole(mode, 0, 2, "mode")
    start, end = values.window([sh, sm, eh, em])
    enabled = values.flag(enable, "enable")
    if enabled and options.overlap_check:
        # inclusive minute ranges: 17:00-19:59 and 19:59-20:30 share a minute
        for _other, o_start, o_end in enabled_windows(settings, skip=slot):
            if start <= o_end and o_start <= end:
                raise SimError(options.overlap_error_code, "error_time_overlap")
    return {f"time{slot}Mode": mode_code, f"forcedTimeStart{slot}": values.hm(start),
            f"forcedTimeStop{slot}": values.hm(end), f"forcedStopSwitch{slot}": enabled}


def write(write_type: str, params: list[str], settings: dict[str, Any],
          options: Any) -> dict[str, Any]:
    """The changes one `tlxSet` makes: read keys, `_param.*` and `_register.*` entries."""
    if write_type.startswith("time_segment"):
        suffix = write_type.removeprefix("time_segment")
        if suffix.isdigit() and int(suffix) in SLOTS:
            return time_segment(int(suffix), params, settings, options)
    if write_type not in NAMED:
        raise SimError(10006, "error_param_type_not_exist")
    return NAMED[write_type].check(params)


def read_key(write_type: str) -> str | None:
    """The settings key a named read_parameter answers from, if the read shows it."""
    keys = {"ac_charge": "acChargeEnable", "charge_power": "chargePowerCommand",
            "charge_stop_soc": "wchargeSOCLowLimit", "discharge_power": "disChargePowerCommand",
            "discharge_stop_soc": "wdisChargeSOCLowLimit",
            "on_grid_discharge_stop_soc": "onGridDischargeStopSOC",
            "backflow_setting": "exportLimit", "pv_active_p_rate": "activeRate",
            "pv_reactive_p_rate": "reactiveRate", "pv_power_factor": "pf",
            "tlx_on_off": "onOff", "pv_grid_voltage_high": "voltageHighLimit",
            "pv_grid_voltage_low": "voltageLowLimit"}
    return keys.get(write_type)
