"""Inverter families: one module each, all satisfying `DeviceFamily`, listed in `FAMILIES`.

A new family is one module here (and one in the simulator).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any, Protocol

from reconciler.devices.params import Param
from reconciler.model import DesiredDevice, DeviceState, Operation


class DeviceFamily(Protocol):
    NAME: str  # "min"
    DEVICE_TYPE: int  # device/list `type`
    WRITE_ENDPOINT: str  # "tlxSet"
    SETTINGS_READ: str  # client method that returns the settings read: "min_settings"
    PARAMS: dict[str, Param]

    def parse(self, serial: str, raw: Mapping[str, Any]) -> DeviceState:
        """Normalize the `data` of a settings read; tolerant where the API is messy."""
        ...

    def plan(self, current: DeviceState, desired: DesiredDevice) -> list[Operation]:
        """The fewest writes, in a safe order, that make `current` match `desired`."""
        ...

    def apply(self, state: DeviceState, operation: Operation) -> DeviceState:
        """The state after one write, as the next settings read would show it."""
        ...

    def view(self, state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
        """The part of `state` that `desired` manages, as plain JSON-able data."""
        ...


def registry() -> dict[str, ModuleType]:
    from reconciler.devices import min, sph

    return {"min": min, "sph": sph}
