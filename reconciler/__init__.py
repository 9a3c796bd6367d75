"""growatt-reconcile: keep Growatt inverter schedules in line with a YAML file."""

from __future__ import annotations

__version__ = "0.1.0"
