"""`--server sim`: the simulator in-process on a free loopback port, state in the state dir."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from reconciler.sim.server import SimOptions, SimServer, start_server

STATE_FILE = "sim-state.json"
FIXTURE_ENV = "GROWATT_SIM_FIXTURE"


def start_embedded(state_dir: Path, **overrides: Any) -> SimServer:
    """Serve on 127.0.0.1 (a free port) with the state in `state_dir / "sim-state.json"`,
    seeded on first use from the packaged default fixture, or from the file that
    GROWATT_SIM_FIXTURE names. No rate limit unless `overrides` ask for one; any
    `SimOptions` field can be overridden (an unknown name is a TypeError)."""
    fixture = os.environ.get(FIXTURE_ENV)
    options = SimOptions(fixture=Path(fixture) if fixture else None,
                         state_path=state_dir / STATE_FILE, rate_limit="off",
                         host="127.0.0.1", port=0)
    return start_server(dataclasses.replace(options, **overrides))
