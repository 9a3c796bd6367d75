"""Generated fleets for the benchmarks: a simulator fixture and a config file that differs.

Deterministic for a seed. MIN states are messy the way the cloud's are (unpadded times,
"null", stale times on disabled slots); desired states are valid random schedules.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

from reconciler.sim.state import default_fixture

MODES = ("load_first", "battery_first", "grid_first")


def windows(rng: random.Random, count: int, longest: int = 240) -> list[tuple[int, int]]:
    """Up to `count` non-overlapping windows within a day (inclusive minutes)."""
    found: list[tuple[int, int]] = []
    for _ in range(count * 4):
        if len(found) == count:
            break
        start = rng.randrange(0, 1439)
        end = min(1439, start + rng.randrange(1, longest))
        if all(end < s or start > e for s, e in found):
            found.append((start, end))
    return sorted(found)


def hm(minute: int, padded: bool = False) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}" if padded else f"{minute // 60}:{minute % 60}"


def raw_min(rng: random.Random, base: dict[str, Any], serial: str) -> dict[str, Any]:
    raw = copy.deepcopy(base)
    raw["serialNum"] = serial
    on = windows(rng, rng.randrange(0, 5))
    for n in range(1, 10):
        if n <= len(on):
            start, end = on[n - 1]
            raw[f"time{n}Mode"], raw[f"forcedStopSwitch{n}"] = rng.randrange(3), 1
            raw[f"forcedTimeStart{n}"], raw[f"forcedTimeStop{n}"] = hm(start), hm(end)
        else:
            raw[f"time{n}Mode"] = rng.choice([0, "null", 1])
            raw[f"forcedTimeStart{n}"] = rng.choice(["0:0", "null", "10:0"])
            raw[f"forcedTimeStop{n}"] = rng.choice(["0:0", "null", "12:30"])
            raw[f"forcedStopSwitch{n}"] = rng.choice([0, "null"])
    raw["chargePowerCommand"] = rng.choice([50, "80", 100.0])
    raw["wdisChargeSOCLowLimit"] = rng.choice([10, 15, 20])
    return raw


def raw_sph(rng: random.Random, base: dict[str, Any], serial: str) -> dict[str, Any]:
    raw = copy.deepcopy(base)
    raw["serialNum"] = raw["alias"] = serial
    day = windows(rng, 6, 180)
    rng.shuffle(day)
    for prefix, chosen in (("forcedCharge", day[:3]), ("forcedDischarge", day[3:6])):
        for i in (1, 2, 3):
            enabled = i <= len(chosen) and rng.random() < 0.6
            start, end = chosen[i - 1] if i <= len(chosen) else (0, 0)
            raw[f"{prefix}TimeStart{i}"], raw[f"{prefix}TimeStop{i}"] = hm(start), hm(end)
            raw[f"{prefix}StopSwitch{i}"] = 1 if enabled else 0
    raw["chargePowerCommand"] = rng.choice([80, 100])
    raw["wchargeSOCLowLimit2"] = rng.choice([90, 95, 100])
    return raw


def desired_min(rng: random.Random) -> dict[str, Any]:
    segments = [{"mode": rng.choice(MODES), "start": hm(s, True), "end": hm(e, True)}
                for s, e in windows(rng, rng.randrange(0, 5))]
    entry: dict[str, Any] = {"type": "min", "time_segments": segments}
    if rng.random() < 0.7:
        entry["settings"] = {"charge_power": rng.choice([50, 80, 100]),
                             "discharge_stop_soc": rng.choice([10, 15, 20])}
    return entry


def desired_sph(rng: random.Random) -> dict[str, Any]:
    day = windows(rng, 4, 180)
    rng.shuffle(day)
    def periods(chosen: list[tuple[int, int]]) -> list[dict[str, str]]:
        return [{"start": hm(s, True), "end": hm(e, True)} for s, e in chosen]
    return {"type": "sph",
            "ac_charge": {"power": rng.choice([80, 100]), "stop_soc": rng.choice([90, 95]),
                          "from_grid": True, "periods": periods(day[:rng.randrange(0, 3)])},
            "ac_discharge": {"power": 100, "stop_soc": rng.choice([10, 20]),
                             "periods": periods(day[2:2 + rng.randrange(0, 3)])}}


def make_fleet(size: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """(fixture file, config file) for a fleet of `size` inverters, ~60 % MIN."""
    rng = random.Random(seed)
    spec = default_fixture()["plants"][0]["devices"]
    base_min, base_sph = spec[0]["settings"], spec[1]["settings"]
    devices, inverters = [], {}
    for index in range(size):
        is_min = rng.random() < 0.6
        serial = f"{'MIN' if is_min else 'SPH'}{index:07d}"
        raw = raw_min(rng, base_min, serial) if is_min else raw_sph(rng, base_sph, serial)
        devices.append({"device_sn": serial, "type": 7 if is_min else 5, "alias": serial,
                        "model": "bench", "datalogger_sn": f"DL{index:08d}", "lost": False,
                        "settings": raw})
        inverters[f"inv-{index:05d}"] = {"serial": serial,
                                         **(desired_min(rng) if is_min else desired_sph(rng))}
    fixture = folder / f"fleet-{size}.json"
    fixture.write_text(json.dumps({"plants": [{"plant_id": 1, "name": "bench",
                                               "devices": devices}]}))
    config = folder / f"fleet-{size}.yaml"
    config.write_text(yaml.safe_dump({"version": 1, "account": {"server": "eu"},
                                      "inverters": inverters}, sort_keys=False))
    return fixture, config
