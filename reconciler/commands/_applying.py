"""The apply command's flow: choose the plan, refuse what must be refused, then apply."""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

from reconciler.applier import ApplyOptions, ApplyRefused, apply_plan, check_fresh, check_limits
from reconciler.commands._running import (
    default_plan_path,
    fail,
    make_plan_from_args,
    render,
)
from reconciler.planfile import Plan, PlanFileError, load_plan


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _select(plan: Plan, targets: list[str], excludes: list[str]) -> Plan:
    if not targets and not excludes:
        return plan
    known = {d.name for d in plan.devices} | {d.serial for d in plan.devices}
    unknown = [name for name in targets + excludes if name not in known]
    if unknown:
        raise ApplyRefused(f"no inverter named {', '.join(unknown)} in the plan")
    devices = [d for d in plan.devices
               if (not targets or d.name in targets or d.serial in targets)
               and d.name not in excludes and d.serial not in excludes]
    return plan.model_copy(update={"devices": devices, "targets": targets,
                                   "excludes": excludes})


def _confirm(plan: Plan, auto_approve: bool) -> bool:
    writes = plan.writes
    inverters = sum(1 for d in plan.devices if d.operations)
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise ApplyRefused("no terminal to ask for approval: pass --auto-approve to apply "
                           "without asking (as CI must), or apply a saved plan")
    answer = input(f"Apply these {writes} writes to {inverters} inverter"
                   f"{'s' * (inverters != 1)}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _load_saved(args: argparse.Namespace, path: Path) -> tuple[Plan, Any]:
    from reconciler.config import load_config

    plan = load_plan(path)
    check_fresh(plan, file_sha256(Path(plan.config_path)), args.max_plan_age)
    config = load_config(Path(plan.config_path), on_date=date.fromisoformat(plan.date))
    return plan, config


def run_apply(args: argparse.Namespace) -> int:
    from reconciler.config import ConfigError
    from reconciler.connect import MissingTokenError, open_client
    from reconciler.journal import Journal
    from reconciler.locking import LockBusyError, state_lock
    from reconciler.render.apply_view import render_outcomes
    from reconciler.statedir import JOURNAL_FILE, LOCK_FILE

    state_dir = Path(args.state_dir)
    source = Path(args.source) if args.source else default_plan_path(args)
    from_config = source.suffix.lower() in (".yaml", ".yml")
    try:
        if from_config:
            args.config, args.target, args.exclude = str(source), args.target, args.exclude
            args.parallelism_plan = args.parallelism
            plan, config, code = make_plan_from_args(args)
            if plan is None:
                return code
            sys.stdout.write(render(plan, "text", args.verbose) if args.format == "text"
                             else "")
        else:
            plan, config = _load_saved(args, source)
            plan = _select(plan, args.target, args.exclude)
        options = ApplyOptions(
            state_dir=state_dir, parallelism=args.parallelism,
            allow_dangerous=args.allow_dangerous, max_writes=args.max_writes,
            wait_verify=not args.no_wait_verify, max_rounds=max(1, args.max_rounds),
            timezone=getattr(config.account, "timezone", None))
        check_limits(plan.devices, options)
        if plan.writes and from_config and not _confirm(plan, args.auto_approve):
            print("Apply cancelled; nothing was written.", file=sys.stderr)
            return 1
    except (ApplyRefused, PlanFileError) as exc:
        return fail(str(exc))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not plan.writes:
        sys.stdout.write(render_outcomes(plan, apply_plan_nothing(plan), args.format, {}))
        return 1 if any(d.status == "error" for d in plan.devices) else 0
    try:
        client = open_client(args, config.account)
    except (MissingTokenError, ValueError) as exc:
        return fail(str(exc))
    interval = client.read_interval
    options.verify_interval = (args.verify_interval if args.verify_interval is not None
                               else max(1.0, interval))
    desired = {device.serial: device for device in config.devices}
    stop = threading.Event()

    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        with state_lock(state_dir / LOCK_FILE, timeout=args.lock_timeout):
            journal = Journal(state_dir / JOURNAL_FILE)
            outcomes = apply_plan(plan, desired, client, options, journal, stop, report)
    except LockBusyError as exc:
        return fail(str(exc))
    finally:
        client.close()
    sys.stdout.write(render_outcomes(plan, outcomes, args.format, client.stats,
                                     journal=str(state_dir / JOURNAL_FILE)))
    if stop.is_set():
        return 130
    success = {"unchanged", "converged"} | ({"applied-unconfirmed"} if args.no_wait_verify
                                            else set())
    return 0 if all(outcome.outcome in success for outcome in outcomes) else 1


def apply_plan_nothing(plan: Plan) -> list[Any]:
    from reconciler.applier import DeviceOutcome, failed_in_planning

    return [failed_in_planning(d) if d.status == "error"
            else DeviceOutcome(d.name, d.serial, d.family, "unchanged") for d in plan.devices]
