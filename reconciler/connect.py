"""Opening the API client the way every command does: server, token, limiter, state dir."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_TOKEN_ENV = "GROWATT_TOKEN"  # noqa: S105 (a variable name, not a token)
SIM_TOKEN = "simulator-token"  # noqa: S105 - the built-in simulator accepts any token


class MissingTokenError(Exception):
    pass


def server_name(args: argparse.Namespace, account: Any | None) -> str:
    return str(getattr(args, "server", None) or getattr(account, "server", None) or "eu")


def read_interval(args: argparse.Namespace, account: Any | None) -> float | None:
    """--read-interval, else account.read_interval; None lets the client decide
    (GROWATT_READ_INTERVAL, the simulator's own window, or 300 s)."""
    if getattr(args, "read_interval", None) is not None:
        return float(args.read_interval)
    value = getattr(account, "read_interval", None)
    return None if value is None else float(value)


def open_client(args: argparse.Namespace, account: Any | None = None) -> Any:
    from reconciler.growatt import OpenApiV1

    server = server_name(args, account)
    token_env = getattr(account, "token_env", None) or DEFAULT_TOKEN_ENV
    token = os.environ.get(token_env, "")
    if not token:
        if server != "sim":
            raise MissingTokenError(
                f"no API token: set the environment variable {token_env} (in ShinePhone: "
                "Me > account > API Token), or try the built-in simulator with --server sim")
        token = SIM_TOKEN
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    return OpenApiV1(token, server=server, state_dir=state_dir,
                     read_interval=read_interval(args, account),
                     show_countdown=sys.stderr.isatty(), **transport_settings())


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None


def transport_settings() -> dict[str, Any]:
    """Timeouts and retries, tunable from the environment (slow links, tests)."""
    return {"timeout": (_env_number("GROWATT_CONNECT_TIMEOUT", 5.0),
                        _env_number("GROWATT_HTTP_TIMEOUT", 30.0)),
            "max_retries": int(_env_number("GROWATT_RETRIES", 3)),
            "backoff_base": _env_number("GROWATT_BACKOFF", 1.0),
            "retry_deadline": _env_number("GROWATT_RETRY_DEADLINE", 120.0)}
