"""`growatt-reconcile show`: not implemented yet."""

from __future__ import annotations

import argparse
import sys

HELP = "show (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("growatt-reconcile show: not implemented yet", file=sys.stderr)
    return 1
