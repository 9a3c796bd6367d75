"""Spec fixtures 7.1 and 7.2 (growatt-openapi-v1.md), verbatim: whole `tlx_set_info` and
`mix_data_info` answers, envelope included. The parsers get their `data`."""

# ruff: noqa: E501 - verbatim from the spec, long lines included

from __future__ import annotations

import json
from typing import Any

SPEC_7_1_MIN_SETTINGS = """\
{
  "device_sn": "MIN1234567",
  "dataloggerSn": "XGD1234567",
  "data": {
    "serialNum": "MIN1234567",
    "lastUpdateTime": {"year": 126, "month": 2, "date": 14, "day": 6, "hours": 21,
                       "minutes": 5, "seconds": 12, "time": 1773518712000,
                       "timezoneOffset": -60},
    "lastUpdateTimeText": "2026-03-14 21:05:12",
    "sysTime": "2026-03-14 21:04:58",
    "sysTimeText": "2026-03-14 21:04:58",
    "onOff": 1,
    "acChargeEnable": 1,
    "chargePowerCommand": 80,
    "wchargeSOCLowLimit": 100,
    "disChargePowerCommand": 100,
    "wdisChargeSOCLowLimit": 10,
    "onGridDischargeStopSOC": 10,
    "ubAcChargingStopSOC": 90,
    "exportLimit": 0,
    "exportLimitPowerRate": 0.0,
    "exportLimitPowerRateStr": "",
    "backflowDefaultPower": 0,
    "activeRate": 100,
    "activePowerEnable": 0,
    "reactiveRate": 0,
    "pf": 1.0,
    "bdcMode": -1,
    "time1Mode": 1, "forcedTimeStart1": "23:30", "forcedTimeStop1": "23:59", "forcedStopSwitch1": 1,
    "time2Mode": 1, "forcedTimeStart2": "0:0",   "forcedTimeStop2": "5:30",  "forcedStopSwitch2": 1,
    "time3Mode": 2, "forcedTimeStart3": "17:0",  "forcedTimeStop3": "19:59", "forcedStopSwitch3": 1,
    "time4Mode": 0, "forcedTimeStart4": "10:0",  "forcedTimeStop4": "12:0",  "forcedStopSwitch4": 0,
    "time5Mode": 0, "forcedTimeStart5": "0:0",   "forcedTimeStop5": "0:0",   "forcedStopSwitch5": 0,
    "time6Mode": 0, "forcedTimeStart6": "0:0",   "forcedTimeStop6": "0:0",   "forcedStopSwitch6": 0,
    "time7Mode": 0, "forcedTimeStart7": "0:0",   "forcedTimeStop7": "0:0",   "forcedStopSwitch7": 0,
    "time8Mode": 0, "forcedTimeStart8": "0:0",   "forcedTimeStop8": "0:0",   "forcedStopSwitch8": 0,
    "time9Mode": "null", "forcedTimeStart9": "null", "forcedTimeStop9": "null", "forcedStopSwitch9": "null",
    "yearMonthTime": "",
    "yearTime1": "0_0_0_0_0_0_0", "yearTime2": "0_0_0_0_0_0_0", "yearTime3": "0_0_0_0_0_0_0",
    "yearTime4": "0_0_0_0_0_0_0", "yearTime5": "0_0_0_0_0_0_0", "yearTime6": "0_0_0_0_0_0_0",
    "yearTime7": "0_0_0_0_0_0_0", "yearTime8": "0_0_0_0_0_0_0", "yearTime9": "0_0_0_0_0_0_0",
    "season1MonthTime": "0_0_0", "season1Time1": "0_0_0_0_0_0_0",
    "special1MonthTime": "0_0_0", "special1Time1": "0_0_0_0_0_0",
    "winModeFlag": 0, "winModeStartTime": "", "winModeEndTime": "",
    "winModeOnGridDischargeStopSOC": 10, "winModeOffGridDischargeStopSOC": 10,
    "floatChargeCurrentLimit": 600.0,
    "vbatStartforCharge": 5800.0,
    "voltageHighLimit": 253.0, "voltageLowLimit": 195.5,
    "ac_charge": "", "charge_power": "", "charge_stop_soc": "",
    "discharge_power": "", "discharge_stop_soc": "", "on_grid_discharge_stop_soc": "",
    "tlx_on_off": "", "pf_sys_year": "", "pv_grid_voltage_high": "", "pv_grid_voltage_low": "",
    "tlx_off_grid_enable": "", "tlx_ac_discharge_frequency": "", "tlx_ac_discharge_voltage": ""
  },
  "error_code": 0,
  "error_msg": ""
}
"""

SPEC_7_2_SPH_DETAIL = """\
{
  "device_sn": "SPH7654321",
  "dataloggerSn": "JPC1234567",
  "data": {
    "serialNum": "SPH7654321",
    "dataLogSn": "JPC1234567",
    "alias": "SPH7654321",
    "deviceType": 0,
    "status": 5,
    "statusText": "mix.status.normal",
    "lost": false,
    "lastUpdateTime": {"year": 126, "month": 2, "date": 14, "day": 6, "hours": 21,
                       "minutes": 4, "seconds": 40, "time": 1773518680000,
                       "timezoneOffset": -60},
    "lastUpdateTimeText": "2026-03-14 21:04:40",
    "sysTime": "2026-03-14 21:04:31",
    "fwVersion": "RA1.0",
    "innerVersion": "raab010101",
    "dtc": 3501,
    "pmax": 6000,
    "onOff": 1,
    "priorityChoose": 0,
    "chargePowerCommand": 100,
    "disChargePowerCommand": 100,
    "acChargeEnable": 1,
    "wchargeSOCLowLimit1": 100,
    "wchargeSOCLowLimit2": 95,
    "wdisChargeSOCLowLimit1": 10,
    "wdisChargeSOCLowLimit2": 20,
    "forcedChargeTimeStart1": "1:0",  "forcedChargeTimeStop1": "5:0",  "forcedChargeStopSwitch1": 1,
    "forcedChargeTimeStart2": "0:0",  "forcedChargeTimeStop2": "0:0",  "forcedChargeStopSwitch2": 0,
    "forcedChargeTimeStart3": "0:0",  "forcedChargeTimeStop3": "0:0",  "forcedChargeStopSwitch3": 0,
    "forcedDischargeTimeStart1": "17:0", "forcedDischargeTimeStop1": "21:0", "forcedDischargeStopSwitch1": 1,
    "forcedDischargeTimeStart2": "0:0",  "forcedDischargeTimeStop2": "0:0",  "forcedDischargeStopSwitch2": 0,
    "forcedDischargeTimeStart3": "0:0",  "forcedDischargeTimeStop3": "0:0",  "forcedDischargeStopSwitch3": 0,
    "batFirstSwitch1": 0, "batFirstSwitch2": 0, "batFirstSwitch3": 0,
    "gridFirstSwitch1": 0, "gridFirstSwitch2": 0, "gridFirstSwitch3": 0,
    "chargeTime1": "", "chargeTime2": "", "chargeTime3": "",
    "dischargeTime1": "", "dischargeTime2": "", "dischargeTime3": "",
    "exportLimit": 0,
    "exportLimitPowerRate": 0.0,
    "activeRate": 100,
    "reactiveRate": 0,
    "powerFactor": 1.0,
    "epsFunEn": 1, "epsVoltSet": 0, "epsFreqSet": 0,
    "buckUpsFunEn": 1, "buckUPSVoltSet": 0.0, "uspFreqSet": 0,
    "batteryType": 1,
    "bctMode": 0, "bctAdjust": 0,
    "vbatStartforCharge": 58.0, "vbatStartForDischarge": 48.0,
    "vbatStopForCharge": 5.75, "vbatStopForDischarge": 4.7,
    "voltageHighLimit": 263.0, "voltageLowLimit": 186.0,
    "pv_on_off": "", "pf_sys_year": "", "pv_grid_voltage_high": "", "pv_grid_voltage_low": "",
    "mix_off_grid_enable": "", "mix_ac_discharge_frequency": "", "mix_ac_discharge_voltage": "",
    "pv_pf_cmd_memory_state": "", "pv_active_p_rate": "", "pv_reactive_p_rate": "",
    "pv_reactive_p_rate_two": "", "backflow_setting": "", "pv_power_factor": ""
  },
  "error_code": 0,
  "error_msg": ""
}
"""


def min_answer() -> dict[str, Any]:
    """A fresh copy of the 7.1 answer (tests may change it)."""
    answer: dict[str, Any] = json.loads(SPEC_7_1_MIN_SETTINGS)
    return answer


def sph_answer() -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(SPEC_7_2_SPH_DETAIL)
    return answer


def test_simulator_serves_the_spec_fixtures() -> None:
    """The simulator's copy must stay the spec's, or the end-to-end tests test something else."""
    from pathlib import Path

    import reconciler.sim

    path = Path(reconciler.sim.__file__).resolve().parent / "fixtures" / "spec_devices.json"
    served = json.loads(path.read_text())
    assert served["MIN1234567"] == min_answer()["data"]
    assert served["SPH7654321"] == sph_answer()["data"]
