"""A matrix of faults at every phase: the tool exits as documented, loses nothing, and a
run without the fault converges with no surprise writes.

GROWATT_FAULT_MATRIX=full runs more probabilities and seeds.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIGURES, Cli, writes

KINDS = ["http500", "html", "badjson", "timeout", "reset", "ratelimit", "ignore-write",
         "offline", "apply-delay"]
PHASES = {
    "device list": "device/list",
    "settings read": None,  # both families' settings endpoints, while planning
    "write": "WRITE",
    "verification read": "VERIFY",
}
FULL = os.environ.get("GROWATT_FAULT_MATRIX") == "full"
PROBABILITIES = [1.0, 0.5, 0.2] if FULL else [1.0, 0.4]
SEEDS = [1, 2, 3] if FULL else [7]
CONFIG = """\
version: 1
account: {timezone: Europe/Berlin}
inverters:
  garage: {serial: MIN1234567, type: min, time_segments: [{mode: grid_first, start: "16:00",
           end: "18:00"}], settings: {charge_power: 60}}
  bakery: {serial: MIN0000001, settings: {charge_power: 70}}
  barn: {serial: SPH0000001, type: sph, ac_charge: {power: 90, stop_soc: 90,
         periods: [{start: "02:00", end: "05:00"}]}}
"""


def accepted_writes(server: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(serial, type, params without trailing blanks) of each write the cloud accepted."""
    accepted = []
    for request in writes(server):
        if request["error_code"] != 0:
            continue
        fields = request["fields"]
        params = [fields[f"param{i}"] for i in range(1, 20) if f"param{i}" in fields]
        while params and params[-1] == "":
            params.pop()
        accepted.append((fields.get("tlx_sn") or fields.get("mix_sn"), fields["type"],
                         tuple(params)))
    return accepted


def fault_specs(kind: str, phase: str, probability: float) -> list[str]:
    endpoints = {"device list": ["device/list"],
                 "settings read": ["device/tlx/tlx_set_info", "device/mix/mix_data_info"],
                 "write": ["tlxSet", "mixSet"],
                 "verification read": ["device/tlx/tlx_set_info", "device/mix/mix_data_info"]}
    return [f"{kind}@{endpoint}:{probability}" for endpoint in endpoints[phase]]


CASES = [(kind, phase, p, seed) for kind in KINDS for phase in PHASES
         for p in PROBABILITIES for seed in SEEDS
         if not (kind == "ignore-write" and phase != "write")
         and not (kind in ("offline", "apply-delay") and (p != 1.0 or phase != "write"))]


@pytest.mark.parametrize("kind, phase, probability, seed", CASES,
                         ids=[f"{k}-{ph.replace(' ', '_')}-{p}-{s}" for k, ph, p, s in CASES])
def test_fault(tmp_path: Path, sim_factory: Any, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch, token: str, kind: str, phase: str,
               probability: float, seed: int) -> None:
    server = sim_factory(seed=seed, timeout_seconds=2.0, tokens=(token,))
    monkeypatch.setenv("GROWATT_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("GROWATT_BACKOFF", "0.01")
    monkeypatch.setenv("GROWATT_RETRIES", "2")
    cli = Cli(tmp_path, server, capsys, monkeypatch, token)
    config = cli.write("inverters.yaml", CONFIG)
    injected = kind not in ("offline", "apply-delay")
    if kind == "offline":
        server.set_offline(["MIN1234567"])
    if kind == "apply-delay":
        server.cloud.options.apply_delay = 0.6
    if injected and phase in ("device list", "settings read"):
        server.set_faults(fault_specs(kind, phase, probability))
    plan = cli("plan", config)
    assert plan.code in (0, 1), plan.err
    assert "Traceback" not in plan.err + plan.out
    if injected and phase in ("write", "verification read"):
        server.set_faults(fault_specs(kind, phase, probability))
    applied = cli("apply", "--format", "json", "--verify-interval", "0.7")
    assert applied.code in (0, 1), applied.err
    assert "Traceback" not in applied.err
    if applied.out.strip().startswith("{"):
        result = json.loads(applied.out)
        for device in result["devices"]:
            assert device["outcome"] in ("unchanged", "converged", "applied-unconfirmed",
                                         "not-converged", "failed")
            if device["outcome"] not in ("unchanged", "converged"):
                assert device["error"] or device["message"] or device["remaining"], device
        FIGURES["devices"] += len(result["devices"])
        FIGURES["converged"] += sum(d["outcome"] in ("unchanged", "converged")
                                    for d in result["devices"])
    else:
        assert applied.code == 1 and applied.err.strip()  # refused with a reason
    FIGURES["faults injected"] += sum(1 for r in server.requests if r["fault"])
    # The journal matches the simulator's request log write for write.
    journal_ok = Counter((e["serial"], e["type"], tuple(e["params"])) for e in cli.journal()
                         if e["event"] == "write-done" and e["result"] == "ok")
    assert journal_ok == Counter(accepted_writes(server))
    # Without the fault, a new plan and apply converge with no surprise writes.
    server.set_faults([])
    server.set_offline([])
    server.cloud.options.apply_delay = 0.0
    replan = cli("plan", config)
    assert replan.code == 0, replan.out + replan.err
    planned = json.loads((cli.state_dir / "plan.json").read_text())
    expected_writes = sum(len(d["operations"]) for d in planned["devices"])
    started = time.time()  # requests still hanging from a timeout fault are logged late
    final = cli("apply")
    assert final.code == 0, final.out + final.err
    assert len([r for r in writes(server) if r["time"] >= started]) == expected_writes
    assert cli("plan", config, "--detailed-exitcode").code == 0
    FIGURES["runs"] += 1
    for run in (plan, applied, replan, final):
        leaked = token in run.out + run.err
        FIGURES["tokens leaked"] += leaked
        assert not leaked
