"""`--server sim`: the simulator in-process on a free loopback port, state in the state dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reconciler.sim.server import SimOptions, SimServer, start_server

STATE_FILE = "sim-state.json"


def start_embedded(state_dir: Path, **overrides: Any) -> SimServer:
    fixture = os.environ.get("GROWATT_SIM_FIXTURE")
    options = SimOptions(fixture=Path(fixture) if fixture else None,
                         state_path=state_dir / STATE_FILE, rate_limit="off")
    for key, value in overrides.items():
        setattr(options, key, value)
    return start_server(options)
