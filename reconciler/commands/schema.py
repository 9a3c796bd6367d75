"""`growatt-reconcile schema`: the JSON Schema of the file, for editors and CI."""

from __future__ import annotations

import argparse

HELP = "print the JSON Schema of the inverters file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", action="store_true", help="the plan file's schema instead")


def run(args: argparse.Namespace) -> int:
    import json

    if args.plan:
        from reconciler.planfile import plan_json_schema

        print(json.dumps(plan_json_schema(), indent=2))
    else:
        from reconciler.config import json_schema

        print(json.dumps(json_schema(), indent=2))
    return 0
