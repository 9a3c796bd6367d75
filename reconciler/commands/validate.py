"""`growatt-reconcile validate`: offline checks of the file, every problem with its place."""

from __future__ import annotations

import argparse

HELP = "check the file offline: every problem as file:line:col: message"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default="inverters.yaml",
                        help="the desired-state file (default inverters.yaml)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--explain", metavar="NAME",
                        help="print what the file asks of this inverter, in the device's terms")
    parser.add_argument("--date", metavar="YYYY-MM-DD",
                        help="choose seasonal profiles for this date instead of today")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from reconciler.commands._running import fail, parse_date
    from reconciler.config import ConfigError, load_config
    from reconciler.config.explain import explain, explain_json

    try:
        config = load_config(Path(args.config), on_date=parse_date(args.date))
    except ConfigError as exc:
        if args.format == "json":
            print(json.dumps([problem.as_dict() | {"severity": problem.severity}
                              for problem in exc.problems], indent=2))
        else:
            print(str(exc), file=sys.stderr)
            count = len(exc.problems)
            print(f"{args.config}: {count} problem{'s' * (count != 1)}", file=sys.stderr)
        return 1
    except ValueError as exc:
        return fail(str(exc))
    if args.explain:
        device = next((d for d in config.devices
                       if args.explain in (d.name, d.serial)), None)
        if device is None:
            return fail(f"no inverter named {args.explain} in {args.config}")
        if args.format == "json":
            print(json.dumps(explain_json(device, config.date), indent=2))
        else:
            sys.stdout.write(explain(device, config.date))
        return 0
    if args.format == "json":
        print(json.dumps([warning.as_dict() for warning in config.warnings], indent=2))
        return 0
    for warning in config.warnings:
        print(str(warning), file=sys.stderr)
    kinds = {family: sum(d.family == family for d in config.devices) for family in ("min", "sph")}
    untyped = sum(d.family is None for d in config.devices)
    parts = [f"{n} {family.upper()}" for family, n in kinds.items() if n]
    if untyped:
        parts.append(f"{untyped} of type found at plan time")
    count = len(config.devices)
    text = (f"{args.config}: valid, {count} inverter{'s' * (count != 1)}"
            f" ({', '.join(parts)})" if parts else f"{args.config}: valid, {count} inverters")
    if config.warnings:
        text += f", {len(config.warnings)} warning{'s' * (len(config.warnings) != 1)}"
    print(text)
    return 0
