"""SPH (type 5, "mix") in the simulated cloud: `mixSet` validation and read-back (spec 2.8).

A charge or discharge schedule is written whole: power, stop SOC, (mains flag) and all
three periods in one call (spec 3.4).
"""

from __future__ import annotations

from typing import Any

from reconciler.sim import named, values
from reconciler.sim.errors import SimError

DEVICE_TYPE = 5
WRITE_ENDPOINT = "mixSet"
WRITE_SERIAL_FIELD = "mix_sn"
PARAM_COUNT = 18
SETTINGS_ENDPOINT = "device/mix/mix_data_info"
DETAIL_ENDPOINT = "device/mix/mix_data_info"
READ_PARAM_ENDPOINT = "readMixParam"

NAMED: dict[str, named.Named] = {
    "backflow_setting": named.export_limit(1),
    "pv_on_off": named.on_off("onOff"),
    "pv_grid_voltage_high": named.decimal("voltageHighLimit", named.VOLTAGE_HIGH),
    "pv_grid_voltage_low": named.decimal("voltageLowLimit", named.VOLTAGE_LOW),
    "pv_active_p_rate": named.percent("activeRate"),
    "pv_reactive_p_rate": named.percent("reactiveRate"),
    "pv_power_factor": named.decimal("powerFactor", *named.POWER_FACTOR),
    "mix_load_flast_value_multi": named.percent("wdisChargeSOCLowLimit1"),
    "mix_off_grid_enable": named.hidden("mix_off_grid_enable", named.flag("v")),
    "mix_ac_discharge_frequency": named.hidden("mix_ac_discharge_frequency",
                                               named.choice("v", ("0", "1"))),
    "mix_ac_discharge_voltage": named.hidden("mix_ac_discharge_voltage",
                                             named.choice("v", ("0", "1", "2"))),
    "pv_pf_cmd_memory_state": named.hidden("pv_pf_cmd_memory_state", named.flag("v")),
    "mix_load_first_control": named.hidden("mix_load_first_control",
                                           named.choice("v", ("0", "1"))),
    "mix_single_export": named.hidden("mix_single_export", named.flag("v")),
    "pf_sys_year": named.hidden("pf_sys_year", named.Named(
        lambda p: {"v": values.need(p, 1)[0]})),
    "set_any_reg": named.any_register(),
}

CHARGE = "mix_ac_charge_time_period"
DISCHARGE = "mix_ac_discharge_time_period"


def periods(params: list[str]) -> list[tuple[int, int, int]]:
    """Three (start, end, enabled) periods from 15 params."""
    result = []
    for index in range(3):
        sh, sm, eh, em, enable = params[index * 5:index * 5 + 5]
        start, end = values.window([sh, sm, eh, em])
        result.append((start, end, values.flag(enable, "enable")))
    return result


def enabled_periods(settings: dict[str, Any], prefix: str) -> list[tuple[int, int]]:
    found = []
    for index in (1, 2, 3):
        if str(settings.get(f"{prefix}StopSwitch{index}")) != "1":
            continue
        start = values.parse_hm(settings.get(f"{prefix}TimeStart{index}"))
        end = values.parse_hm(settings.get(f"{prefix}TimeStop{index}"))
        if start is not None and end is not None:
            found.append((start, end))
    return found


def check_against(new: list[tuple[int, int, int]], settings: dict[str, Any], other: str,
                  options: Any) -> None:
    """A charge period may not overlap an enabled discharge period (and the reverse)."""
    if not options.overlap_check:
        return
    for start, end, enabled in new:
        for o_start, o_end in enabled_periods(settings, other):
            if enabled and start <= o_end and o_start <= end:
                raise SimError(options.overlap_error_code, "error_charge_discharge_overlap")


def schedule(prefix: str, new: list[tuple[int, int, int]]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for index, (start, end, enabled) in enumerate(new, 1):
        changes[f"{prefix}TimeStart{index}"] = values.hm(start)
        changes[f"{prefix}TimeStop{index}"] = values.hm(end)
        changes[f"{prefix}StopSwitch{index}"] = enabled
    return changes


def write(write_type: str, params: list[str], settings: dict[str, Any],
          options: Any) -> dict[str, Any]:
    if write_type == CHARGE:
        used = values.need(params, 18)
        power = values.whole(used[0], 0, 100, "charge_power")
        soc = values.whole(used[1], 0, 100, "charge_stop_soc")
        mains = values.flag(used[2], "ac_charge")
        new = periods(used[3:18])
        check_against(new, settings, "forcedDischarge", options)
        changes = {"chargePowerCommand": power, "wchargeSOCLowLimit2": soc,
                   "acChargeEnable": mains, **schedule("forcedCharge", new)}
        if options.sph_emit_unsuffixed:
            changes["wchargeSOCLowLimit"] = soc
        return changes
    if write_type == DISCHARGE:
        used = values.need(params, 17)
        power = values.whole(used[0], 0, 100, "discharge_power")
        soc = values.whole(used[1], 0, 100, "discharge_stop_soc")
        new = periods(used[2:17])
        check_against(new, settings, "forcedCharge", options)
        changes = {"disChargePowerCommand": power, "wdisChargeSOCLowLimit2": soc,
                   **schedule("forcedDischarge", new)}
        if options.sph_emit_unsuffixed:
            changes["wdisChargeSOCLowLimit"] = soc
        return changes
    if write_type not in NAMED:
        raise SimError(10006, "error_param_type_not_exist")
    return NAMED[write_type].check(params)


def read_key(write_type: str) -> str | None:
    keys = {"backflow_setting": "exportLimit", "pv_on_off": "onOff",
            "pv_grid_voltage_high": "voltageHighLimit", "pv_grid_voltage_low": "voltageLowLimit",
            "pv_active_p_rate": "activeRate", "pv_reactive_p_rate": "reactiveRate",
            "pv_power_factor": "powerFactor",
            "mix_load_flast_value_multi": "wdisChargeSOCLowLimit1"}
    return keys.get(write_type)
