"""`growatt-reconcile export`: describe what the account's inverters do now, as a file."""

from __future__ import annotations

import argparse

HELP = "write a config file describing the inverters' current settings (bootstrap a repo)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--plant", action="append", default=[], metavar="ID",
                        help="only this plant (repeatable)")
    parser.add_argument("--serial", action="append", default=[], metavar="SN",
                        help="only this inverter (repeatable)")
    parser.add_argument("--with-dangerous", action="store_true",
                        help="also export dangerous settings (on/off, grid voltage limits)")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from reconciler.commands._running import fail
    from reconciler.connect import MissingTokenError, open_client, server_name
    from reconciler.export_account import export_account
    from reconciler.growatt.errors import GrowattError
    from reconciler.statedir import atomic_write_text

    try:
        client = open_client(args)
    except (MissingTokenError, ValueError) as exc:
        return fail(str(exc))
    try:
        text, problems = export_account(
            client, state_dir=Path(args.state_dir), read_interval=client.read_interval,
            plants=args.plant, serials=args.serial, server=server_name(args, None),
            with_dangerous=args.with_dangerous)
    except GrowattError as exc:
        return fail(f"cannot export: {exc}")
    finally:
        client.close()
    if args.out:
        atomic_write_text(Path(args.out), text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0
