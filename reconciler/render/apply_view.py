"""Views of an apply result: a line per inverter and a summary; JSON; Markdown."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from reconciler.applier import DeviceOutcome
from reconciler.planfile import Plan
from reconciler.render.style import Style, use_colour

COLOURS = {"unchanged": (), "converged": ("green",), "applied-unconfirmed": ("yellow",),
           "not-converged": ("red",), "failed": ("red",), "interrupted": ("red",)}


def outcome_line(outcome: DeviceOutcome) -> str:
    text = f"{outcome.name} ({outcome.serial}): {outcome.outcome}"
    if outcome.planned or outcome.writes:
        text += f", {outcome.writes} of {outcome.planned} planned writes made"
    if outcome.rounds > 1:
        text += f" in {outcome.rounds} rounds"
    if outcome.error:
        code = f" (error {outcome.error.error_code})" if outcome.error.error_code else ""
        text += f": {outcome.error.kind}{code}: {outcome.error.message}"
    if outcome.message:
        text += f"; {outcome.message}"
    return text


def summary(outcomes: list[DeviceOutcome], stats: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    writes = sum(outcome.writes for outcome in outcomes)
    parts = ", ".join(f"{n} {name}" for name, n in counts.items())
    calls = stats.get("reads", 0) + stats.get("writes", 0)
    return f"Apply: {writes} writes; {parts}; {calls} API calls."


def render_outcomes(plan: Plan, outcomes: list[DeviceOutcome], fmt: str,
                    stats: dict[str, Any], journal: str | None = None) -> str:
    if fmt == "json":
        return json.dumps({"config_path": plan.config_path, "journal": journal,
                           "api_calls": stats,
                           "devices": [asdict(o) | {"error": o.error.model_dump()
                                                    if o.error else None,
                                                    "remaining": [c.model_dump()
                                                                  for c in o.remaining]}
                                       for o in outcomes]}, indent=2, default=str) + "\n"
    if fmt == "markdown":
        lines = ["### growatt-reconcile apply", "", f"**{summary(outcomes, stats)}**", "",
                 "| inverter | serial | result | writes |", "|---|---|---|---:|"]
        lines += [f"| {o.name} | `{o.serial}` | {o.outcome} | {o.writes}/{o.planned} |"
                  for o in outcomes if o.outcome != "unchanged"]
        return "\n".join(lines) + "\n"
    style = Style(use_colour(sys.stdout))
    lines = [style(outcome_line(o), *COLOURS[o.outcome]) for o in outcomes
             if o.outcome != "unchanged"]
    for outcome in outcomes:
        lines.extend(f"    still different: {c.path}: {c.before} -> {c.after}"
                     for c in outcome.remaining)
    partly = [o.name for o in outcomes if o.outcome in ("interrupted", "failed") and o.writes]
    if partly:
        lines.append(style("Partly applied: " + ", ".join(partly) + " (see the journal)", "red"))
    if not any(o.outcome != "unchanged" for o in outcomes):
        lines.append("No changes. The inverters match the file.")
    lines.append(style(summary(outcomes, stats), "bold"))
    if journal:
        lines.append(f"Journal: {journal}")
    return "\n".join(lines) + "\n"
