"""The state directory (`.growatt-reconcile/`): its paths and atomic file writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path(".growatt-reconcile")
PLAN_FILE = "plan.json"
JOURNAL_FILE = "journal.jsonl"
READS_DIR = "reads"  # cached settings reads, one file per serial
INVENTORY_FILE = "inventory.json"  # plants and devices from plant/list + device/list
RESTORE_DIR = "restore"
LOCK_FILE = "apply.lock"


def ensure(state_dir: Path) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    """Write through a temporary file in the same folder and rename it into place,
    so a reader (or a crash) never sees half a file. `durable` also survives a power cut
    (fsync); caches that can be rebuilt skip it, it costs milliseconds a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any, durable: bool = True) -> None:
    """Readable JSON for files people open; caches (`durable=False`) are written compact,
    which uses the C encoder and is many times faster."""
    text = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) if durable
            else json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    atomic_write_text(path, text + "\n", durable)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is missing or unreadable (caches only)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
