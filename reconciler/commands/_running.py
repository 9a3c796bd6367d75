"""What plan and apply share: loading the file, opening the client, making and showing a plan."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from reconciler.planfile import Plan


def fail(message: str) -> int:
    print(f"growatt-reconcile: {message}", file=sys.stderr)
    return 1


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--date {text!r} is not a date YYYY-MM-DD") from None


def default_plan_path(args: argparse.Namespace) -> Path:
    return Path(args.state_dir) / "plan.json"


def render(plan: Plan, fmt: str, verbose: bool = False) -> str:
    if fmt == "json":
        return plan.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        from reconciler.render.plan_markdown import render_plan_markdown

        return render_plan_markdown(plan)
    from reconciler.render.plan_text import render_plan
    from reconciler.render.style import Style, use_colour

    return render_plan(plan, Style(use_colour(sys.stdout)), verbose=verbose)


def make_plan_from_args(args: argparse.Namespace) -> tuple[Plan | None, Any, int]:
    """(plan, config, exit code); the plan is None when nothing could be planned."""
    from reconciler.config import ConfigError, load_config
    from reconciler.connect import MissingTokenError, open_client, server_name
    from reconciler.growatt.errors import GrowattError
    from reconciler.planner import PlanOptions, SelectionError, make_plan

    try:
        config = load_config(Path(args.config), on_date=parse_date(args.date))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return None, None, 1
    except ValueError as exc:
        return None, None, fail(str(exc))
    try:
        client = open_client(args, config.account)
    except (MissingTokenError, GrowattError, ValueError) as exc:
        return None, config, fail(str(exc))
    try:
        options = PlanOptions(
            state_dir=Path(args.state_dir), read_interval=client.read_interval,
            server=server_name(args, config.account), targets=args.target,
            excludes=args.exclude, parallelism=args.parallelism,
            timezone=getattr(config.account, "timezone", None))
        plan = make_plan(config, client, options)
    except SelectionError as exc:
        return None, config, fail(str(exc))
    finally:
        client.close()
    return plan, config, 0


def make_and_show_plan(args: argparse.Namespace) -> tuple[Plan | None, int]:
    from reconciler.planfile import save_plan

    plan, _config, code = make_plan_from_args(args)
    if plan is None:
        return None, code
    out = Path(args.out) if getattr(args, "out", None) else default_plan_path(args)
    save_plan(plan, out)
    sys.stdout.write(render(plan, args.format, getattr(args, "verbose", False)))
    if args.format == "text":
        print(f"Saved the plan to {out}; `growatt-reconcile apply` applies exactly this plan.",
              file=sys.stderr)
    failed = any(device.status == "error" for device in plan.devices)
    return plan, 1 if failed else 0
