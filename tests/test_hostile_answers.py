"""Hostile answers from the cloud: wrong types in every field, absurd numbers, missing
envelope keys. The tool refuses or tolerates them clearly and never writes on a value it
could not parse."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Cli, writes

ODD_VALUES = [[], {}, [1, 2], {"v": 1}, -1, -99999, 10**12, 1e308, "", "null", "x" * 10000,
              True, False, None, "11:187", "-5:-5", "99:99", 3.7]


@pytest.mark.parametrize("seed", range(6))
def test_every_field_garbled(tmp_path: Path, sim: Any, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch, token: str, seed: int) -> None:
    rng = random.Random(seed)
    for serial in ("MIN1234567", "SPH7654321"):
        raw = sim.raw_settings(serial)
        garbled = {key: rng.choice(ODD_VALUES) if rng.random() < 0.5 else value
                   for key, value in raw.items()}
        sim.set_raw_settings(serial, garbled)
    cli = Cli(tmp_path, sim, capsys, monkeypatch, token)
    config = cli.example("home-min")
    cli.example("home-sph")
    for name in (config, "home-sph.yaml"):
        result = cli("plan", name)
        assert result.code in (0, 1)
        assert "Traceback" not in result.err + result.out
        plan = json.loads((cli.state_dir / "plan.json").read_text())
        for device in plan["devices"]:
            # Writes are whole: every param of every planned write is a plain number.
            for operation in device["operations"]:
                assert all(p.lstrip("-").replace(".", "", 1).isdigit()
                           for p in operation["params"]), operation
        applied = cli("apply")
        assert "Traceback" not in applied.err + applied.out
    accepted = [w for w in writes(sim) if w["error_code"] == 0]
    for write in accepted:
        assert all(value == "" or value.lstrip("-").replace(".", "", 1).isdigit()
                   for key, value in write["fields"].items() if key.startswith("param"))


def test_answers_without_an_envelope_are_refused(tmp_path: Path, sim: Any,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 token: str) -> None:
    sim.set_faults(["html@device/tlx/tlx_set_info", "badjson@device/mix/mix_data_info"])
    monkeypatch.setenv("GROWATT_RETRIES", "0")
    cli = Cli(tmp_path, sim, capsys, monkeypatch, token)
    result = cli("plan", cli.example("home-min"))
    assert result.code == 1
    assert "BadResponseError" in result.out and "HTML" in result.out.upper()
    assert writes(sim) == []
