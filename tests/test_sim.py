"""The simulated cloud over raw HTTP: envelope, endpoints, validation, rate limit, faults,
persistence, request log and the `sim serve` command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sim.server import SimOptions, start_server

ROOT = Path(__file__).resolve().parent.parent
SPEC_DEVICES = ROOT / "reconciler" / "sim" / "fixtures" / "spec_devices.json"
MIN = "MIN1234567"
SPH = "SPH7654321"
PLANT = "1185"
ANY_TOKEN = "any-token"
TIMEOUT = 5


def call(server: Any, endpoint: str, fields: dict[str, str] | None = None, *,
         method: str = "GET", token: str | None = ANY_TOKEN,
         timeout: float = TIMEOUT) -> requests.Response:
    headers = {} if token is None else {"token": token}
    url = server.url + endpoint
    if method == "GET":
        return requests.get(url, params=fields or {}, headers=headers, timeout=timeout)
    return requests.post(url, data=fields or {}, headers=headers, timeout=timeout)


def api(server: Any, endpoint: str, fields: dict[str, str] | None = None, **kwargs: Any
        ) -> dict[str, Any]:
    response = call(server, endpoint, fields, **kwargs)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def tlx_set(server: Any, write_type: str, *params: str, serial: str = MIN,
            token: str = ANY_TOKEN) -> dict[str, Any]:
    form = {"tlx_sn": serial, "type": write_type}
    form.update({f"param{i}": "" for i in range(1, 20)})
    form.update({f"param{i}": value for i, value in enumerate(params, 1)})
    return api(server, "tlxSet", form, method="POST", token=token)


def mix_set(server: Any, write_type: str, *params: str, serial: str = SPH) -> dict[str, Any]:
    form = {"mix_sn": serial, "type": write_type}
    form.update({f"param{i}": "" for i in range(1, 19)})
    form.update({f"param{i}": value for i, value in enumerate(params, 1)})
    return api(server, "mixSet", form, method="POST")


def min_settings(server: Any, serial: str = MIN) -> dict[str, Any]:
    body = api(server, "device/tlx/tlx_set_info", {"device_sn": serial})
    assert body["error_code"] == 0, body
    data: dict[str, Any] = body["data"]
    return data


def sph_settings(server: Any, serial: str = SPH) -> dict[str, Any]:
    body = api(server, "device/mix/mix_data_info", {"device_sn": serial})
    assert body["error_code"] == 0, body
    data: dict[str, Any] = body["data"]
    return data


def logged(server: Any, count: int, timeout: float = 2.0) -> list[dict[str, Any]]:
    """The request log once it holds `count` entries (the simulator logs a request before
    it answers, see test_request_logged_before_the_answer; a timeout or reset has no
    answer to wait for)."""
    deadline = time.monotonic() + timeout
    while len(server.requests) < count and time.monotonic() < deadline:
        time.sleep(0.002)
    entries: list[dict[str, Any]] = server.requests
    return entries


def ok(body: dict[str, Any]) -> None:
    assert body == {"data": "", "error_code": 0, "error_msg": ""}, body


def refused(body: dict[str, Any], code: int, message: str | None = None) -> None:
    assert body["error_code"] == code, body
    assert body["data"] == ""
    if message is not None:
        assert body["error_msg"] == message


@pytest.fixture(scope="module")
def shared_server() -> Any:
    """One in-memory simulator for the many small tests (starting one costs ~0.1 s)."""
    server = start_server(SimOptions())
    original = {serial: server.raw_settings(serial) for serial in (MIN, SPH)}
    yield server, original
    server.stop()


@pytest.fixture
def shared(shared_server: tuple[Any, dict[str, dict[str, Any]]]) -> Any:
    """The module's simulator, with MIN1234567 and SPH7654321 settings as in the fixture."""
    server, original = shared_server
    for serial, settings in original.items():
        server.set_raw_settings(serial, settings)
    server.set_faults([])
    server.set_offline([])
    return server


# ---- envelope and endpoints -----------------------------------------------------------
TODAY = time.strftime("%Y-%m-%d")
ENDPOINTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "plant/list", {}),
    ("GET", "plant/details", {"plant_id": PLANT}),
    ("GET", "plant/data", {"plant_id": PLANT}),
    ("GET", "plant/energy", {"plant_id": PLANT, "start_date": TODAY, "end_date": TODAY,
                             "time_unit": "day"}),
    ("GET", "device/list", {"plant_id": PLANT}),
    ("GET", "device/tlx/tlx_set_info", {"device_sn": MIN}),
    ("GET", "device/tlx/tlx_data_info", {"device_sn": MIN}),
    ("POST", "device/tlx/tlx_last_data", {"tlx_sn": MIN}),
    ("POST", "device/tlx/tlx_data", {"tlx_sn": MIN, "start_date": TODAY, "end_date": TODAY}),
    ("GET", "device/mix/mix_data_info", {"device_sn": SPH}),
    ("POST", "device/mix/mix_last_data", {"mix_sn": SPH}),
    ("POST", "device/mix/mix_data", {"mix_sn": SPH, "start_date": TODAY, "end_date": TODAY}),
    ("POST", "tlxSet", {"tlx_sn": MIN, "type": "charge_power", "param1": "50",
                        **{f"param{i}": "" for i in range(2, 20)}}),
    ("POST", "mixSet", {"mix_sn": SPH, "type": "pv_active_p_rate", "param1": "90",
                        **{f"param{i}": "" for i in range(2, 19)}}),
    ("POST", "readMinParam", {"device_sn": MIN, "paramId": "charge_power", "startAddr": "0",
                              "endAddr": "0"}),
    ("POST", "readMixParam", {"device_sn": SPH, "paramId": "pv_active_p_rate",
                              "startAddr": "0", "endAddr": "0"}),
]


@pytest.mark.parametrize(("method", "endpoint", "fields"), ENDPOINTS,
                         ids=[e[1] for e in ENDPOINTS])
def test_every_endpoint_answers_with_the_envelope(shared: Any, method: str, endpoint: str,
                                                  fields: dict[str, str]) -> None:
    response = call(shared, endpoint, fields, method=method)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"data", "error_code", "error_msg"} <= set(body), body
    assert body["error_code"] == 0, body
    assert body["error_msg"] == ""
    assert body["data"] is not None


@pytest.mark.parametrize(("method", "endpoint", "fields"), ENDPOINTS,
                         ids=[e[1] for e in ENDPOINTS])
def test_every_endpoint_refuses_with_the_envelope(shared: Any, method: str, endpoint: str,
                                                  fields: dict[str, str]) -> None:
    body = api(shared, endpoint, fields, method=method, token=None)
    assert body == {"data": "", "error_code": 10011, "error_msg": "error_permission_denied"}


def test_unknown_endpoint_is_10001(shared: Any) -> None:
    refused(api(shared, "no/such/thing"), 10001, "error_interface_not_exist")


def test_v4_prefix_is_routed(shared: Any) -> None:
    url = shared.url.replace("/v1/", "/v4/") + "device/tlx/tlx_set_info"
    body = requests.get(url, params={"device_sn": MIN}, headers={"token": "t"},
                        timeout=TIMEOUT).json()
    assert body["error_code"] == 0
    assert body["device_sn"] == MIN


def test_tlx_set_info_matches_spec_7_1(sim: Any) -> None:
    spec = json.loads(SPEC_DEVICES.read_text(encoding="utf-8"))[MIN]
    body = api(sim, "device/tlx/tlx_set_info", {"device_sn": MIN})
    assert body["error_code"] == 0
    assert body["error_msg"] == ""
    assert body["device_sn"] == MIN
    assert body["dataloggerSn"] == "XGD1234567"
    data = dict(body["data"])
    system_time = data.pop("sysTime")
    assert time.strptime(system_time, "%Y-%m-%d %H:%M:%S")
    expected = dict(spec)
    expected.pop("sysTime")
    assert data == expected


def test_tlx_set_info_unknown_serial(shared: Any) -> None:
    refused(api(shared, "device/tlx/tlx_set_info", {"device_sn": "NOPE000000"}), 10001,
            "error_device_not_exist")
    # an SPH serial is not a MIN
    refused(api(shared, "device/tlx/tlx_set_info", {"device_sn": SPH}), 10001)


def test_mix_data_info_matches_spec_7_2(sim: Any) -> None:
    spec = json.loads(SPEC_DEVICES.read_text(encoding="utf-8"))[SPH]
    body = api(sim, "device/mix/mix_data_info", {"device_sn": SPH})
    assert body["device_sn"] == SPH
    assert body["dataloggerSn"] == "JPC1234567"
    data = dict(body["data"])
    expected = dict(spec)
    data.pop("sysTime", None)
    expected.pop("sysTime", None)
    assert data == expected


def test_plant_and_device_lists(shared: Any) -> None:
    plants = api(shared, "plant/list")["data"]
    assert plants["count"] == 2
    assert [str(p["plant_id"]) for p in plants["plants"]] == ["1185", "2210"]
    devices = api(shared, "device/list", {"plant_id": PLANT})["data"]
    assert devices["count"] == 2
    by_serial = {d["device_sn"]: d for d in devices["devices"]}
    assert by_serial[MIN]["type"] == 7
    assert by_serial[SPH]["type"] == 5
    assert by_serial[MIN]["lost"] is False
    refused(api(shared, "device/list", {}), 10002)
    refused(api(shared, "device/list", {"plant_id": "999"}), 10003)
    refused(api(shared, "plant/list", {"perpage": "101"}), 10013)


# ---- MIN writes -----------------------------------------------------------------------
def test_time_segment_reads_back_unpadded(shared: Any) -> None:
    ok(tlx_set(shared, "time_segment5", "2", "06", "05", "7", "0", "1"))
    data = min_settings(shared)
    assert data["time5Mode"] == 2
    assert data["forcedTimeStart5"] == "6:5"
    assert data["forcedTimeStop5"] == "7:0"
    assert data["forcedStopSwitch5"] == 1
    ok(tlx_set(shared, "time_segment5", "0", "0", "0", "0", "0", "0"))
    data = min_settings(shared)
    assert (data["forcedTimeStart5"], data["forcedTimeStop5"]) == ("0:0", "0:0")
    assert data["forcedStopSwitch5"] == 0


MIN_NAMED = [
    ("ac_charge", "0", "acChargeEnable", 0),
    ("charge_power", "55", "chargePowerCommand", 55),
    ("charge_stop_soc", "90", "wchargeSOCLowLimit", 90),
    ("discharge_power", "45", "disChargePowerCommand", 45),
    ("discharge_stop_soc", "15", "wdisChargeSOCLowLimit", 15),
    ("on_grid_discharge_stop_soc", "25", "onGridDischargeStopSOC", 25),
    ("backflow_setting", "2", "exportLimit", 2),
    ("pv_active_p_rate", "70", "activeRate", 70),
    ("pv_reactive_p_rate", "20", "reactiveRate", 20),
    ("pv_power_factor", "0.9", "pf", 0.9),
    ("tlx_on_off", "0000", "onOff", 0),
    ("pv_grid_voltage_high", "260", "voltageHighLimit", 260.0),
    ("pv_grid_voltage_low", "180", "voltageLowLimit", 180.0),
]


@pytest.mark.parametrize(("write_type", "value", "key", "expected"), MIN_NAMED,
                         ids=[row[0] for row in MIN_NAMED])
def test_min_named_write_updates_its_read_key(shared: Any, write_type: str, value: str,
                                              key: str, expected: Any) -> None:
    before = min_settings(shared)
    assert before.get(key) != expected
    ok(tlx_set(shared, write_type, value))
    after = min_settings(shared)
    assert after[key] == expected
    changed = {k for k in after if k != "sysTime" and after[k] != before.get(k)}
    assert changed == {key}
    read = api(shared, "readMinParam", {"device_sn": MIN, "paramId": write_type,
                                     "startAddr": "0", "endAddr": "0"}, method="POST")
    assert read["error_code"] == 0
    assert read["data"] == str(expected)


def test_backflow_setting_with_rate(shared: Any) -> None:
    ok(tlx_set(shared, "backflow_setting", "1", "40"))
    data = min_settings(shared)
    assert data["exportLimit"] == 1
    assert data["exportLimitPowerRate"] == 40.0


@pytest.mark.parametrize(("write_type", "value"), [
    ("tlx_off_grid_enable", "1"), ("tlx_ac_discharge_frequency", "1"),
    ("tlx_ac_discharge_voltage", "2"), ("pf_sys_year", "2026-03-14 21:00:00")])
def test_min_hidden_write_readable_by_read_parameter_only(shared: Any, write_type: str,
                                                         value: str) -> None:
    before = min_settings(shared)
    ok(tlx_set(shared, write_type, value))
    after = min_settings(shared)
    before.pop("sysTime")
    after.pop("sysTime")
    assert after == before
    read = api(shared, "readMinParam", {"device_sn": MIN, "paramId": write_type,
                                     "startAddr": "0", "endAddr": "0"}, method="POST")
    assert read["data"] == value


def test_set_any_reg_and_register_read(shared: Any) -> None:
    ok(tlx_set(shared, "set_any_reg", "3047", "17"))
    read = api(shared, "readMinParam", {"device_sn": MIN, "paramId": "set_any_reg",
                                     "startAddr": "3047", "endAddr": "3047"}, method="POST")
    assert read == {"data": "17", "error_code": 0, "error_msg": ""}
    refused(tlx_set(shared, "set_any_reg", "3047", "17", "1"), 10008)


def test_read_parameter_unknown_type(shared: Any) -> None:
    body = api(shared, "readMinParam", {"device_sn": MIN, "paramId": "bogus"}, method="POST")
    refused(body, 10009, "error_read_param_type_not_exist")
    body = api(shared, "readMinParam", {"device_sn": "NOPE", "paramId": "ac_charge"},
               method="POST")
    refused(body, 10002)


# ---- SPH writes -----------------------------------------------------------------------
def test_mix_ac_charge_time_period_sets_the_schedule(shared: Any) -> None:
    ok(mix_set(shared, "mix_ac_charge_time_period", "60", "85", "0",
               "2", "0", "4", "30", "1",
               "10", "5", "11", "0", "1",
               "0", "0", "0", "0", "0"))
    data = sph_settings(shared)
    assert data["chargePowerCommand"] == 60
    assert data["wchargeSOCLowLimit2"] == 85
    assert data["acChargeEnable"] == 0
    assert [(data[f"forcedChargeTimeStart{i}"], data[f"forcedChargeTimeStop{i}"],
             data[f"forcedChargeStopSwitch{i}"]) for i in (1, 2, 3)] == [
        ("2:0", "4:30", 1), ("10:5", "11:0", 1), ("0:0", "0:0", 0)]
    # the discharge schedule is untouched
    assert data["forcedDischargeTimeStart1"] == "17:0"
    assert data["disChargePowerCommand"] == 100


def test_mix_ac_discharge_time_period_sets_the_schedule(shared: Any) -> None:
    ok(mix_set(shared, "mix_ac_discharge_time_period", "70", "30",
               "18", "0", "20", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"))
    data = sph_settings(shared)
    assert data["disChargePowerCommand"] == 70
    assert data["wdisChargeSOCLowLimit2"] == 30
    assert (data["forcedDischargeTimeStart1"], data["forcedDischargeTimeStop1"]) == (
        "18:0", "20:0")


def test_sph_charge_overlapping_discharge_refused(sim_factory: Callable[..., Any]) -> None:
    params = ["100", "90", "1", "16", "0", "18", "0", "1", *["0"] * 10]
    server = sim_factory()
    body = mix_set(server, "mix_ac_charge_time_period", *params)
    refused(body, 10008, "error_charge_discharge_overlap")
    loose = sim_factory(overlap_check=False)
    ok(mix_set(loose, "mix_ac_charge_time_period", *params))


def test_sph_named_write(shared: Any) -> None:
    ok(mix_set(shared, "mix_load_flast_value_multi", "12"))
    assert sph_settings(shared)["wdisChargeSOCLowLimit1"] == 12
    read = api(shared, "readMixParam", {"device_sn": SPH, "paramId": "mix_load_flast_value_multi"},
               method="POST")
    assert read["data"] == "12"


# ---- write errors ---------------------------------------------------------------------
def test_unknown_type_is_10006(shared: Any) -> None:
    refused(tlx_set(shared, "no_such_type", "1"), 10006, "error_param_type_not_exist")
    refused(tlx_set(shared, "time_segment10", "1", "1", "0", "2", "0", "1"), 10006)
    refused(mix_set(shared, "no_such_type", "1"), 10006)


def test_empty_type_is_10006_and_empty_param_is_10007(shared: Any) -> None:
    refused(tlx_set(shared, "", "1"), 10006)
    refused(tlx_set(shared, "charge_power", ""), 10007, "error_param1_empty")
    refused(tlx_set(shared, "time_segment2", "1", "0", "0", "5", "", "1"), 10007,
            "error_param5_empty")


@pytest.mark.parametrize("params", [
    ("charge_power", "101"), ("charge_power", "-1"), ("charge_power", "5.5"),
    ("charge_power", "abc"), ("ac_charge", "2"), ("tlx_on_off", "1"),
    ("pv_power_factor", "0.5"), ("backflow_setting", "3"),
    ("time_segment4", "3", "1", "0", "2", "0", "1"),
    ("time_segment4", "1", "1", "0", "2", "0", "2")])
def test_out_of_range_is_10008(shared: Any, params: tuple[str, ...]) -> None:
    before = min_settings(shared)
    refused(tlx_set(shared, *params), 10008)
    after = min_settings(shared)
    before.pop("sysTime")
    after.pop("sysTime")
    assert after == before


def test_bad_time_is_10009(shared: Any) -> None:
    refused(tlx_set(shared, "time_segment4", "1", "24", "0", "23", "0", "0"), 10009)
    refused(tlx_set(shared, "time_segment4", "1", "1", "60", "2", "0", "0"), 10009)


def test_end_before_start_is_10013(shared: Any) -> None:
    refused(tlx_set(shared, "time_segment4", "1", "22", "0", "6", "0", "0"), 10013,
            "error_end_time_before_start_time")
    refused(mix_set(shared, "mix_ac_charge_time_period", "100", "90", "1",
                    "5", "0", "4", "0", "1", *["0"] * 10), 10013)


def test_unknown_serial_on_write_is_10012(shared: Any) -> None:
    refused(tlx_set(shared, "charge_power", "50", serial="MIN9999999"), 10012,
            "error_device_not_exist")
    refused(tlx_set(shared, "charge_power", "50", serial=SPH), 10012, "error_device_not_exist")
    refused(mix_set(shared, "pv_on_off", "0001", serial=MIN), 10012, "error_device_not_exist")
    refused(tlx_set(shared, "charge_power", "50", serial=""), 10004)


def test_overlapping_segment_refused(shared: Any) -> None:
    # segment 1 is 23:30-23:59 enabled in the fixture
    body = tlx_set(shared, "time_segment4", "1", "23", "0", "23", "45", "1")
    refused(body, 10008, "error_time_overlap")
    assert min_settings(shared)["forcedStopSwitch4"] == 0
    # disabled overlapping segment is fine; rewriting a segment over itself too
    ok(tlx_set(shared, "time_segment4", "1", "23", "0", "23", "45", "0"))
    ok(tlx_set(shared, "time_segment1", "1", "23", "0", "23", "59", "1"))


def test_touching_segments_overlap(shared: Any) -> None:
    # segment 3 is 17:00-19:59: a segment starting at 19:59 shares a minute
    refused(tlx_set(shared, "time_segment4", "0", "19", "59", "20", "30", "1"), 10008)
    ok(tlx_set(shared, "time_segment4", "0", "20", "0", "20", "30", "1"))


def test_overlap_check_off(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(overlap_check=False)
    ok(tlx_set(server, "time_segment4", "1", "23", "0", "23", "45", "1"))
    data = min_settings(server)
    assert (data["forcedTimeStart4"], data["forcedStopSwitch4"]) == ("23:0", 1)


def test_overlap_error_code_honoured(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(overlap_error_code=10013)
    refused(tlx_set(server, "time_segment4", "1", "23", "0", "23", "45", "1"), 10013,
            "error_time_overlap")


# ---- token ----------------------------------------------------------------------------
def test_wrong_token_is_10011(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(tokens=("good",))
    denied = {"data": "", "error_code": 10011, "error_msg": "error_permission_denied"}
    assert api(server, "plant/list", token="bad") == denied
    assert api(server, "plant/list", token=None) == denied
    assert tlx_set(server, "charge_power", "50", token="bad") == denied
    assert api(server, "plant/list", token="good")["error_code"] == 0


def test_wrong_token_write_changes_nothing(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(tokens=("good",))
    tlx_set(server, "charge_power", "50", token="bad")
    body = api(server, "device/tlx/tlx_set_info", {"device_sn": MIN}, token="good")
    assert body["data"]["chargePowerCommand"] == 80


def test_denied_endpoint_per_token(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(denied={"t1": ("tlxSet",)})
    refused(tlx_set(server, "charge_power", "50", token="t1"), 10011)
    ok(tlx_set(server, "charge_power", "50", token="t2"))


# ---- rate limit -----------------------------------------------------------------------
def test_rate_limit_per_request(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(rate_limit="request:0.3")
    assert server.read_interval == 0.3
    fields = {"device_sn": MIN}
    assert api(server, "device/tlx/tlx_set_info", fields)["error_code"] == 0
    assert api(server, "device/tlx/tlx_set_info", fields) == {
        "data": "", "error_code": 10012, "error_msg": "error_frequently_access"}
    # different params, different endpoint, different token: fine
    assert api(server, "device/tlx/tlx_set_info", {"device_sn": "MIN0000001"}
               )["error_code"] == 0
    assert api(server, "device/tlx/tlx_data_info", fields)["error_code"] == 0
    assert api(server, "device/tlx/tlx_set_info", fields, token="other")["error_code"] == 0
    # writes are not limited by default
    ok(tlx_set(server, "charge_power", "50"))
    ok(tlx_set(server, "charge_power", "50"))
    time.sleep(0.35)
    assert api(server, "device/tlx/tlx_set_info", fields)["error_code"] == 0


def test_rate_limit_refusal_does_not_extend_the_window(
        sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(rate_limit="request:0.3")
    fields = {"device_sn": MIN}
    api(server, "device/tlx/tlx_set_info", fields)
    time.sleep(0.2)
    assert api(server, "device/tlx/tlx_set_info", fields)["error_code"] == 10012
    time.sleep(0.15)
    assert api(server, "device/tlx/tlx_set_info", fields)["error_code"] == 0


def test_rate_limit_per_endpoint(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(rate_limit="endpoint:0.3")
    assert api(server, "device/tlx/tlx_set_info", {"device_sn": MIN})["error_code"] == 0
    body = api(server, "device/tlx/tlx_set_info", {"device_sn": "MIN0000001"})
    refused(body, 10012, "error_frequently_access")
    assert api(server, "device/tlx/tlx_data_info", {"device_sn": MIN})["error_code"] == 0
    time.sleep(0.35)
    assert api(server, "device/tlx/tlx_set_info", {"device_sn": "MIN0000001"}
               )["error_code"] == 0


def test_rate_limit_writes(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(rate_limit="request:0.3", rate_limit_writes=True)
    ok(tlx_set(server, "charge_power", "50"))
    refused(tlx_set(server, "charge_power", "50"), 10012, "error_frequently_access")
    ok(tlx_set(server, "charge_power", "51"))


def test_bad_rate_limit_spec() -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        start_server(SimOptions(rate_limit="sometimes"))


# ---- apply delay and offline ----------------------------------------------------------
def test_apply_delay(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(apply_delay=0.5)
    ok(tlx_set(server, "charge_power", "40"))
    assert min_settings(server)["chargePowerCommand"] == 80
    read = api(server, "readMinParam", {"device_sn": MIN, "paramId": "charge_power"},
               method="POST")
    assert read["data"] == "80"
    time.sleep(0.55)
    assert min_settings(server)["chargePowerCommand"] == 40


def test_offline_inverter(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(offline=(MIN,))
    refused(tlx_set(server, "charge_power", "50"), 10003, "error_device_offline")
    devices = api(server, "device/list", {"plant_id": PLANT})["data"]["devices"]
    lost = {d["device_sn"]: d["lost"] for d in devices}
    assert lost == {MIN: True, SPH: False}
    body = api(server, "readMinParam", {"device_sn": MIN, "paramId": "charge_power"},
               method="POST")
    refused(body, 10003)
    # reads of settings still answer, marked lost where the detail shows it
    assert min_settings(server)["chargePowerCommand"] == 80
    assert api(server, "device/tlx/tlx_data_info", {"device_sn": MIN})["data"]["lost"] is True
    server.set_offline([])
    ok(tlx_set(server, "charge_power", "50"))


def test_offline_datalogger_code(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(offline=(MIN,), offline_code=10005)
    refused(tlx_set(server, "charge_power", "50"), 10005, "error_datalogger_offline")


def test_set_offline_at_runtime(sim: Any) -> None:
    sim.set_offline([SPH])
    refused(mix_set(sim, "pv_on_off", "0001"), 10003)
    assert sph_settings(sim)["lost"] is True


# ---- faults ---------------------------------------------------------------------------
def test_fault_http500(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("http500",))
    response = call(server, "plant/list")
    assert response.status_code == 500
    (entry,) = logged(server, 1)
    assert entry["http_status"] == 500
    assert entry["fault"] == "http500"
    assert entry["error_code"] is None


def test_fault_html(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("html",))
    response = call(server, "plant/list")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text.lower()
    with pytest.raises(ValueError):
        response.json()


def test_fault_badjson(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("badjson",))
    response = call(server, "device/tlx/tlx_set_info", {"device_sn": MIN})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_timeout(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("timeout",), timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(requests.RequestException):
        call(server, "plant/list", timeout=2)
    assert 0.4 <= time.monotonic() - started < 2.5
    (entry,) = logged(server, 1)
    assert entry["fault"] == "timeout"
    assert entry["http_status"] is None


def test_fault_timeout_client_gives_up_first(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("timeout",), timeout_seconds=1.0)
    with pytest.raises(requests.Timeout):
        call(server, "plant/list", timeout=0.3)


def test_fault_reset(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("reset",))
    with pytest.raises(requests.ConnectionError):
        call(server, "plant/list")
    assert logged(server, 1)[-1]["fault"] == "reset"


def test_fault_ratelimit(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("ratelimit",))
    refused(api(server, "plant/list"), 10012, "error_frequently_access")
    refused(tlx_set(server, "charge_power", "50"), 10012, "error_frequently_access")
    server.set_faults([])
    assert min_settings(server)["chargePowerCommand"] == 80


def test_fault_ignore_write(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("ignore-write",))
    ok(tlx_set(server, "charge_power", "50"))
    assert min_settings(server)["chargePowerCommand"] == 80
    # an ignored write is still validated
    refused(tlx_set(server, "charge_power", "500"), 10008)
    assert logged(server, 4)[-1]["fault"] == "ignore-write"


def test_fault_count_limited_on_one_endpoint(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("http500@device/tlx/tlx_set_info*2",))
    assert call(server, "plant/list").status_code == 200
    statuses = [call(server, "device/tlx/tlx_set_info", {"device_sn": MIN}).status_code
                for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert call(server, "plant/list").status_code == 200


def test_fault_endpoint_by_last_segment(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(faults=("html@tlx_set_info*1",))
    response = call(server, "device/tlx/tlx_set_info", {"device_sn": MIN})
    assert response.headers["Content-Type"].startswith("text/html")
    assert api(server, "device/tlx/tlx_set_info", {"device_sn": MIN})["error_code"] == 0


def test_set_faults_at_runtime(sim: Any) -> None:
    sim.set_faults(["http500*1"])
    assert call(sim, "plant/list").status_code == 500
    assert call(sim, "plant/list").status_code == 200
    with pytest.raises(ValueError, match="not a fault"):
        sim.set_faults(["explode"])


@pytest.mark.parametrize("spec", ["explode", "http500:1.5", "http500*x", "http500@"])
def test_bad_fault_spec(spec: str) -> None:
    with pytest.raises(ValueError):
        start_server(SimOptions(faults=(spec,)))


def test_fault_probability_is_deterministic_with_a_seed(
        sim_factory: Callable[..., Any]) -> None:
    def statuses(server: Any) -> list[int]:
        return [call(server, "plant/list").status_code for _ in range(30)]

    first = statuses(sim_factory(faults=("http500:0.5",), seed=7))
    second = statuses(sim_factory(faults=("http500:0.5",), seed=7))
    assert first == second
    assert set(first) == {200, 500}
    other = statuses(sim_factory(faults=("http500:0.5",), seed=8))
    assert other != first


# ---- persistence and request log ------------------------------------------------------
def test_state_persists_across_servers(sim_factory: Callable[..., Any], tmp_path: Path
                                       ) -> None:
    state = tmp_path / "shared-state.json"
    first = sim_factory(state_path=state)
    ok(tlx_set(first, "charge_power", "33"))
    ok(tlx_set(first, "time_segment6", "1", "8", "0", "9", "15", "1"))
    ok(tlx_set(first, "set_any_reg", "3047", "9"))
    first.stop()
    assert json.loads(state.read_text(encoding="utf-8"))["plants"]
    second = sim_factory(state_path=state)
    data = min_settings(second)
    assert data["chargePowerCommand"] == 33
    assert (data["forcedTimeStart6"], data["forcedTimeStop6"]) == ("8:0", "9:15")
    read = api(second, "readMinParam", {"device_sn": MIN, "paramId": "set_any_reg",
                                        "startAddr": "3047"}, method="POST")
    assert read["data"] == "9"


def test_state_file_usable_as_fixture(sim_factory: Callable[..., Any], tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = sim_factory(state_path=state)
    ok(tlx_set(first, "charge_power", "33"))
    second = sim_factory(fixture=state, state_path=None)
    assert min_settings(second)["chargePowerCommand"] == 33


def test_raw_settings_knobs(sim: Any) -> None:
    raw = sim.raw_settings(MIN)
    assert raw["chargePowerCommand"] == 80
    raw["chargePowerCommand"] = 12
    sim.set_raw_settings(MIN, raw)
    assert min_settings(sim)["chargePowerCommand"] == 12


def test_request_log(sim_factory: Callable[..., Any], tmp_path: Path, token: str) -> None:
    log = tmp_path / "requests.jsonl"
    server = sim_factory(request_log=log)
    api(server, "device/tlx/tlx_set_info", {"device_sn": MIN}, token=token)
    tlx_set(server, "charge_power", "999", token=token)
    logged(server, 2)
    text = log.read_text(encoding="utf-8")
    assert token not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert len(entries) == 2
    read, write = entries
    for entry in entries:
        assert {"method", "path", "endpoint", "fields", "error_code"} <= set(entry)
    assert read["method"] == "GET"
    assert read["path"] == "/v1/device/tlx/tlx_set_info"
    assert read["endpoint"] == "device/tlx/tlx_set_info"
    assert read["fields"] == {"device_sn": MIN}
    assert read["error_code"] == 0
    assert write["method"] == "POST"
    assert write["endpoint"] == "tlxSet"
    assert write["fields"]["type"] == "charge_power"
    assert write["fields"]["param1"] == "999"
    assert write["error_code"] == 10008
    assert server.requests == entries
    assert token not in json.dumps(server.requests)


def test_request_log_redacts_nothing_but_never_has_headers(
        sim_factory: Callable[..., Any], tmp_path: Path, token: str) -> None:
    log = tmp_path / "r.jsonl"
    server = sim_factory(request_log=log, faults=("http500*1",))
    call(server, "plant/list", token=token)
    call(server, "plant/list", token=token)
    logged(server, 2)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["http_status"] for e in entries] == [500, 200]
    assert entries[0]["error_code"] is None
    assert token not in log.read_text(encoding="utf-8")


def test_sph_emit_unsuffixed(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(sph_emit_unsuffixed=True)
    ok(mix_set(server, "mix_ac_charge_time_period", "100", "80", "1",
               "1", "0", "5", "0", "1", *["0"] * 10))
    ok(mix_set(server, "mix_ac_discharge_time_period", "100", "25",
               "17", "0", "21", "0", "1", *["0"] * 10))
    data = sph_settings(server)
    assert (data["wchargeSOCLowLimit"], data["wchargeSOCLowLimit2"]) == (80, 80)
    assert (data["wdisChargeSOCLowLimit"], data["wdisChargeSOCLowLimit2"]) == (25, 25)


def test_latency(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(latency_ms=150)
    started = time.monotonic()
    assert api(server, "plant/list")["error_code"] == 0
    assert time.monotonic() - started >= 0.14


def test_request_logged_before_the_answer(sim: Any) -> None:
    original = sim.cloud.log

    def slow_log(entry: dict[str, Any]) -> None:  # widen the window the race needs
        time.sleep(0.3)
        original(entry)

    sim.cloud.log = slow_log
    api(sim, "plant/list")
    assert len(sim.requests) == 1


# ---- sim serve ------------------------------------------------------------------------
def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sim", "serve", *args], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sim_serve_command(tmp_path: Path, token: str) -> None:
    log = tmp_path / "serve.jsonl"
    process = _serve("--port", "0", "--request-log", str(log), "--state",
                     str(tmp_path / "state.json"))
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("serving http://127.0.0.1:")
        url = line.removeprefix("serving ")
        assert url.endswith("/v1/")
        port = int(url.removeprefix("http://127.0.0.1:").removesuffix("/v1/"))
        assert port > 0
        response = requests.get(url + "device/tlx/tlx_set_info", params={"device_sn": MIN},
                                headers={"token": token}, timeout=TIMEOUT)
        assert response.json()["device_sn"] == MIN
        deadline = time.monotonic() + 2
        while not log.exists() or not log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert token not in out + err
    assert token not in log.read_text(encoding="utf-8")


def test_sim_serve_refuses_remote_host() -> None:
    process = _serve("--host", "0.0.0.0", "--port", "0")  # noqa: S104 - must be refused
    out, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "--allow-remote" in err
    assert "serving" not in out


def test_sim_serve_rejects_bad_fault() -> None:
    process = _serve("--port", "0", "--fault", "explode")
    _, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "not a fault" in err
