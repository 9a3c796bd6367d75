"""Named single-value write types, shared in shape by the MIN and SPH tables (spec 2.7, 2.8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.sim import values
from reconciler.sim.errors import SimError


@dataclass(frozen=True)
class Named:
    """A write type: how its params are checked, and which read keys it sets."""

    # params -> {read key, "_param.NAME" or "_register.N": value}
    check: Callable[[list[str]], dict[str, Any]]


def percent(key: str) -> Named:
    return Named(lambda p: {key: values.whole(values.need(p, 1)[0], 0, 100, key)})


def flag(key: str) -> Named:
    return Named(lambda p: {key: values.flag(values.need(p, 1)[0], key)})


def choice(key: str, codes: tuple[str, ...]) -> Named:
    def check(params: list[str]) -> dict[str, Any]:
        value = values.need(params, 1)[0]
        if value not in codes:
            raise SimError(values.OUT_OF_RANGE, f"error_{key}_out_of_range")
        return {key: int(value)}

    return Named(check)


def on_off(key: str) -> Named:
    def check(params: list[str]) -> dict[str, Any]:
        value = values.need(params, 1)[0]
        if value not in ("0000", "0001"):
            raise SimError(values.OUT_OF_RANGE, "error_on_off_value")
        return {key: int(value)}

    return Named(check)


def decimal(key: str, *ranges: tuple[float, float]) -> Named:
    def check(params: list[str]) -> dict[str, Any]:
        value = values.need(params, 1)[0]
        for low, high in ranges:
            try:
                return {key: values.decimal(value, low, high, key)}
            except SimError:
                continue
        raise SimError(values.OUT_OF_RANGE, f"error_{key}_out_of_range")

    return Named(check)


def export_limit(max_mode: int) -> Named:
    """backflow_setting: p1 mode (on/off, or MIN's 0 off/1 meter/2 CT), optional p2 %."""

    def check(params: list[str]) -> dict[str, Any]:
        mode = values.whole(values.need(params, 1)[0], 0, max_mode, "backflow")
        changes: dict[str, Any] = {"exportLimit": mode}
        if len(params) > 1 and params[1].strip():
            changes["exportLimitPowerRate"] = float(
                values.whole(params[1], 0, 100, "backflow_rate"))
        return changes

    return Named(check)


def hidden(name: str, inner: Named) -> Named:
    """A type the settings read does not show; readable only with read_parameter."""

    def check(params: list[str]) -> dict[str, Any]:
        (value,) = inner.check(params).values()
        return {f"_param.{name}": value}

    return Named(check)


def any_register() -> Named:
    def check(params: list[str]) -> dict[str, Any]:
        register, value = values.need(params, 2)
        if any(p.strip() for p in params[2:]):
            raise SimError(values.OUT_OF_RANGE, "error_set_any_reg_extra_params")
        number = values.whole(register, 0, 65535, "register")
        return {f"_register.{number}": str(values.whole(value, 0, 65535, "register_value"))}

    return Named(check)


VOLTAGE_HIGH = (230.0, 300.0)
VOLTAGE_LOW = (150.0, 230.0)
POWER_FACTOR = ((-1.0, -0.8), (0.8, 1.0))
