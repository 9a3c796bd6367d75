"""`growatt-reconcile validate`: offline checks of the file, every problem with its place."""

from __future__ import annotations

import argparse

HELP = "check the file offline: every problem as file:line:col: message"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default="inverters.yaml",
                        help="the desired-state file (default inverters.yaml)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="json: a list of {file, line, column, severity, message}")
    parser.add_argument("--explain", metavar="NAME",
                        help="print what the file asks of this inverter (name or serial), in "
                             "the device's terms")
    parser.add_argument("--date", metavar="YYYY-MM-DD",
                        help="choose seasonal profiles for this date instead of today")


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' * (number != 1)}"


def _tally(problems: list[object]) -> list[str]:
    """"2 warnings, 1 note" for the problems that are not errors."""
    severities = [getattr(problem, "severity", "error") for problem in problems]
    return [_count(severities.count(kind), kind) for kind in ("warning", "note")
            if kind in severities]


def run(args: argparse.Namespace) -> int:
    import difflib
    import json
    from pathlib import Path

    from reconciler.commands._running import fail, parse_date
    from reconciler.config import ConfigError, load_config
    from reconciler.config.explain import explain, explain_json

    try:
        config = load_config(Path(args.config), on_date=parse_date(args.date))
    except ConfigError as exc:
        if args.format == "json":
            print(json.dumps([problem.as_dict() for problem in exc.problems], indent=2))
            return 1
        for problem in exc.problems:
            print(problem)
        summary = [_count(len(exc.errors), "error"), *_tally(list(exc.problems))]
        print(f"{args.config}: invalid, {', '.join(summary)}")
        return 1
    except ValueError as exc:  # --date
        return fail(str(exc))
    if args.explain:
        device = next((d for d in config.devices if args.explain in (d.name, d.serial)), None)
        if device is None:
            names = [d.name for d in config.devices]
            close = difflib.get_close_matches(args.explain, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (names: {', '.join(names)})"
            return fail(f"no inverter named {args.explain!r} in {args.config}{hint}")
        if args.format == "json":
            print(json.dumps(explain_json(device, config.date), indent=2))
        else:
            print(explain(device, config.date), end="")
        return 0
    if args.format == "json":
        print(json.dumps([warning.as_dict() for warning in config.warnings], indent=2))
        return 0
    for warning in config.warnings:
        print(warning)
    counts = {family: sum(d.family == family for d in config.devices) for family in ("min", "sph")}
    kinds = [f"{number} {family.upper()}" for family, number in counts.items() if number]
    untyped = sum(d.family is None for d in config.devices)
    if untyped:
        kinds.append(f"{untyped} of type found at plan time")
    text = f"{args.config}: valid, {_count(len(config.devices), 'inverter')}"
    if kinds:
        text += f" ({', '.join(kinds)})"
    print(", ".join([text, *_tally(list(config.warnings))]))
    return 0
