"""The plan as Markdown for pull-request comments; stays readable for hundreds of inverters."""

from __future__ import annotations

from reconciler.planfile import Plan
from reconciler.render.plan_text import change_lines, device_heading, summary_line, symbol

MARKER = "<!-- growatt-reconcile-plan -->"  # lets a workflow find and update its own comment


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_plan_markdown(plan: Plan) -> str:
    changed = [d for d in plan.devices if d.status != "unchanged" or d.warnings]
    unchanged = sum(1 for d in plan.devices if d.status == "unchanged")
    lines = [MARKER, "### growatt-reconcile plan", "", f"**{summary_line(plan)}**", ""]
    if plan.targets or plan.excludes:
        lines += ["_Only part of the file was planned (--target/--exclude)._", ""]
    if changed:
        lines += ["| inverter | serial | status | writes | profile |",
                  "|---|---|---|---:|---|"]
        for device in changed:
            status = {"changes": "changes", "unchanged": "no changes",
                      "error": "**error**"}[device.status]
            lines.append(f"| {_cell(device.name)} | `{device.serial}` | {status} | "
                         f"{len(device.operations)} | {_cell(' + '.join(device.profiles))} |")
        lines.append("")
    if unchanged:
        lines += [f"{unchanged} inverter{'s' * (unchanged != 1)} unchanged.", ""]
    for device in changed:
        count = len(device.operations)
        title = (f"error: {device.error.message}" if device.error
                 else f"{count} write{'s' * (count != 1)}" if count else "warnings")
        lines += ["<details>", f"<summary>{_cell(device_heading(device))}: {_cell(title)}"
                  "</summary>", "", "```diff"]
        for operation in device.operations:
            lines.append(f"{symbol(device, operation)} {operation.summary}")
            lines.extend(f"    {detail}" for detail in change_lines(device, operation))
        lines.extend(f"! warning: {warning}" for warning in device.warnings)
        if device.error:
            lines.append(f"! {device.error.kind}: {device.error.message}")
        lines += ["```", "</details>", ""]
    return "\n".join(lines) + "\n"
