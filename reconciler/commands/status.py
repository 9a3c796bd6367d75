"""`growatt-reconcile status`: not implemented yet."""

from __future__ import annotations

import argparse
import sys

HELP = "status (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("growatt-reconcile status: not implemented yet", file=sys.stderr)
    return 1
