"""Argument parsing and dispatch to `reconciler.commands`; exit codes follow Terraform."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.commands import load_commands

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode: there are changes


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts (placed after the subcommand name)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--server",
        help="eu | us | cn | au | an https URL ending in /v1/ | sim (built-in simulator); "
        "default: account.server in the file, else eu",
    )
    group.add_argument(
        "--read-interval",
        type=float,
        metavar="SECONDS",
        help="minimum seconds between identical reads (default 300; env GROWATT_READ_INTERVAL)",
    )
    group.add_argument(
        "--state-dir",
        default=".growatt-reconcile",
        metavar="DIR",
        help="where plans, journal, caches and limiter state live (default .growatt-reconcile)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="growatt-reconcile",
        description="Keep Growatt inverter schedules in line with a YAML file, "
        "through the Growatt OpenAPI V1.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    for name, module in load_commands().items():
        cmd_parser = sub.add_parser(name, help=module.HELP, description=module.HELP,
                                    parents=[common])
        module.add_arguments(cmd_parser)
        cmd_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
