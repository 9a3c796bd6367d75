"""Named settings, the same way for every family: parse from the read, plan one write per
parameter that differs, apply a write to a state.

Values are compared normalized ("1" read is true, 80.0 read is 80) and, failing that, by
their wire form: a value the wire rounds must not be rewritten by every plan. A setting
whose current value is unknown (absent) is always written, and its summary says so.
Writes go in name order, after the schedule writes (settings never conflict with them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reconciler.devices.params import Param
from reconciler.model import DesiredDevice, DeviceState, Operation
from reconciler.timeofday import is_unset


def parse_settings(raw: Mapping[str, Any], params: dict[str, Param],
                   warnings: list[str]) -> dict[str, Any]:
    """Values of the parameters the read carries, decoded by their codecs.

    A parameter is left out (unknown, never zero) when one of its read keys is missing or
    unset; a value its codec rejects is left out with a warning. Parameters without read
    keys are not in this read: the planner asks `read_parameter` and decodes the answer
    with `decode_read_parameter`."""
    settings: dict[str, Any] = {}
    for name, param in params.items():
        if not param.read_keys or any(key not in raw for key in param.read_keys):
            continue
        try:
            value = param.codec.decode([raw[key] for key in param.read_keys])
        except ValueError as exc:
            shown = ", ".join(f"{key} = {raw[key]!r}" for key in param.read_keys)
            warnings.append(f"{shown} cannot be read ({exc}); {name} is unknown and will not "
                            "be used as the basis of a write")
            continue
        if value is not None:
            settings[name] = value
    return settings


def decode_read_parameter(param: Param, data: Any) -> Any:
    """The normalized value of a `read_parameter` answer ("80", "1", ...); None when unset.

    ValueError when the answer is garbage (the caller warns and leaves the value unknown)."""
    if is_unset(data):
        return None
    return param.codec.decode([data])


def same(current: Any, wanted: Any, param: Param | None = None) -> bool:
    """Equal after normalization: 80.0 equals 80, True equals 1; and, given the parameter,
    values that go on the wire identically are equal too (a decimal the wire rounds would
    otherwise be rewritten by every plan and never converge)."""
    if isinstance(current, float) or isinstance(wanted, float):
        try:
            if math.isclose(float(current), float(wanted), rel_tol=0, abs_tol=1e-6):
                return True
        except (TypeError, ValueError):
            pass
    elif current == wanted:
        return True
    if param is None:
        return False
    try:
        return param.codec.encode(current) == param.codec.encode(wanted)
    except (KeyError, TypeError, ValueError):
        return False


def show(value: Any) -> str:
    """A value as people write it in the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def plan_settings(state: DeviceState, desired: DesiredDevice, params: dict[str, Param],
                  endpoint: str) -> list[Operation]:
    operations = []
    for name, wanted in sorted(desired.settings.items()):
        param = params[name]
        current = state.settings.get(name)
        if current is not None and same(current, wanted, param):
            continue
        was = "current value unknown" if current is None else f"was {show(current)}"
        operations.append(Operation(
            endpoint=endpoint, type=param.write_type, params=param.codec.encode(wanted),
            path=f"settings.{name}", summary=f"{name}: {show(wanted)} ({was})",
            dangerous=param.dangerous))
    return operations


def param_for_write(params: dict[str, Param], write_type: str) -> Param | None:
    for param in params.values():
        if param.write_type == write_type:
            return param
    return None


def apply_setting(state: DeviceState, operation: Operation, params: dict[str, Param]) -> bool:
    """Record a named write in `state.settings`; False when it is not a named write."""
    param = param_for_write(params, operation.type)
    if param is None:
        return False
    value = param.codec.decode(list(operation.params))
    if value is not None:
        state.settings[param.name] = value
    return True


def settings_view(state: DeviceState, desired: DesiredDevice) -> dict[str, Any]:
    return {name: state.settings.get(name) for name in sorted(desired.settings)}
