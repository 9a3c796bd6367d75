"""The benchmark scripts run (on a tiny fleet); their figures are not asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_on_a_tiny_fleet() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "| figure | measured | target | note |" in result.stdout
    assert "MISMATCH" not in result.stdout  # planned MIN writes equal the brute-force minimum
