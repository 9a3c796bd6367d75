"""`growatt-reconcile apply`: make the planned writes, verify them, journal everything."""

from __future__ import annotations

import argparse

HELP = "apply a saved plan (default), a plan file, or a config file (plans, shows, asks)"


def duration(text: str) -> float:
    """Seconds from "90", "90s", "15m" or "1h"."""
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 15m, 1h)"
                                         ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from reconciler.commands.plan import add_selection_arguments

    parser.add_argument("source", nargs="?",
                        help="a plan file (.json) or a config file (.yaml); "
                        "default: the saved plan STATE_DIR/plan.json")
    parser.add_argument("--auto-approve", action="store_true",
                        help="apply a config file's plan without asking (for CI)")
    add_selection_arguments(parser)
    parser.add_argument("--parallelism", type=int, default=4, metavar="N",
                        help="inverters written at once (default 4)")
    parser.add_argument("--max-writes", type=int, metavar="N",
                        help="refuse to run when the plan writes more than N times")
    parser.add_argument("--allow-dangerous", action="store_true",
                        help="allow writes that can switch an inverter off or change grid "
                        "protection")
    parser.add_argument("--no-wait-verify", action="store_true",
                        help="do not wait for the rate-limit window to verify; the next plan "
                        "verifies from the journal")
    parser.add_argument("--max-rounds", type=int, default=2, metavar="N",
                        help="write rounds per inverter before it is reported not converged")
    parser.add_argument("--verify-interval", type=duration, metavar="SECONDS",
                        help="pause between verification reads that still show old values "
                        "(default: the read interval, at least 1 s)")
    parser.add_argument("--max-plan-age", type=duration, default=3600.0, metavar="AGE",
                        help="refuse a saved plan older than this (default 1h)")
    parser.add_argument("--lock-timeout", type=duration, default=0.0, metavar="SECONDS",
                        help="wait this long for another apply to finish (default: do not)")
    parser.add_argument("--date", metavar="YYYY-MM-DD",
                        help="with a config file: choose seasonal profiles for this date")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument("--verbose", "-v", action="store_true")


def run(args: argparse.Namespace) -> int:
    from reconciler.commands._applying import run_apply

    return run_apply(args)
