"""`growatt-reconcile export`: not implemented yet."""

from __future__ import annotations

import argparse
import sys

HELP = "export (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("growatt-reconcile export: not implemented yet", file=sys.stderr)
    return 1
