"""The simulated account: plants, devices and their raw settings, persisted to a file.

The file has the fixture's shape, so a state file can be used as a fixture. Writes land
in the settings at once; with an apply delay, reads keep showing the old values until
the delay has passed (the device took the command, the cloud has not seen it yet).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def default_fixture() -> dict[str, Any]:
    text = resources.files("reconciler.sim").joinpath("fixtures/default.json").read_text(
        encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_fixture(path: Path | None) -> dict[str, Any]:
    if path is None:
        return default_fixture()
    data = json.loads(path.read_text(encoding="utf-8"))
    check_fixture(data, str(path))
    fixture: dict[str, Any] = data
    return fixture


def check_fixture(data: object, where: str) -> None:
    """A clear error for a fixture that is not `{"plants": [{"devices": [...]}, ...]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("plants"), list):
        raise ValueError(f'{where}: a fixture is {{"plants": [...]}}')
    seen: set[str] = set()
    for plant in data["plants"]:
        if not isinstance(plant, dict) or "plant_id" not in plant or \
                not isinstance(plant.get("devices", []), list):
            raise ValueError(f'{where}: each plant needs "plant_id" and a "devices" list')
        for device in plant.get("devices", []):
            serial = device.get("device_sn") if isinstance(device, dict) else None
            if not isinstance(serial, str) or not serial:
                raise ValueError(f'{where}: a device in plant {plant["plant_id"]} has no '
                                 '"device_sn"')
            if device.get("type") not in (5, 7):
                raise ValueError(f"{where}: device {serial}: type must be 7 (MIN) or 5 (SPH)")
            if not isinstance(device.get("settings", {}), dict):
                raise ValueError(f'{where}: device {serial}: "settings" must be an object')
            if serial in seen:
                raise ValueError(f"{where}: device {serial} appears twice")
            seen.add(serial)


class SimState:
    """The account. Every change holds `lock` and is saved at once.

    Per device, beside the fixture's keys: `params` (write types that the settings read does
    not show, answered by readMinParam/readMixParam) and `registers` (set_any_reg). Writes
    that the read does not show yet (apply delay) are kept in the file's `pending` map,
    serial -> key -> {"old": value shown until then, "due": epoch seconds}, so a later
    process honours the delay too.
    """

    def __init__(self, fixture: Path | None, state_path: Path | None) -> None:
        self.path = state_path
        self.lock = threading.RLock()
        if state_path is not None and state_path.exists():
            self.data = load_fixture(state_path)
        else:
            self.data = load_fixture(fixture)
        self.devices: dict[str, dict[str, Any]] = {}
        for plant in self.data["plants"]:
            for device in plant.setdefault("devices", []):
                device.setdefault("settings", {})
                device.setdefault("params", device.pop("hidden", {}))
                device.setdefault("registers", {})
                device.setdefault("lost", False)
                device["plant_id"] = plant.get("plant_id")
                device.setdefault("timezone", plant.get("timezone"))
                self.devices[str(device["device_sn"])] = device
        pending = self.data.get("pending")
        self.pending: dict[str, dict[str, dict[str, Any]]] = \
            pending if isinstance(pending, dict) else {}
        self.data["pending"] = self.pending
        self.save()

    def save(self) -> None:
        """Write the state file atomically: a temporary file beside it, then os.replace."""
        if self.path is None:
            return
        with self.lock:
            self._prune(time.time())
            text = json.dumps(self.data, indent=1, sort_keys=False)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def _prune(self, now: float) -> None:
        for serial in list(self.pending):
            waiting = {k: v for k, v in self.pending[serial].items() if v["due"] > now}
            if waiting:
                self.pending[serial] = waiting
            else:
                del self.pending[serial]

    def device(self, serial: str) -> dict[str, Any] | None:
        return self.devices.get(serial)

    def shown_settings(self, serial: str) -> dict[str, Any]:
        """What a settings read shows now: the stored values, with delayed writes still old,
        and the inverter's clock as it runs now."""
        with self.lock:
            device = self.devices[serial]
            settings = copy.deepcopy(device["settings"])
            now = time.time()
            for key, waiting in self.pending.get(serial, {}).items():
                if waiting["due"] > now:
                    if waiting.get("absent"):
                        settings.pop(key, None)
                    else:
                        settings[key] = copy.deepcopy(waiting["old"])
        if "sysTime" in settings:
            zone = ZoneInfo(device["timezone"]) if device.get("timezone") else None
            clock = datetime.now(zone).replace(tzinfo=None) + timedelta(
                seconds=float(device.get("clock_offset", 0)))
            settings["sysTime"] = clock.strftime("%Y-%m-%d %H:%M:%S")
        return settings

    def apply(self, serial: str, changes: dict[str, Any], delay: float) -> None:
        """Store a write. With a delay, reads keep showing the value from before the first
        of the writes still pending on that key, until `delay` after the latest one."""
        with self.lock:
            device = self.devices[serial]
            settings = device["settings"]
            now = time.time()
            for key, value in changes.items():
                if key.startswith("_param."):
                    device["params"][key.removeprefix("_param.")] = value
                elif key.startswith("_register."):
                    device["registers"][key.removeprefix("_register.")] = value
                else:
                    if delay > 0:
                        waiting = self.pending.setdefault(serial, {})
                        if key in waiting and waiting[key]["due"] > now:
                            waiting[key]["due"] = now + delay
                        elif key in settings:
                            waiting[key] = {"old": copy.deepcopy(settings[key]),
                                            "due": now + delay}
                        else:
                            waiting[key] = {"old": None, "absent": True, "due": now + delay}
                    settings[key] = value
            self.save()

    def set_settings(self, serial: str, settings: dict[str, Any]) -> None:
        with self.lock:
            self.devices[serial]["settings"] = copy.deepcopy(settings)
            self.pending.pop(serial, None)
            self.save()
