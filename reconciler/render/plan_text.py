"""The plan as text, in the spirit of `terraform plan`."""

from __future__ import annotations

from typing import Any

from reconciler.planfile import DevicePlan, Plan, PlannedOperation
from reconciler.render.style import Style

SYMBOL_STYLE = {"+": ("green",), "-": ("red",), "~": ("yellow",)}


def lookup(view: dict[str, Any] | None, dotted: str) -> Any:
    node: Any = view
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def symbol(device: DevicePlan, operation: PlannedOperation) -> str:
    """+ a slot or value comes into use, - one goes out of use, ~ one changes."""
    before = lookup(device.current, operation.path)
    after = lookup(device.expected, operation.path)
    if isinstance(before, dict) or isinstance(after, dict):
        was_on = isinstance(before, dict) and before.get("enabled") is not False
        is_on = isinstance(after, dict) and after.get("enabled") is not False
        if "enabled" in (after or {}) or "enabled" in (before or {}):
            if is_on and not was_on:
                return "+"
            if was_on and not is_on:
                return "-"
    return "+" if before is None else "~"


def device_heading(device: DevicePlan) -> str:
    parts = [f"{device.name} ({device.serial})"]
    if device.profiles:
        parts.append("profile " + " + ".join(device.profiles))
    if device.next_switch:
        parts.append(f"next switch {device.next_switch}")
    return " · ".join(parts)


def _period(period: Any) -> str:
    if not isinstance(period, dict):
        return "unknown"
    if not period.get("enabled"):
        return "off"
    return f"{period.get('start')}-{period.get('end')}"


def change_lines(device: DevicePlan, operation: PlannedOperation) -> list[str]:
    """What changes inside a whole-schedule write (SPH), where one line is not enough."""
    if operation.path.startswith(("time_segments.", "settings.")):
        return []
    before = lookup(device.current, operation.path) or {}
    after = lookup(device.expected, operation.path) or {}
    lines = [f"{key}: {before.get(key, 'unknown')} -> {after.get(key)}"
             for key in ("power", "stop_soc", "from_grid")
             if key in after and before.get(key) != after.get(key)]
    old_periods = before.get("periods") or []
    for index, period in enumerate(after.get("periods") or [], 1):
        old = old_periods[index - 1] if index <= len(old_periods) else None
        if _period(old) != _period(period):
            lines.append(f"period {index}: {_period(old)} -> {_period(period)}")
    return lines


def render_device(device: DevicePlan, style: Style, verbose: bool) -> list[str]:
    lines: list[str] = []
    if device.status == "error" and device.error:
        lines.append(style(f"! {device_heading(device)}", "red", "bold"))
        code = f" (error {device.error.error_code})" if device.error.error_code else ""
        lines.append(style(f"    error: {device.error.kind}{code}: {device.error.message}", "red"))
    elif device.operations:
        lines.append(style("~ ", "yellow") + style(device_heading(device), "bold"))
    elif device.warnings:
        lines.append(f"  {device_heading(device)}: no changes")
    for operation in device.operations:
        mark = symbol(device, operation)
        danger = ""
        if operation.dangerous:
            danger = style("  [dangerous: needs --allow-dangerous]", "red")
        lines.append(f"    {style(mark, *SYMBOL_STYLE[mark])} {operation.summary}{danger}")
        lines.extend(f"        {detail}" for detail in change_lines(device, operation))
        if verbose:
            params = "&".join(f"param{i}={v}" for i, v in enumerate(operation.params, 1))
            lines.append(style(f"        {operation.endpoint} type={operation.type} {params}",
                               "dim"))
    lines.extend(style(f"    warning: {warning}", "yellow") for warning in device.warnings)
    return lines


def summary_line(plan: Plan) -> str:
    changed = [d for d in plan.devices if d.status == "changes"]
    unchanged = [d for d in plan.devices if d.status == "unchanged"]
    failed = [d for d in plan.devices if d.status == "error"]
    calls = plan.api_calls
    text = (f"Plan: {plan.writes} write{'s' * (plan.writes != 1)} on {len(changed)} "
            f"inverter{'s' * (len(changed) != 1)}; {len(unchanged)} unchanged")
    if failed:
        text += f"; {len(failed)} failed"
    text += f"; {calls.reads + calls.writes} API calls ({calls.reads} reads)"
    if plan.writes:
        text += f"; apply takes about {_duration(plan.apply_estimate_seconds)}"
    return text + "."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def render_plan(plan: Plan, style: Style, verbose: bool = False) -> str:
    lines: list[str] = []
    for device in plan.devices:
        block = render_device(device, style, verbose)
        if block:
            lines.extend([*block, ""])
    if not any(d.operations for d in plan.devices) and not any(
            d.status == "error" for d in plan.devices):
        lines.append(style("No changes. The inverters match the file.", "green"))
    if plan.targets or plan.excludes:
        lines.append("Note: only part of the file was planned (--target/--exclude); "
                     "the other inverters stay as they are.")
    if any(op.dangerous for d in plan.devices for op in d.operations):
        lines.append(style("Some writes are dangerous (they can switch an inverter off or "
                           "change grid protection): apply needs --allow-dangerous.", "red"))
    lines.append(style(summary_line(plan), "bold"))
    return "\n".join(lines) + "\n"
