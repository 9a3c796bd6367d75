"""`growatt-reconcile plan`: read each inverter once and show what apply would write."""

from __future__ import annotations

import argparse
import sys

HELP = "read the inverters and show (and save) the writes that would make them match the file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default="inverters.yaml",
                        help="the desired-state file (default inverters.yaml)")
    parser.add_argument("-o", "--out", metavar="PLAN",
                        help="where to save the plan (default STATE_DIR/plan.json)")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 0 when there are no changes, 2 when there are, 1 on error")
    add_selection_arguments(parser)
    parser.add_argument("--date", metavar="YYYY-MM-DD",
                        help="choose seasonal profiles for this date instead of today")
    parser.add_argument("--parallelism", type=int, default=8, metavar="N",
                        help="devices read at once (default 8)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also show each write as it goes on the wire")


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", action="append", default=[], metavar="NAME",
                        help="only this inverter (name or serial; repeatable)")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME",
                        help="leave this inverter out (repeatable)")


def run(args: argparse.Namespace) -> int:
    from reconciler.commands._running import make_and_show_plan

    plan, code = make_and_show_plan(args)
    if plan is None:
        return code
    if args.detailed_exitcode and code == 0 and plan.writes:
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)
