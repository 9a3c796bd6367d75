"""`growatt-reconcile status`: each inverter's live situation, and the window active now."""

from __future__ import annotations

import argparse

HELP = "show live telemetry per inverter: online, battery, power flows, active window"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default="inverters.yaml",
                        help="the desired-state file (default inverters.yaml)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--target", action="append", default=[], metavar="NAME")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="for seasonal profiles")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from reconciler.commands._running import fail, parse_date
    from reconciler.config import ConfigError, load_config
    from reconciler.connect import MissingTokenError, open_client
    from reconciler.planner import SelectionError, select
    from reconciler.status import device_status, render_status

    try:
        config = load_config(Path(args.config), on_date=parse_date(args.date))
        devices = select(config.devices, args.target, args.exclude)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (SelectionError, ValueError) as exc:
        return fail(str(exc))
    try:
        client = open_client(args, config.account)
    except (MissingTokenError, ValueError) as exc:
        return fail(str(exc))
    try:
        rows = [device_status(client, device, state_dir=Path(args.state_dir),
                              read_interval=client.read_interval,
                              timezone=getattr(config.account, "timezone", None))
                for device in devices]
    finally:
        client.close()
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
    else:
        sys.stdout.write(render_status(rows))
    return 1 if any(row.get("error") for row in rows) else 0
