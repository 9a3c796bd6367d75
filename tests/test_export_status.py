"""export (a file that plans clean), status (live telemetry) on the simulator."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from reconciler.sim.state import default_fixture
from tests.helpers import Cli


@pytest.fixture
def cli(tmp_path: Path, sim: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, token: str) -> Cli:
    return Cli(tmp_path, sim, capsys, monkeypatch, token)


def round_trip(cli: Cli) -> str:
    exported = cli("export", "-o", "exported.yaml")
    assert exported.code == 0, exported.err
    cli.export_requests = len(cli.server.requests)  # type: ignore[attr-defined]
    text = (cli.workdir / "exported.yaml").read_text()
    assert cli("validate", "exported.yaml", server=False).code == 0
    plan = cli("plan", "exported.yaml", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    return text


def test_export_of_the_default_fixture_plans_clean(cli: Cli, sim: Any) -> None:
    text = round_trip(cli)
    assert "garage:" in text and "workshop-non-hybrid:" in text
    assert "# model MIN 6000TL-XH" in text
    # slots 1 and 2 of MIN1234567 are one window split at midnight: exported as one
    assert 'start: "23:30"\n      end: "05:30"' in text
    reads = [r for r in sim.requests[:cli.export_requests]  # type: ignore[attr-defined]
             if r["endpoint"].endswith(("_set_info", "_data_info"))]
    assert len(reads) == 14 + 1  # the non-hybrid MIN has no settings in its detail read


def test_export_of_one_serial_and_one_plant(cli: Cli) -> None:
    one = cli("export", "--serial", "SPH0000003")
    assert one.code == 0
    assert "SPH0000003" in one.out and "MIN1234567" not in one.out
    plant = cli("export", "--plant", "1185")
    assert "MIN1234567" in plant.out and "SPH0000001" not in plant.out


def messy_min(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    settings = dict(base)
    windows: list[tuple[int, int]] = []
    for n in range(1, 10):
        start = rng.randrange(0, 1440)
        end = rng.randrange(start, min(1440, start + 240))
        free = all(end < s or start > e for s, e in windows)
        enabled = free and rng.random() < 0.4
        if enabled:
            windows.append((start, end))
        fmt = rng.choice(["{h}:{m}", "{h:02d}:{m:02d}"])
        settings[f"time{n}Mode"] = rng.choice([0, 1, 2, "1", 2.0]) if enabled else rng.choice(
            [0, "null", None, 1])
        settings[f"forcedTimeStart{n}"] = fmt.format(h=start // 60, m=start % 60) if enabled \
            else rng.choice(["0:0", "null", "", None, "10:0"])
        settings[f"forcedTimeStop{n}"] = fmt.format(h=end // 60, m=end % 60) if enabled \
            else rng.choice(["0:0", "null", "", None, "12:30"])
        settings[f"forcedStopSwitch{n}"] = 1 if enabled else rng.choice([0, "0", "null", None])
    settings["chargePowerCommand"] = rng.choice([50, "80", 100.0])
    settings["wdisChargeSOCLowLimit"] = rng.choice([10, "15", 20.0])
    return settings


def messy_sph(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    settings = dict(base)
    used: list[tuple[int, int]] = []
    for prefix in ("forcedCharge", "forcedDischarge"):
        for i in (1, 2, 3):
            start = rng.randrange(0, 1400)
            end = rng.randrange(start + 1, min(1440, start + 180))
            enabled = all(end < s or start > e for s, e in used) and rng.random() < 0.5
            if enabled:
                used.append((start, end))
            settings[f"{prefix}TimeStart{i}"] = f"{start // 60}:{start % 60}"
            settings[f"{prefix}TimeStop{i}"] = f"{end // 60}:{end % 60}"
            settings[f"{prefix}StopSwitch{i}"] = 1 if enabled else rng.choice([0, "0"])
    settings["wchargeSOCLowLimit2"] = rng.choice([90, "95", 100.0])
    return settings


@pytest.mark.parametrize("seed", range(4))
def test_export_round_trip_on_messy_generated_fixtures(
        tmp_path: Path, sim_factory: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, token: str, seed: int) -> None:
    rng = random.Random(seed)
    fixture = default_fixture()
    for plant in fixture["plants"]:
        for device in plant["devices"]:
            if device["settings"] and device["type"] == 7:
                device["settings"] = messy_min(rng, device["settings"])
            elif device["settings"]:
                device["settings"] = messy_sph(rng, device["settings"])
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture))
    server = sim_factory(fixture=path)
    round_trip(Cli(tmp_path, server, capsys, monkeypatch, token))


def test_status_shows_telemetry_and_the_lost_device(cli: Cli) -> None:
    config = cli.example("fleet")
    result = cli("status", config, "--format", "json")
    assert result.code == 0, result.err
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert rows["holiday-flat"]["online"] is False
    assert rows["bakery"]["online"] is True
    assert 0 <= rows["bakery"]["soc_percent"] <= 100
    assert "battery_first" in rows["holiday-flat"]["active_window"] or \
        "load_first" in rows["holiday-flat"]["active_window"]
    assert rows["barn"]["family"] == "sph" and "soc_percent" in rows["barn"]
    text = cli("status", config)
    assert "holiday-flat (MIN0000008): LOST" in text.out
    assert "now:" in text.out
