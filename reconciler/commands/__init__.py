"""One module per subcommand; each satisfies `Command` and is listed in `COMMANDS`.

Command modules stay cheap to import (heavy imports go inside `run`) so that
`growatt-reconcile --help` starts fast.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Protocol


class Command(Protocol):
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def load_commands() -> dict[str, ModuleType]:
    """The registry: subcommand name -> module."""
    from reconciler.commands import apply, export, plan, schema, show, sim, status, validate

    return {
        "validate": validate,
        "plan": plan,
        "apply": apply,
        "show": show,
        "export": export,
        "status": status,
        "schema": schema,
        "sim": sim,
    }
