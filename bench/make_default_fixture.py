"""Regenerates reconciler/sim/fixtures/default.json (run from the repository root).

The two spec devices (section 7.1 and 7.2 of the protocol notes) are copied verbatim from
`reconciler/sim/fixtures/spec_devices.json`; the installer fleet around them is varied and
messy on purpose ("null", "", JSON null, floats, strings, a non-hybrid MIN, a lost device).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path("reconciler/sim/fixtures")
SPEC = json.loads((FIXTURES / "spec_devices.json").read_text())
MIN_RAW: dict[str, Any] = SPEC["MIN1234567"]
SPH_RAW: dict[str, Any] = SPEC["SPH7654321"]


def min_settings(serial: str, segments: dict[int, tuple[Any, Any, Any, Any]],
                 **over: Any) -> dict[str, Any]:
    settings = copy.deepcopy(MIN_RAW)
    settings["serialNum"] = serial
    for n in range(1, 10):
        mode, start, stop, switch = segments.get(n, (0, "0:0", "0:0", 0))
        settings[f"time{n}Mode"], settings[f"forcedTimeStart{n}"] = mode, start
        settings[f"forcedTimeStop{n}"], settings[f"forcedStopSwitch{n}"] = stop, switch
    settings.update(over)
    return settings


def sph_settings(serial: str, charge: list[tuple[str, str, int]],
                 discharge: list[tuple[str, str, int]], **over: Any) -> dict[str, Any]:
    settings = copy.deepcopy(SPH_RAW)
    settings["serialNum"] = settings["alias"] = serial
    for prefix, periods in (("forcedCharge", charge), ("forcedDischarge", discharge)):
        for i in range(1, 4):
            start, stop, switch = periods[i - 1] if i <= len(periods) else ("0:0", "0:0", 0)
            settings[f"{prefix}TimeStart{i}"], settings[f"{prefix}TimeStop{i}"] = start, stop
            settings[f"{prefix}StopSwitch{i}"] = switch
    settings.update(over)
    return settings


def device(serial: str, kind: int, alias: str, settings: dict[str, Any], *, lost: bool = False,
           model: str | None = None, datalogger: str | None = None) -> dict[str, Any]:
    logger = datalogger or ("XGD" if kind == 7 else "JPC") + serial[-7:]
    if kind == 5 and settings and "dataLogSn" in settings:
        settings = {**settings, "dataLogSn": logger}
    return {"device_sn": serial, "type": kind, "alias": alias,
            "model": model or ("MIN 6000TL-XH" if kind == 7 else "SPH 6000TL3 BH-UP"),
            "datalogger_sn": logger, "lost": lost, "settings": settings}


def build() -> dict[str, Any]:
    home = {"plant_id": 1185, "name": "Home", "country": "Germany", "city": "Berlin",
            "timezone": "Europe/Berlin",
            "devices": [device("MIN1234567", 7, "Garage", MIN_RAW, datalogger="XGD1234567"),
                        device("SPH7654321", 5, "Shed", SPH_RAW, datalogger="JPC1234567")]}
    fleet = [
        device("MIN0000001", 7, "Bakery",
               min_settings("MIN0000001", {1: (1, "1:0", "5:0", 1)}, chargePowerCommand=100)),
        device("MIN0000002", 7, "School roof",
               min_settings("MIN0000002", {}, chargePowerCommand=50, wdisChargeSOCLowLimit=20)),
        device("MIN0000003", 7, "Farm east", min_settings("MIN0000003", {
            1: (2, "17:0", "20:0", 1), 2: (1, "23:30", "23:59", 1), 3: (1, "0:0", "5:30", 1),
            5: (0, "10:0", "12:0", 0)})),
        device("MIN0000004", 7, "Farm west", min_settings(
            "MIN0000004", {1: (1, "null", "null", "null"), 2: (2, "6:0", "7:0", 0)},
            chargePowerCommand="100.0", acChargeEnable="1")),
        device("MIN0000005", 7, "Dentist", min_settings(
            "MIN0000005", {4: (1, "2:0", "4:59", 1), 7: (2, "16:0", "18:30", 1)},
            onGridDischargeStopSOC=None)),
        device("MIN0000006", 7, "Garage 2", min_settings(
            "MIN0000006", {1: (0, "", "", 0)}, time9Mode=None, forcedTimeStart9=None,
            forcedTimeStop9=None, forcedStopSwitch9=None)),
        device("MIN0000007", 7, "Workshop (non-hybrid)", {}, model="MIN 4200TL-X"),
        device("MIN0000008", 7, "Holiday flat",
               min_settings("MIN0000008", {1: (1, "0:0", "4:0", 1)}), lost=True),
        device("SPH0000001", 5, "Barn", sph_settings(
            "SPH0000001", [("0:30", "4:30", 1)], [("16:0", "19:0", 1)])),
        device("SPH0000002", 5, "Clinic", sph_settings(
            "SPH0000002", [], [], chargePowerCommand=80, wchargeSOCLowLimit2=90)),
        device("SPH0000003", 5, "Cafe", sph_settings(
            "SPH0000003", [("1:0", "3:0", 1), ("13:0", "14:0", 0)],
            [("18:0", "21:0", 1), ("7:0", "8:0", 1)], wdisChargeSOCLowLimit2="15",
            chargePowerCommand=100.0)),
        device("SPH0000004", 5, "Pharmacy", sph_settings(
            "SPH0000004", [("2:0", "5:0", 1)], [("17:30", "20:30", 0)], acChargeEnable=0)),
    ]
    installer = {"plant_id": 2210, "name": "Installer fleet", "country": "Netherlands",
                 "city": "Utrecht", "timezone": "Europe/Amsterdam", "devices": fleet}
    return {"plants": [home, installer]}


if __name__ == "__main__":
    (FIXTURES / "default.json").write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {FIXTURES / 'default.json'}")
