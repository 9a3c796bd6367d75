"""plan and apply end to end on the simulator, over real HTTP, through the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Cli, settings_reads, writes

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def cli(tmp_path: Path, sim: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, token: str) -> Cli:
    return Cli(tmp_path, sim, capsys, monkeypatch, token)


@pytest.mark.parametrize("example", ["home-min", "home-sph", "fleet"])
def test_plan_apply_converges_and_second_apply_writes_nothing(cli: Cli, sim: Any,
                                                              example: str) -> None:
    config = cli.example(example)
    plan = cli("plan", config, "--detailed-exitcode")
    assert plan.code == 2, plan.err
    planned = json.loads((cli.state_dir / "plan.json").read_text())
    planned_writes = sum(len(d["operations"]) for d in planned["devices"])
    assert planned_writes > 0
    before = len(writes(sim))
    applied = cli("apply")
    assert applied.code == 0, applied.out + applied.err
    assert len(writes(sim)) - before == planned_writes  # exactly the plan, nothing more
    again = cli("plan", config, "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes" in again.out
    before = len(writes(sim))
    second = cli("apply", config, "--auto-approve")
    assert second.code == 0
    assert len(writes(sim)) == before  # idempotent: zero writes the second time


def test_a_plan_reads_each_device_once(cli: Cli, sim: Any) -> None:
    config = cli.example("fleet")
    assert cli("plan", config).code == 0
    reads = settings_reads(sim)
    assert sorted(r["fields"]["device_sn"] for r in reads) == sorted(
        f"MIN000000{i}" for i in range(1, 9)) + sorted(f"SPH000000{i}" for i in range(1, 5))
    lists = [r["endpoint"] for r in sim.requests if r["endpoint"] in ("plant/list",
                                                                      "device/list")]
    assert lists == ["plant/list", "device/list", "device/list"]  # two untyped inverters
    assert len(sim.requests) == 12 + 3
    sim.requests.clear()
    assert cli("plan", config).code == 0  # the device list is cached in the state dir
    assert [r["endpoint"] for r in sim.requests].count("plant/list") == 0


def test_detailed_exitcode_and_saved_plan_is_what_apply_runs(cli: Cli, sim: Any) -> None:
    config = cli.example("home-min")
    assert cli("plan", config, "--detailed-exitcode", "-o", "p.json").code == 2
    shown = cli("show", "p.json", server=False)
    assert shown.code == 0 and "slot" in shown.out
    sim.requests.clear()
    assert cli("apply", "p.json").code == 0
    assert cli("plan", config, "--detailed-exitcode").code == 0


def test_saved_plan_refused_when_config_changed(cli: Cli) -> None:
    config = cli.example("home-min")
    assert cli("plan", config).code == 0
    path = cli.workdir / config
    path.write_text(path.read_text().replace("charge_power: 90", "charge_power: 70"))
    result = cli("apply")
    assert result.code == 1
    assert "changed since this plan was made" in result.err
    assert "growatt-reconcile plan" in result.err


def test_saved_plan_refused_when_too_old_or_foreign(cli: Cli) -> None:
    config = cli.example("home-min")
    assert cli("plan", config).code == 0
    old = cli("apply", "--max-plan-age", "0")
    assert old.code == 1 and "old" in old.err
    plan_file = cli.state_dir / "plan.json"
    data = json.loads(plan_file.read_text())
    data["format_version"] = 99
    plan_file.write_text(json.dumps(data))
    foreign = cli("apply")
    assert foreign.code == 1 and "version 99" in foreign.err
    plan_file.write_text(plan_file.read_text()[:100])
    truncated = cli("apply")
    assert truncated.code == 1 and "not a plan file" in truncated.err


def test_apply_of_a_config_without_a_terminal_needs_auto_approve(cli: Cli, sim: Any) -> None:
    config = cli.example("home-min")
    result = cli("apply", config)
    assert result.code == 1
    assert "--auto-approve" in result.err
    assert writes(sim) == []


def test_max_writes_stops_a_runaway_plan(cli: Cli, sim: Any) -> None:
    config = cli.example("fleet")
    assert cli("plan", config).code == 0
    result = cli("apply", "--max-writes", "3")
    assert result.code == 1 and "--max-writes" in result.err
    assert writes(sim) == []


def test_dangerous_writes_need_allow_dangerous(cli: Cli, sim: Any) -> None:
    config = cli.write("danger.yaml", """\
version: 1
inverters:
  garage:
    serial: MIN1234567
    type: min
    settings:
      on_off: false
""")
    plan = cli("plan", config)
    assert "dangerous" in plan.out
    refused = cli("apply")
    assert refused.code == 1 and "--allow-dangerous" in refused.err
    assert writes(sim) == []
    assert cli("apply", "--allow-dangerous").code == 0
    assert writes(sim)[-1]["fields"]["type"] == "tlx_on_off"
    assert writes(sim)[-1]["fields"]["param1"] == "0000"


def test_target_and_exclude(cli: Cli, sim: Any) -> None:
    config = cli.example("fleet")
    result = cli("plan", config, "--target", "bakery", "--target", "SPH0000002")
    assert result.code == 0
    plan = json.loads((cli.state_dir / "plan.json").read_text())
    assert [d["name"] for d in plan["devices"]] == ["bakery", "clinic"]
    assert "only part of the file" in result.out
    excluded = cli("plan", config, "--exclude", "bakery")
    assert "bakery" not in excluded.out
    unknown = cli("plan", config, "--target", "nope")
    assert unknown.code == 1 and "no inverter named nope" in unknown.err


def test_one_offline_device_fails_alone(cli: Cli, sim: Any) -> None:
    config = cli.example("fleet")
    assert cli("plan", config).code == 0
    sim.set_offline(["MIN0000002"])
    result = cli("apply")
    assert result.code == 1
    assert "school-roof (MIN0000002): failed" in result.out
    assert "DeviceOfflineError" in result.out
    assert "converged" in result.out
    failed = [e for e in cli.journal() if e["event"] == "write-done" and e["result"] == "failed"]
    assert [e["serial"] for e in failed] == ["MIN0000002"]
    sim.set_offline([])
    assert cli("plan", config, "--detailed-exitcode").code == 2  # only school-roof left
    assert cli("apply").code == 0
    assert cli("plan", config, "--detailed-exitcode").code == 0


def test_planning_error_on_one_device_does_not_hide_the_others(cli: Cli, sim: Any) -> None:
    config = cli.write("two.yaml", """\
version: 1
inverters:
  garage: {serial: MIN1234567, type: min, settings: {charge_power: 70}}
  ghost: {serial: MIN9999999, type: min, settings: {charge_power: 70}}
""")
    result = cli("plan", config)
    assert result.code == 1
    assert "! ghost (MIN9999999)" in result.out
    assert "~ garage (MIN1234567)" in result.out


def test_apply_delay_is_waited_out(tmp_path: Path, sim_factory: Any,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    server = sim_factory(apply_delay=0.8)
    cli = Cli(tmp_path, server, capsys, monkeypatch, token)
    config = cli.example("home-min")
    assert cli("plan", config).code == 0
    result = cli("apply", "--verify-interval", "1")
    assert result.code == 0, result.out
    assert "converged" in result.out
    assert "in 2 rounds" not in result.out  # the lag was waited out, not rewritten


def test_ignored_write_is_caught_by_verification(tmp_path: Path, sim_factory: Any,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 token: str) -> None:
    server = sim_factory(faults=("ignore-write@tlxSet",))
    cli = Cli(tmp_path, server, capsys, monkeypatch, token)
    config = cli.example("home-min")
    assert cli("plan", config).code == 0
    result = cli("apply", "--verify-interval", "0")
    assert result.code == 1
    assert "not-converged" in result.out
    assert "still different" in result.out
    assert "in 2 rounds" in result.out


def test_no_wait_verify_leaves_it_to_the_next_plan(cli: Cli, sim: Any) -> None:
    config = cli.example("home-min")
    assert cli("plan", config).code == 0
    result = cli("apply", "--no-wait-verify")
    assert result.code == 0 and "applied-unconfirmed" in result.out
    replan = cli("plan", config)
    assert "confirmed by this read" in replan.out


def test_rate_limited_cloud_is_respected(tmp_path: Path, sim_factory: Any,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    server = sim_factory(rate_limit="request:1")
    cli = Cli(tmp_path, server, capsys, monkeypatch, token)
    config = cli.example("home-min")
    assert cli("plan", config, "--read-interval", "1").code == 0
    result = cli("apply", "--read-interval", "1")
    assert result.code == 0, result.out + result.err
    refused = [r for r in server.requests if r["error_code"] == 10012]
    assert refused == []  # the limiter waited instead of being refused
    cached = cli("plan", config, "--read-interval", "60")
    assert "cached" in cached.out


def test_drift_is_reported_against_our_last_apply(cli: Cli, sim: Any) -> None:
    config = cli.example("home-min")
    cli("plan", config)
    assert cli("apply").code == 0
    raw = sim.raw_settings("MIN1234567")
    raw["chargePowerCommand"] = 55  # someone changed it in ShinePhone
    sim.set_raw_settings("MIN1234567", raw)
    result = cli("plan", config)
    assert "drift: settings.charge_power changed outside growatt-reconcile" in result.out


def test_fight_is_not_continued(cli: Cli, sim: Any) -> None:
    config = cli.example("home-min")
    for _ in range(2):
        cli("plan", config)
        assert cli("apply").code == 0
        raw = sim.raw_settings("MIN1234567")
        raw["chargePowerCommand"] = 55
        sim.set_raw_settings("MIN1234567", raw)
    cli("plan", config)
    before = len(writes(sim))
    result = cli("apply")
    assert result.code == 1
    assert "settings.charge_power" in result.out and "not written a third time" in result.out
    assert len(writes(sim)) == before


def test_restore_point_brings_the_device_back(cli: Cli, sim: Any) -> None:
    original = sim.raw_settings("MIN1234567")
    config = cli.example("home-min")
    cli("plan", config)
    assert cli("apply").code == 0
    restore = sorted((cli.state_dir / "restore").glob("MIN1234567-*.yaml"))
    assert len(restore) == 1
    assert cli("validate", str(restore[0]), server=False).code == 0
    assert cli("apply", str(restore[0]), "--auto-approve").code == 0
    now = sim.raw_settings("MIN1234567")
    for n in range(1, 10):
        if original[f"forcedStopSwitch{n}"] == 1:
            assert now[f"forcedTimeStart{n}"] == original[f"forcedTimeStart{n}"]
            assert now[f"forcedStopSwitch{n}"] == 1
    assert now["chargePowerCommand"] == original["chargePowerCommand"]


def test_lock_stops_a_second_apply(cli: Cli) -> None:
    config = cli.example("home-min")
    cli("plan", config)
    cli.state_dir.mkdir(exist_ok=True)
    lock = cli.state_dir / "apply.lock"
    import socket

    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getppid(),
                                "started": "now"}))
    result = cli("apply")
    assert result.code == 1 and f"pid {os.getppid()}" in result.err


def _normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("fmt, golden", [("text", "home-min.plan.txt"),
                                         ("markdown", "fleet.plan.md")])
def test_views_match_golden_files(cli: Cli, fmt: str, golden: str) -> None:
    config = cli.example("home-min" if golden.startswith("home") else "fleet")
    result = cli("plan", config, "--format", fmt, "--date", "2026-11-24")
    text = _normalize(result.out)
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"run with UPDATE_GOLDEN=1 to accept:\n{text}"
