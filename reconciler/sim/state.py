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
    if not isinstance(data, dict) or not isinstance(data.get("plants"), list):
        raise ValueError(f"{path}: a fixture is {{\"plants\": [...]}}")
    return data


class SimState:
    def __init__(self, fixture: Path | None, state_path: Path | None) -> None:
        self.path = state_path
        self.lock = threading.RLock()
        if state_path is not None and state_path.exists():
            self.data = load_fixture(state_path)
        else:
            self.data = load_fixture(fixture)
        self.devices: dict[str, dict[str, Any]] = {}
        for plant in self.data["plants"]:
            for device in plant.get("devices", []):
                device.setdefault("settings", {})
                device.setdefault("hidden", {})
                device.setdefault("registers", {})
                device.setdefault("lost", False)
                device["plant_id"] = plant.get("plant_id")
                device.setdefault("timezone", plant.get("timezone"))
                self.devices[str(device["device_sn"])] = device
        self.stale: dict[str, dict[str, tuple[Any, float]]] = {}  # serial -> key -> (old, until)
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
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

    def device(self, serial: str) -> dict[str, Any] | None:
        return self.devices.get(serial)

    def shown_settings(self, serial: str) -> dict[str, Any]:
        """What a settings read shows now: the stored values, with delayed writes still old,
        and the inverter's clock as it runs now."""
        with self.lock:
            device = self.devices[serial]
            settings = copy.deepcopy(device["settings"])
            now = time.monotonic()
            for key, (old, until) in self.stale.get(serial, {}).items():
                if until > now:
                    if old is _MISSING:
                        settings.pop(key, None)
                    else:
                        settings[key] = copy.deepcopy(old)
        if "sysTime" in settings:
            zone = ZoneInfo(device["timezone"]) if device.get("timezone") else None
            clock = datetime.now(zone).replace(tzinfo=None) + timedelta(
                seconds=float(device.get("clock_offset", 0)))
            settings["sysTime"] = clock.strftime("%Y-%m-%d %H:%M:%S")
        return settings

    def apply(self, serial: str, changes: dict[str, Any], delay: float) -> None:
        with self.lock:
            device = self.devices[serial]
            settings = device["settings"]
            until = time.monotonic() + delay
            for key, value in changes.items():
                if key.startswith("_hidden."):
                    device["hidden"][key.removeprefix("_hidden.")] = value
                elif key.startswith("_register."):
                    device["registers"][key.removeprefix("_register.")] = value
                else:
                    if delay > 0:
                        stale = self.stale.setdefault(serial, {})
                        if key not in stale or stale[key][1] <= time.monotonic():
                            stale[key] = (settings.get(key, _MISSING), until)
                        else:
                            stale[key] = (stale[key][0], until)
                    settings[key] = value
            self.save()

    def set_settings(self, serial: str, settings: dict[str, Any]) -> None:
        with self.lock:
            self.devices[serial]["settings"] = copy.deepcopy(settings)
            self.stale.pop(serial, None)
            self.save()


_MISSING = object()
