"""The simulator's state across processes, fixtures, the embedded server, shutdown during
a hanging request, and `sim serve` details (test_sim.py has the basics)."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.commands.sim import is_loopback
from reconciler.sim.embedded import STATE_FILE, start_embedded
from reconciler.sim.server import SimOptions, start_server
from tests.test_sim import MIN, SPH, _serve, api, call, min_settings, mix_set, ok, refused, tlx_set


def test_pending_write_survives_a_restart(sim_factory: Callable[..., Any], tmp_path: Path
                                          ) -> None:
    state = tmp_path / "state.json"
    first = sim_factory(state_path=state, apply_delay=0.6)
    ok(tlx_set(first, "charge_power", "40"))
    ok(tlx_set(first, "time_segment5", "1", "8", "0", "9", "0", "1"))
    first.stop()
    pending = json.loads(state.read_text(encoding="utf-8"))["pending"][MIN]
    assert pending["chargePowerCommand"]["old"] == 80
    assert pending["chargePowerCommand"]["due"] > time.time()
    second = sim_factory(state_path=state, apply_delay=0.6)
    data = min_settings(second)
    assert data["chargePowerCommand"] == 80  # the cloud has not seen it yet
    assert data["forcedStopSwitch5"] == 0
    # the device holds it already: a write that would overlap it is refused
    refused(tlx_set(second, "time_segment6", "2", "8", "30", "8", "45", "1"), 10008)
    time.sleep(0.65)
    data = min_settings(second)
    assert data["chargePowerCommand"] == 40
    assert (data["forcedTimeStart5"], data["forcedStopSwitch5"]) == ("8:0", 1)


def test_repeated_delayed_writes_show_the_oldest_value(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(apply_delay=0.4)
    ok(tlx_set(server, "charge_power", "40"))
    ok(tlx_set(server, "charge_power", "30"))
    assert min_settings(server)["chargePowerCommand"] == 80
    time.sleep(0.45)
    assert min_settings(server)["chargePowerCommand"] == 30


def test_state_file_is_replaced_atomically(sim_factory: Callable[..., Any], tmp_path: Path
                                           ) -> None:
    state = tmp_path / "s.json"
    server = sim_factory(state_path=state)
    threads = [threading.Thread(target=tlx_set, args=(server, "charge_power", str(n)))
               for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = json.loads(state.read_text(encoding="utf-8"))  # whole, parseable JSON
    device = next(d for p in stored["plants"] for d in p["devices"] if d["device_sn"] == MIN)
    assert device["settings"]["chargePowerCommand"] == server.raw_settings(MIN)[
        "chargePowerCommand"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".s.json")] == []


def test_hidden_params_persist_under_params(sim_factory: Callable[..., Any], tmp_path: Path
                                           ) -> None:
    state = tmp_path / "s.json"
    first = sim_factory(state_path=state)
    ok(mix_set(first, "mix_single_export", "1"))
    first.stop()
    stored = json.loads(state.read_text(encoding="utf-8"))
    device = next(d for p in stored["plants"] for d in p["devices"] if d["device_sn"] == SPH)
    assert device["params"] == {"mix_single_export": 1}
    second = sim_factory(state_path=state)
    read = api(second, "readMixParam", {"device_sn": SPH, "paramId": "mix_single_export"},
               method="POST")
    assert read["data"] == "1"


@pytest.mark.parametrize(("fixture", "message"), [
    ([], "a fixture is"),
    ({"plants": [{"name": "x", "devices": []}]}, "plant_id"),
    ({"plants": [{"plant_id": 1, "devices": [{"type": 7}]}]}, "device_sn"),
    ({"plants": [{"plant_id": 1, "devices": [{"device_sn": "AAA0000001", "type": 1}]}]},
     "type must be"),
    ({"plants": [{"plant_id": 1, "devices": [{"device_sn": "AAA0000001", "type": 7},
                                             {"device_sn": "AAA0000001", "type": 5}]}]},
     "twice"),
])
def test_bad_fixture_is_a_clear_error(tmp_path: Path, fixture: Any, message: str) -> None:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        start_server(SimOptions(fixture=path))


def test_custom_fixture(sim_factory: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps({"plants": [{"plant_id": 7, "name": "Tiny", "devices": [
        {"device_sn": "ABC1234567", "type": 7, "lost": False,
         "settings": {"chargePowerCommand": 5}}]}]}), encoding="utf-8")
    server = sim_factory(fixture=path)
    plants = api(server, "plant/list")["data"]
    assert plants["count"] == 1
    assert min_settings(server, "ABC1234567") == {"chargePowerCommand": 5}


# ---- embedded -------------------------------------------------------------------------
def test_start_embedded_seeds_the_state_dir(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWATT_SIM_FIXTURE", raising=False)
    server = start_embedded(tmp_path)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.read_interval == 0.0
        assert (tmp_path / STATE_FILE).exists()
        ok(tlx_set(server, "charge_power", "61"))
    finally:
        server.stop()
    again = start_embedded(tmp_path, rate_limit="request:0.3")
    try:
        assert again.read_interval == 0.3
        assert min_settings(again)["chargePowerCommand"] == 61
    finally:
        again.stop()
    with pytest.raises(TypeError):
        start_embedded(tmp_path, no_such_option=1)


def test_start_embedded_fixture_from_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = tmp_path / "f.json"
    fixture.write_text(json.dumps({"plants": [{"plant_id": 1, "devices": [
        {"device_sn": "XYZ0000001", "type": 5, "settings": {}}]}]}), encoding="utf-8")
    monkeypatch.setenv("GROWATT_SIM_FIXTURE", str(fixture))
    server = start_embedded(tmp_path / "state")
    try:
        assert api(server, "device/list", {"plant_id": "1"})["data"]["count"] == 1
    finally:
        server.stop()


# ---- a hanging request ----------------------------------------------------------------
def test_timeout_blocks_neither_others_nor_stop(tmp_path: Path) -> None:
    server = start_server(SimOptions(faults=("timeout@tlxSet",), timeout_seconds=30))
    failures: list[BaseException] = []

    def hang() -> None:
        try:
            tlx_set(server, "charge_power", "50")
        except requests.RequestException as exc:
            failures.append(exc)

    thread = threading.Thread(target=hang)
    thread.start()
    try:
        deadline = time.monotonic() + 2
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.requests[0]["fault"] == "timeout"
        started = time.monotonic()
        assert api(server, "plant/list", timeout=2)["error_code"] == 0
        assert time.monotonic() - started < 1
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        thread.join(5)
    assert not thread.is_alive()
    assert failures  # the hanging request ended without an answer


def test_fault_spec_shorthands(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("ratelimit@readMinParam*1", "badjson@tlx_last_data:1.0"))
    body = api(server, "readMinParam", {"device_sn": MIN, "paramId": "ac_charge"},
               method="POST")
    refused(body, 10012, "error_frequently_access")
    body = api(server, "readMinParam", {"device_sn": MIN, "paramId": "ac_charge"},
               method="POST")
    assert body["data"] == "1"
    response = call(server, "device/tlx/tlx_last_data", {"tlx_sn": MIN}, method="POST")
    with pytest.raises(ValueError):
        response.json()
    assert [r["fault"] for r in server.requests] == ["ratelimit", None, "badjson"]


def test_rate_limit_counts_read_parameter_as_a_read(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(rate_limit="request:0.3")
    fields = {"device_sn": MIN, "paramId": "ac_charge", "startAddr": "0", "endAddr": "0"}
    assert api(server, "readMinParam", fields, method="POST")["error_code"] == 0
    refused(api(server, "readMinParam", fields, method="POST"), 10012, "error_frequently_access")


# ---- sim serve ------------------------------------------------------------------------
def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.0.0.2") and is_loopback("::1")
    assert is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0")  # noqa: S104 - the point of the test
    assert not is_loopback("192.168.1.10") and not is_loopback("example.com")


def test_sim_serve_tokens_deny_and_sigint(tmp_path: Path) -> None:
    process = _serve("--token", "good", "--deny", "good=tlx_set_info", "--state",
                     str(tmp_path / "state.json"))
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("serving ")
        denied = {"data": "", "error_code": 10011, "error_msg": "error_permission_denied"}
        answer = requests.get(url + "plant/list", headers={"token": "bad"}, timeout=5)
        assert answer.json() == denied
        answer = requests.get(url + "plant/list", headers={"token": "good"}, timeout=5)
        assert answer.json()["error_code"] == 0
        answer = requests.get(url + "device/tlx/tlx_set_info", params={"device_sn": MIN},
                              headers={"token": "good"}, timeout=5)
        assert answer.json() == denied
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
