"""`growatt-reconcile show`: render a saved plan, without any network call."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "show a saved plan (no network)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", nargs="?", help="plan file (default STATE_DIR/plan.json)")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument("--verbose", "-v", action="store_true")


def run(args: argparse.Namespace) -> int:
    import sys

    from reconciler.commands._running import default_plan_path, fail, render
    from reconciler.planfile import PlanFileError, load_plan

    path = Path(args.plan) if args.plan else default_plan_path(args)
    try:
        plan = load_plan(path)
    except PlanFileError as exc:
        return fail(str(exc))
    sys.stdout.write(render(plan, args.format, args.verbose))
    return 0
