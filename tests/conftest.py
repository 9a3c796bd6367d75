"""Shared fixtures: a real simulator on 127.0.0.1 per test, and the test token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# A recognizable token: tests assert it never shows up in any output.
TEST_TOKEN = "TOKEN-5ecr3t-0f-7e57-d0-n07-1eak"

from tests.helpers import FIGURES  # noqa: E402 - one dict, shared with tests/test_faults.py


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES["runs"]:
        terminalreporter.write_line(
            "fault matrix: " + ", ".join(f"{name}: {value}" for name, value in FIGURES.items()))


@pytest.fixture
def token() -> str:
    return TEST_TOKEN


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start simulators with `SimOptions` keyword arguments; all are stopped after the test."""
    from reconciler.sim.server import SimOptions, start_server

    servers: list[Any] = []

    def start(**options: Any) -> Any:
        options.setdefault("state_path", tmp_path / f"sim-state-{len(servers)}.json")
        options.setdefault("request_log", tmp_path / f"sim-requests-{len(servers)}.jsonl")
        server = start_server(SimOptions(**options))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sim(sim_factory: Callable[..., Any]) -> Any:
    """A simulator with the default fixture, no rate limit, no faults."""
    return sim_factory()
