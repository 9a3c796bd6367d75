"""`OpenApiV1` against the simulator: every method, the exact wire fields, typed errors,
retries, the client-side rate limiter, stats, and that the token never leaks."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest

from reconciler.growatt import (
    BadResponseError,
    ConnectionFailedError,
    DeviceNotFoundError,
    DeviceOfflineError,
    GrowattApiV1,
    GrowattError,
    HttpStatusError,
    InvalidValueError,
    OpenApiV1,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)

MIN = "MIN1234567"
SPH = "SPH7654321"
PLANT = 1185
MIN_PARAMS = [f"param{i}" for i in range(1, 20)]
SPH_PARAMS = [f"param{i}" for i in range(1, 19)]


@pytest.fixture
def make_client(token: str) -> Iterator[Callable[..., OpenApiV1]]:
    clients: list[OpenApiV1] = []

    def make(server: Any, **kwargs: Any) -> OpenApiV1:
        kwargs.setdefault("read_interval", 0)
        kwargs.setdefault("backoff_base", 0.001)
        kwargs.setdefault("token", token)
        client = OpenApiV1(server=server.url, **kwargs)
        clients.append(client)
        if not hasattr(server, "test_clients"):
            server.test_clients = []
        server.test_clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(sim: Any, make_client: Callable[..., OpenApiV1]) -> OpenApiV1:
    return make_client(sim)


def logged(server: Any, count: int, timeout: float = 2.0) -> list[dict[str, Any]]:
    """The simulator's request log once it holds `count` entries (the simulator appends an
    entry only after it has sent the answer, so the log may lag the client by a moment)."""
    deadline = time.monotonic() + timeout
    while len(server.requests) < count and time.monotonic() < deadline:
        time.sleep(0.002)
    requests: list[dict[str, Any]] = server.requests
    return requests


def settled(server: Any) -> list[dict[str, Any]]:
    """The request log, once it holds every request the test's clients have sent."""
    sent = sum(sum(client.stats["by_endpoint"].values())
               for client in getattr(server, "test_clients", []))
    return logged(server, sent)


def last(sim: Any) -> dict[str, Any]:
    return settled(sim)[-1]


def tlx_fields(write_type: str, *params: str, serial: str = MIN) -> dict[str, str]:
    padded = [*params, *[""] * (19 - len(params))]
    return {"tlx_sn": serial, "type": write_type,
            **{name: value for name, value in zip(MIN_PARAMS, padded, strict=True)}}


def mix_fields(write_type: str, *params: str, serial: str = SPH) -> dict[str, str]:
    padded = [*params, *[""] * (18 - len(params))]
    return {"mix_sn": serial, "type": write_type,
            **{name: value for name, value in zip(SPH_PARAMS, padded, strict=True)}}


# ---- plants and devices ---------------------------------------------------------------
def test_plant_and_device_methods(client: OpenApiV1, sim: Any) -> None:
    plants = client.plant_list()
    assert plants["count"] == 2
    assert last(sim)["method"] == "GET"
    assert last(sim)["endpoint"] == "plant/list"
    assert client.plant_list_v1() == plants

    details = client.plant_details(PLANT)
    assert isinstance(details, dict)
    assert last(sim)["endpoint"] == "plant/details"
    assert last(sim)["fields"] == {"plant_id": "1185"}

    overview = client.plant_energy_overview(PLANT)
    assert "today_energy" in overview
    assert last(sim)["endpoint"] == "plant/data"

    history = client.plant_energy_history(PLANT, start_date=date(2026, 3, 1))
    assert history["plant_id"] == PLANT
    fields = last(sim)["fields"]
    assert last(sim)["endpoint"] == "plant/energy"
    assert (fields["start_date"], fields["end_date"], fields["time_unit"]) == (
        "2026-03-01", "2026-03-01", "day")

    devices = client.device_list(PLANT)
    assert {d["device_sn"] for d in devices["devices"]} == {MIN, SPH}
    assert last(sim)["endpoint"] == "device/list"
    assert all(entry["error_code"] == 0 for entry in settled(sim))


def test_plant_list_v1_is_plant_list() -> None:
    assert OpenApiV1.plant_list_v1 is OpenApiV1.plant_list
    assert GrowattApiV1 is OpenApiV1


# ---- MIN ------------------------------------------------------------------------------
def test_min_reads(client: OpenApiV1, sim: Any) -> None:
    detail = client.min_detail(MIN)
    assert detail["serialNum"] == MIN
    assert "tlxSetbean" in detail
    assert (last(sim)["method"], last(sim)["endpoint"]) == ("GET", "device/tlx/tlx_data_info")

    energy = client.min_energy(MIN)
    assert isinstance(energy, dict)
    assert (last(sim)["method"], last(sim)["endpoint"]) == ("POST",
                                                            "device/tlx/tlx_last_data")
    assert last(sim)["fields"] == {"tlx_sn": MIN}

    history = client.min_energy_history(MIN, start_date=date(2026, 3, 14), limit=5)
    assert history is not None
    assert last(sim)["endpoint"] == "device/tlx/tlx_data"
    assert last(sim)["fields"]["start_date"] == "2026-03-14"
    assert last(sim)["fields"]["perpage"] == "5"

    settings = client.min_settings(MIN)
    assert settings["chargePowerCommand"] == 80
    assert settings["forcedTimeStart1"] == "23:30"
    assert (last(sim)["method"], last(sim)["endpoint"]) == ("GET", "device/tlx/tlx_set_info")
    assert last(sim)["fields"] == {"device_sn": MIN}


def test_min_read_parameter(client: OpenApiV1, sim: Any) -> None:
    assert client.min_read_parameter(MIN, "charge_power") == "80"
    assert last(sim)["method"] == "POST"
    assert last(sim)["endpoint"] == "readMinParam"
    assert last(sim)["fields"] == {"device_sn": MIN, "paramId": "charge_power",
                                   "startAddr": "0", "endAddr": "0"}
    client.min_write_parameter(MIN, "set_any_reg", [3047, 5])
    assert client.min_read_parameter(MIN, start_address=3047) == "5"
    assert last(sim)["fields"] == {"device_sn": MIN, "paramId": "set_any_reg",
                                   "startAddr": "3047", "endAddr": "3047"}
    client.min_read_parameter(MIN, start_address=3047, end_address=3048)
    assert last(sim)["fields"]["endAddr"] == "3048"


def test_min_read_parameter_needs_exactly_one_of_name_and_address(client: OpenApiV1,
                                                                  sim: Any) -> None:
    with pytest.raises(InvalidValueError):
        client.min_read_parameter(MIN)
    with pytest.raises(InvalidValueError):
        client.min_read_parameter(MIN, "charge_power", start_address=1)
    assert settled(sim) == []


def test_min_write_parameter_fields(client: OpenApiV1, sim: Any) -> None:
    assert client.min_write_parameter(MIN, "charge_power", 55) == ""
    assert last(sim)["method"] == "POST"
    assert last(sim)["endpoint"] == "tlxSet"
    assert last(sim)["fields"] == tlx_fields("charge_power", "55")
    assert list(last(sim)["fields"]) == ["tlx_sn", "type", *MIN_PARAMS]
    assert client.min_settings(MIN)["chargePowerCommand"] == 55

    client.min_write_parameter(MIN, "backflow_setting", ["1", 40])
    assert last(sim)["fields"] == tlx_fields("backflow_setting", "1", "40")
    client.min_write_parameter(MIN, "backflow_setting", {2: 30, 1: 0})
    assert last(sim)["fields"] == tlx_fields("backflow_setting", "0", "30")
    client.min_write_parameter(MIN, "tlx_on_off", "0001")
    assert last(sim)["fields"] == tlx_fields("tlx_on_off", "0001")
    assert all(entry["error_code"] == 0 for entry in settled(sim))


def test_min_write_time_segment_fields(client: OpenApiV1, sim: Any) -> None:
    client.min_write_time_segment(MIN, 5, 2, "07:05", clock(8, 0))
    assert last(sim)["fields"] == tlx_fields("time_segment5", "2", "7", "5", "8", "0", "1")
    assert last(sim)["error_code"] == 0
    client.min_write_time_segment(MIN, 5, 0, clock(0, 0), "0:0", enabled=False)
    assert last(sim)["fields"] == tlx_fields("time_segment5", "0", "0", "0", "0", "0", "0")
    client.min_write_time_segment(MIN, 1, 1, "23:30", "23:59")
    assert last(sim)["fields"] == tlx_fields("time_segment1", "1", "23", "30", "23", "59",
                                             "1")
    raw = sim.raw_settings(MIN)
    assert (raw["forcedTimeStart5"], raw["forcedTimeStop5"]) == ("0:0", "0:0")


@pytest.mark.parametrize(("segment", "mode"), [(0, 1), (10, 1), (1, 3), (1, -1)])
def test_min_write_time_segment_checks_before_sending(client: OpenApiV1, sim: Any,
                                                      segment: int, mode: int) -> None:
    with pytest.raises(InvalidValueError):
        client.min_write_time_segment(MIN, segment, mode, "01:00", "02:00")
    assert settled(sim) == []


def test_min_write_time_segment_bad_time_string_is_invalid_value(client: OpenApiV1,
                                                                 sim: Any) -> None:
    with pytest.raises(InvalidValueError):
        client.min_write_time_segment(MIN, 4, 1, "25:00", "26:00")
    assert settled(sim) == []


def test_min_read_time_segments(client: OpenApiV1, sim: Any) -> None:
    segments = client.min_read_time_segments(MIN)
    assert len(settled(sim)) == 1
    assert last(sim)["endpoint"] == "device/tlx/tlx_set_info"
    assert [s["segment_id"] for s in segments] == list(range(1, 10))
    assert segments[0] == {"segment_id": 1, "batt_mode": 1, "mode_name": "Battery First",
                           "start_time": "23:30", "end_time": "23:59", "enabled": True}
    assert segments[1]["start_time"] == "00:00"
    assert segments[1]["end_time"] == "05:30"
    assert segments[2]["mode_name"] == "Grid First"
    assert segments[2]["start_time"] == "17:00"
    assert segments[3]["enabled"] is False
    assert segments[3]["mode_name"] == "Load First"
    # segment 9 holds the API's "null" strings: no mode, as the community client says
    assert segments[8] == {"segment_id": 9, "batt_mode": None, "mode_name": "Unknown",
                           "start_time": "00:00", "end_time": "00:00", "enabled": False}


def test_min_read_time_segments_from_settings_data_sends_nothing(client: OpenApiV1,
                                                                 sim: Any) -> None:
    settings = client.min_settings(MIN)
    count = len(settled(sim))
    from_data = client.min_read_time_segments(MIN, settings_data=settings)
    assert len(settled(sim)) == count
    assert client.min_read_time_segments(MIN) == from_data
    assert len(settled(sim)) == count + 1
    envelope = {"data": settings, "error_code": 0, "error_msg": ""}
    assert client.min_read_time_segments(MIN, settings_data=envelope) == from_data
    assert client.min_read_time_segments(MIN, settings_data={})[0]["start_time"] == "00:00"
    assert len(settled(sim)) == count + 1


def test_min_time_segment_round_trip(client: OpenApiV1) -> None:
    client.min_write_time_segment(MIN, 6, 2, "06:05", "07:45")
    segment = client.min_read_time_segments(MIN)[5]
    assert segment == {"segment_id": 6, "batt_mode": 2, "mode_name": "Grid First",
                       "start_time": "06:05", "end_time": "07:45", "enabled": True}


# ---- SPH ------------------------------------------------------------------------------
def test_sph_reads(client: OpenApiV1, sim: Any) -> None:
    detail = client.sph_detail(SPH)
    assert detail["chargePowerCommand"] == 100
    assert (last(sim)["method"], last(sim)["endpoint"]) == ("GET", "device/mix/mix_data_info")
    assert client.sph_settings(SPH) == detail
    assert last(sim)["endpoint"] == "device/mix/mix_data_info"
    assert last(sim)["fields"] == {"device_sn": SPH}

    assert isinstance(client.sph_energy(SPH), dict)
    assert (last(sim)["method"], last(sim)["endpoint"]) == ("POST",
                                                            "device/mix/mix_last_data")
    assert last(sim)["fields"] == {"mix_sn": SPH}

    assert client.sph_energy_history(SPH, end_date=date(2026, 3, 13)) is not None
    assert last(sim)["endpoint"] == "device/mix/mix_data"
    assert last(sim)["fields"]["start_date"] == "2026-03-13"
    assert last(sim)["fields"]["end_date"] == "2026-03-13"

    assert client.sph_read_parameter(SPH, "pv_active_p_rate") == "100"
    assert last(sim)["endpoint"] == "readMixParam"
    assert last(sim)["fields"]["paramId"] == "pv_active_p_rate"
    assert client.sph_read_parameter(SPH, start_address=1) == "0"
    assert last(sim)["fields"]["paramId"] == "set_any_reg"
    assert all(entry["error_code"] == 0 for entry in settled(sim))


def test_sph_write_parameter_fields(client: OpenApiV1, sim: Any) -> None:
    client.sph_write_parameter(SPH, "pv_active_p_rate", 90)
    assert last(sim)["endpoint"] == "mixSet"
    assert last(sim)["fields"] == mix_fields("pv_active_p_rate", "90")
    assert list(last(sim)["fields"]) == ["mix_sn", "type", *SPH_PARAMS]
    assert last(sim)["error_code"] == 0
    assert client.sph_settings(SPH)["activeRate"] == 90


def test_sph_write_ac_charge_times_fields(client: OpenApiV1, sim: Any) -> None:
    periods = [{"start_time": "02:00", "end_time": "04:30", "enabled": True},
               {"start_time": clock(10, 5), "end_time": "11:00", "enabled": True},
               {"start_time": "00:00", "end_time": "00:00", "enabled": False}]
    client.sph_write_ac_charge_times(SPH, 60, 85, False, periods)
    assert last(sim)["fields"] == mix_fields(
        "mix_ac_charge_time_period", "60", "85", "0", "2", "0", "4", "30", "1",
        "10", "5", "11", "0", "1", "0", "0", "0", "0", "0")
    assert last(sim)["error_code"] == 0
    read = client.sph_read_ac_charge_times(SPH)
    assert read == {"charge_power": 60, "charge_stop_soc": 85, "mains_enabled": False,
                    "periods": [
                        {"period_id": 1, "start_time": "02:00", "end_time": "04:30",
                         "enabled": True},
                        {"period_id": 2, "start_time": "10:05", "end_time": "11:00",
                         "enabled": True},
                        {"period_id": 3, "start_time": "00:00", "end_time": "00:00",
                         "enabled": False}]}


def test_sph_write_ac_discharge_times_fields(client: OpenApiV1, sim: Any) -> None:
    periods = [{"start_time": "18:00", "end_time": "20:00", "enabled": True},
               {"start_time": "21:00", "end_time": "22:15", "enabled": True},
               {"start_time": "00:00", "end_time": "00:00", "enabled": False}]
    client.sph_write_ac_discharge_times(SPH, 70, 30, periods)
    assert last(sim)["fields"] == mix_fields(
        "mix_ac_discharge_time_period", "70", "30", "18", "0", "20", "0", "1",
        "21", "0", "22", "15", "1", "0", "0", "0", "0", "0")
    assert last(sim)["fields"]["param18"] == ""
    assert last(sim)["error_code"] == 0
    read = client.sph_read_ac_discharge_times(SPH)
    assert read["discharge_power"] == 70
    assert read["discharge_stop_soc"] == 30
    assert [(p["start_time"], p["end_time"], p["enabled"]) for p in read["periods"]] == [
        ("18:00", "20:00", True), ("21:00", "22:15", True), ("00:00", "00:00", False)]


def test_sph_read_ac_times_from_fixture(client: OpenApiV1, sim: Any) -> None:
    charge = client.sph_read_ac_charge_times(SPH)
    assert charge["charge_power"] == 100
    assert charge["charge_stop_soc"] == 95
    assert charge["mains_enabled"] is True
    assert charge["periods"][0] == {"period_id": 1, "start_time": "01:00",
                                    "end_time": "05:00", "enabled": True}
    discharge = client.sph_read_ac_discharge_times(SPH)
    assert discharge["discharge_power"] == 100
    assert discharge["discharge_stop_soc"] == 20
    assert discharge["periods"][0]["start_time"] == "17:00"
    assert len(settled(sim)) == 2
    settings = client.sph_settings(SPH)
    count = len(settled(sim))
    assert client.sph_read_ac_charge_times(settings_data=settings) == charge
    assert client.sph_read_ac_discharge_times(settings_data={"data": settings}) == discharge
    assert len(settled(sim)) == count
    with pytest.raises(InvalidValueError):
        client.sph_read_ac_charge_times()


def test_sph_write_ac_charge_time_keeps_the_rest(client: OpenApiV1, sim: Any) -> None:
    before = sim.raw_settings(SPH)
    client.sph_write_ac_charge_time(SPH, 2, "10:00", "11:30")
    assert [e["endpoint"] for e in settled(sim)] == ["device/mix/mix_data_info", "mixSet"]
    assert last(sim)["fields"] == mix_fields(
        "mix_ac_charge_time_period", "100", "95", "1", "1", "0", "5", "0", "1",
        "10", "0", "11", "30", "1", "0", "0", "0", "0", "0")
    after = sim.raw_settings(SPH)
    for key in ("chargePowerCommand", "wchargeSOCLowLimit2", "acChargeEnable",
                "forcedChargeTimeStart1", "forcedChargeTimeStop1", "forcedChargeStopSwitch1",
                "forcedChargeTimeStart3", "forcedChargeTimeStop3", "forcedChargeStopSwitch3",
                "forcedDischargeTimeStart1", "disChargePowerCommand"):
        assert after[key] == before[key], key
    assert (after["forcedChargeTimeStart2"], after["forcedChargeTimeStop2"],
            after["forcedChargeStopSwitch2"]) == ("10:0", "11:30", 1)


def test_sph_write_ac_charge_time_overrides_and_settings_data(client: OpenApiV1,
                                                              sim: Any) -> None:
    settings = client.sph_settings(SPH)
    client.sph_write_ac_charge_time(SPH, 3, clock(12, 0), clock(13, 0), charge_power=50,
                                    charge_stop_soc=80, mains_enabled=False,
                                    settings_data=settings)
    assert [e["endpoint"] for e in settled(sim)] == ["device/mix/mix_data_info", "mixSet"]
    assert last(sim)["fields"] == mix_fields(
        "mix_ac_charge_time_period", "50", "80", "0", "1", "0", "5", "0", "1",
        "0", "0", "0", "0", "0", "12", "0", "13", "0", "1")


def test_sph_write_ac_discharge_time_keeps_the_rest(client: OpenApiV1, sim: Any) -> None:
    before = sim.raw_settings(SPH)
    client.sph_write_ac_discharge_time(SPH, 3, "22:00", "23:00", enabled=True)
    assert last(sim)["fields"] == mix_fields(
        "mix_ac_discharge_time_period", "100", "20", "17", "0", "21", "0", "1",
        "0", "0", "0", "0", "0", "22", "0", "23", "0", "1")
    assert last(sim)["error_code"] == 0
    after = sim.raw_settings(SPH)
    for key in ("disChargePowerCommand", "wdisChargeSOCLowLimit2", "forcedDischargeTimeStart1",
                "forcedDischargeTimeStop1", "forcedDischargeStopSwitch1",
                "forcedDischargeStopSwitch2", "chargePowerCommand", "forcedChargeTimeStart1"):
        assert after[key] == before[key], key
    assert after["forcedDischargeTimeStart3"] == "22:0"
    client.sph_write_ac_discharge_time(SPH, 1, "17:00", "21:00", enabled=False,
                                       discharge_power=40, discharge_stop_soc=15)
    read = client.sph_read_ac_discharge_times(SPH)
    assert read["discharge_power"] == 40
    assert read["discharge_stop_soc"] == 15
    assert [p["enabled"] for p in read["periods"]] == [False, False, True]


def test_sph_schedule_checks_before_sending(client: OpenApiV1, sim: Any) -> None:
    three = [{"start_time": "00:00", "end_time": "00:00", "enabled": False}] * 3
    with pytest.raises(InvalidValueError):
        client.sph_write_ac_charge_times(SPH, 101, 50, True, three)
    with pytest.raises(InvalidValueError):
        client.sph_write_ac_discharge_times(SPH, 50, -1, three)
    with pytest.raises(InvalidValueError):
        client.sph_write_ac_charge_times(SPH, 50, 50, True, three[:2])
    assert settled(sim) == []
    with pytest.raises(InvalidValueError):
        client.sph_write_ac_charge_time(SPH, 4, "01:00", "02:00")
    assert all(entry["endpoint"] != "mixSet" for entry in settled(sim))


def test_write_entry_point_checks(client: OpenApiV1, sim: Any) -> None:
    with pytest.raises(InvalidValueError):
        client.write("fooSet", MIN, "charge_power", ["1"])
    with pytest.raises(InvalidValueError):
        client.write("mixSet", SPH, "pv_active_p_rate", ["1"] * 19)
    assert settled(sim) == []
    client.write("tlxSet", MIN, "charge_power", ["42"])
    assert last(sim)["fields"] == tlx_fields("charge_power", "42")


# ---- server selection -----------------------------------------------------------------
def test_server_url_settable(client: OpenApiV1, sim: Any,
                             sim_factory: Callable[..., Any]) -> None:
    other = sim_factory()
    assert client.api_url == sim.url
    assert client.server_url == sim.url.removesuffix("v1/")
    client.min_settings(MIN)
    assert len(logged(sim, 1)) == 1
    client.server_url = other.url.removesuffix("v1/")
    assert client.api_url == other.url
    client.min_settings(MIN)
    client.min_write_parameter(MIN, "charge_power", 20)
    assert [e["endpoint"] for e in logged(other, 2)] == ["device/tlx/tlx_set_info", "tlxSet"]
    assert len(sim.requests) == 1
    client.server_url = sim.url  # a full API URL works too
    client.plant_list()
    assert len(logged(sim, 2)) == 2
    client.server_url = other.url.removesuffix("/v1/")  # without the trailing slash
    assert client.api_url == other.url
    with pytest.raises(ValueError, match="plain http"):
        client.server_url = "http://example.com/"
    assert client.api_url == other.url


@pytest.mark.parametrize("server", ["http://example.com/v1/", "http://192.168.1.5:8080/v1/",
                                    "mars", "ftp://openapi.growatt.com/v1/",
                                    "https://openapi.growatt.com/", ""])
def test_refused_servers(server: str) -> None:
    with pytest.raises(ValueError):
        OpenApiV1("t", server=server)


def test_accepted_servers() -> None:
    for server, url in [("eu", "https://openapi.growatt.com/v1/"),
                        ("us", "https://openapi-us.growatt.com/v1/"),
                        ("http://localhost:8080/v1/", "http://localhost:8080/v1/"),
                        ("http://[::1]:8080/v4", "http://[::1]:8080/v4/"),
                        ("https://example.com/v1/", "https://example.com/v1/")]:
        with OpenApiV1("t", server=server) as client:
            assert client.api_url == url


def test_empty_token_refused() -> None:
    with pytest.raises(PermissionDeniedError):
        OpenApiV1("", server="eu")


def test_read_interval_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWATT_READ_INTERVAL", "7")
    with OpenApiV1("t", server="eu") as client:
        assert client.read_interval == 7.0
    with OpenApiV1("t", server="eu", read_interval=1) as client:
        assert client.read_interval == 1.0
    monkeypatch.setenv("GROWATT_READ_INTERVAL", "soon")
    with pytest.raises(GrowattError, match="GROWATT_READ_INTERVAL"):
        OpenApiV1("t", server="eu")
    monkeypatch.delenv("GROWATT_READ_INTERVAL")
    with OpenApiV1("t", server="eu") as client:
        assert client.read_interval == 300.0


# ---- typed errors ---------------------------------------------------------------------
def assert_secret(error: BaseException, token: str) -> None:
    text = "".join(traceback.format_exception(error))
    assert token not in str(error)
    assert token not in repr(error)
    assert token not in text
    assert token not in repr(vars(error))


def test_permission_denied(sim_factory: Callable[..., Any],
                           make_client: Callable[..., OpenApiV1], token: str) -> None:
    client = make_client(sim_factory(tokens=("good",)))
    with pytest.raises(PermissionDeniedError) as caught:
        client.min_settings(MIN)
    assert caught.value.error_code == 10011
    assert caught.value.serial == MIN
    assert caught.value.operation == "min_settings"
    assert_secret(caught.value, token)
    with pytest.raises(PermissionDeniedError):
        client.min_write_parameter(MIN, "charge_power", 50)


def test_rate_limited_read(sim_factory: Callable[..., Any],
                           make_client: Callable[..., OpenApiV1], token: str) -> None:
    server = sim_factory(rate_limit="request:60")
    client = make_client(server, wait_on_rate_limit=False, read_interval=0)
    client.min_settings(MIN)
    with pytest.raises(RateLimitedError) as caught:
        client.min_settings(MIN)
    assert caught.value.error_code == 10012
    assert caught.value.error_msg == "error_frequently_access"
    assert len(settled(server)) == 2
    assert client.stats["retries"] == 0
    assert_secret(caught.value, token)
    client.min_settings("MIN0000001")  # a different request goes through


def test_rate_limit_10012_on_write_is_device_not_found(client: OpenApiV1, sim: Any,
                                                       token: str) -> None:
    with pytest.raises(DeviceNotFoundError) as caught:
        client.min_write_parameter("MIN9999999", "charge_power", 50)
    assert caught.value.error_code == 10012
    assert caught.value.error_msg == "error_device_not_exist"
    assert len(settled(sim)) == 1
    assert_secret(caught.value, token)
    with pytest.raises(DeviceNotFoundError):
        client.sph_write_parameter(MIN, "pv_active_p_rate", 50)  # not an SPH


@pytest.mark.parametrize(("call", "code"), [
    (lambda c: c.min_write_time_segment(MIN, 4, 1, "22:00", "06:00"), 10013),
    (lambda c: c.min_write_parameter(MIN, "no_such_type", 1), 10006),
    (lambda c: c.min_write_parameter(MIN, "charge_power", 101), 10008),
    (lambda c: c.min_write_parameter(MIN, "charge_power"), 10007),
    (lambda c: c.min_write_time_segment(MIN, 4, 1, "23:00", "23:45"), 10008),
    (lambda c: c.sph_write_parameter(SPH, "no_such_type", 1), 10006),
    (lambda c: c.min_read_parameter(MIN, "no_such_type"), 10009),
], ids=["end-before-start", "unknown-type", "out-of-range", "empty", "overlap",
        "sph-unknown-type", "read-param-unknown"])
def test_invalid_value(client: OpenApiV1, sim: Any, token: str,
                       call: Callable[[OpenApiV1], Any], code: int) -> None:
    with pytest.raises(InvalidValueError) as caught:
        call(client)
    assert caught.value.error_code == code
    assert len(settled(sim)) == 1  # never retried
    assert client.stats["retries"] == 0
    assert_secret(caught.value, token)


def test_overlap_message(client: OpenApiV1) -> None:
    with pytest.raises(InvalidValueError, match="overlap"):
        client.min_write_time_segment(MIN, 4, 1, "23:00", "23:45")


@pytest.mark.parametrize(("code", "part"), [(10003, "inverter"), (10005, "datalogger")])
def test_device_offline(sim_factory: Callable[..., Any],
                        make_client: Callable[..., OpenApiV1], token: str, code: int,
                        part: str) -> None:
    client = make_client(sim_factory(offline=(MIN, SPH), offline_code=code))
    with pytest.raises(DeviceOfflineError) as caught:
        client.min_write_parameter(MIN, "charge_power", 50)
    assert caught.value.error_code == code
    assert caught.value.part == part
    assert_secret(caught.value, token)
    with pytest.raises(DeviceOfflineError) as caught:
        client.sph_read_parameter(SPH, "pv_active_p_rate")
    assert caught.value.part == part
    with pytest.raises(DeviceOfflineError):
        client.sph_write_ac_charge_time(SPH, 2, "10:00", "11:00")
    assert client.min_settings(MIN)["chargePowerCommand"] == 80  # reads still work


def test_server_side_error(client: OpenApiV1, sim: Any, token: str) -> None:
    with pytest.raises(ServerError) as caught:
        client.min_settings("MIN9999999")
    assert caught.value.error_code == 10001
    assert len(settled(sim)) == 1
    assert_secret(caught.value, token)
    with pytest.raises(DeviceNotFoundError):
        client.min_energy("MIN9999999")
    with pytest.raises(DeviceNotFoundError):
        client.device_list(4242)
    with pytest.raises(DeviceNotFoundError):
        client.min_read_parameter("MIN9999999", "charge_power")


def test_request_timeout(sim_factory: Callable[..., Any],
                         make_client: Callable[..., OpenApiV1], token: str) -> None:
    server = sim_factory(faults=("timeout",), timeout_seconds=3)
    client = make_client(server, timeout=(1, 0.5), max_retries=0)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        client.min_settings(MIN)
    assert time.monotonic() - started < 2
    assert isinstance(caught.value, TransportError)
    assert caught.value.serial == MIN
    assert_secret(caught.value, token)


@pytest.mark.parametrize(("fault", "error"), [
    ("http500", HttpStatusError), ("html", BadResponseError), ("badjson", BadResponseError),
    ("reset", ConnectionFailedError)])
def test_transport_errors(sim_factory: Callable[..., Any],
                          make_client: Callable[..., OpenApiV1], token: str, fault: str,
                          error: type[GrowattError]) -> None:
    server = sim_factory(faults=(fault,))
    client = make_client(server, max_retries=0)
    with pytest.raises(error) as caught:
        client.min_settings(MIN)
    assert isinstance(caught.value, TransportError)
    assert len(settled(server)) == 1
    assert_secret(caught.value, token)
    if fault == "http500":
        assert isinstance(caught.value, HttpStatusError)
        assert caught.value.status == 500
    if fault == "html":
        assert "HTML" in str(caught.value)
    with pytest.raises(error):
        client.min_write_parameter(MIN, "charge_power", 50)


def test_connection_refused(make_client: Callable[..., OpenApiV1], token: str,
                            sim_factory: Callable[..., Any]) -> None:
    server = sim_factory()
    client = make_client(server, max_retries=1)
    server.stop()
    with pytest.raises(ConnectionFailedError) as caught:
        client.plant_list()
    assert client.stats["retries"] == 1
    assert_secret(caught.value, token)


# ---- retries --------------------------------------------------------------------------
def test_retries_then_success(sim_factory: Callable[..., Any],
                              make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("http500@device/tlx/tlx_set_info*2",))
    client = make_client(server, max_retries=3)
    assert client.min_settings(MIN)["chargePowerCommand"] == 80
    assert client.stats["retries"] == 2
    assert [e["http_status"] for e in settled(server)] == [500, 500, 200]
    assert client.stats["by_endpoint"] == {"device/tlx/tlx_set_info": 3}


@pytest.mark.parametrize("fault", ["reset", "ratelimit", "html", "badjson"])
def test_one_fault_recovered(sim_factory: Callable[..., Any],
                             make_client: Callable[..., OpenApiV1], fault: str) -> None:
    server = sim_factory(faults=(f"{fault}*1",))
    client = make_client(server, max_retries=2)
    assert client.min_settings(MIN)["chargePowerCommand"] == 80
    assert client.stats["retries"] == 1
    assert len(settled(server)) == 2
    client.min_write_parameter(MIN, "charge_power", 30)
    assert client.stats["retries"] == 1


def test_write_retried_after_ratelimit(sim_factory: Callable[..., Any],
                                       make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("ratelimit@tlxSet*1",))
    client = make_client(server, max_retries=2)
    client.min_write_parameter(MIN, "charge_power", 30)
    assert [e["error_code"] for e in settled(server)] == [10012, 0]
    assert server.raw_settings(MIN)["chargePowerCommand"] == 30


def test_retry_bound_by_max_retries(sim_factory: Callable[..., Any],
                                    make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("http500",))
    client = make_client(server, max_retries=2)
    with pytest.raises(HttpStatusError):
        client.min_settings(MIN)
    assert len(settled(server)) == 3
    assert client.stats["retries"] == 2


def test_no_retry_on_rate_limit_without_waiting(sim_factory: Callable[..., Any],
                                                make_client: Callable[..., OpenApiV1]
                                                ) -> None:
    server = sim_factory(faults=("ratelimit*1",))
    client = make_client(server, max_retries=3, wait_on_rate_limit=False)
    with pytest.raises(RateLimitedError):
        client.min_settings(MIN)
    assert len(settled(server)) == 1


def test_retry_deadline(sim_factory: Callable[..., Any],
                        make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("http500",))
    client = make_client(server, max_retries=5, backoff_base=10, retry_deadline=0.0)
    with pytest.raises(HttpStatusError):
        client.min_settings(MIN)
    assert len(settled(server)) == 1


# ---- client-side limiter --------------------------------------------------------------
def test_limiter_persists_across_instances(sim: Any, make_client: Callable[..., OpenApiV1],
                                           tmp_path: Path, token: str) -> None:
    options = {"state_dir": tmp_path, "read_interval": 60, "wait_on_rate_limit": False}
    first = make_client(sim, **options)
    first.min_settings(MIN)
    assert len(settled(sim)) == 1
    limiter_file = tmp_path / "ratelimit.json"
    assert limiter_file.exists()
    assert token not in limiter_file.read_text(encoding="utf-8")
    assert MIN not in limiter_file.read_text(encoding="utf-8")

    second = make_client(sim, **options)
    with pytest.raises(RateLimitedError) as caught:
        second.min_settings(MIN)
    assert 0 < caught.value.retry_after <= 60
    assert caught.value.error_code is None
    assert len(settled(sim)) == 1  # not sent
    assert_secret(caught.value, token)
    second.min_settings("MIN0000001")
    assert len(settled(sim)) == 2
    # writes are not held back by the read window
    second.min_write_parameter(MIN, "charge_power", 60)
    second.min_write_parameter(MIN, "charge_power", 60)
    assert len(settled(sim)) == 4


def test_on_wait_hook(sim: Any, make_client: Callable[..., OpenApiV1]) -> None:
    waits: list[tuple[float, str]] = []
    client = make_client(sim, read_interval=0.3, on_wait=lambda s, d: waits.append((s, d)))
    started = time.monotonic()
    client.min_settings(MIN)
    client.min_settings(MIN)
    assert time.monotonic() - started >= 0.25
    assert len(waits) == 1
    seconds, description = waits[0]
    assert 0 < seconds <= 0.3
    assert "device/tlx/tlx_set_info" in description
    assert len(settled(sim)) == 2
    assert client.stats["waited_seconds"] > 0
    client.min_settings("MIN0000001")  # a different request does not wait
    assert len(waits) == 1


def test_injected_sleep_used_for_waits(sim: Any, make_client: Callable[..., OpenApiV1]) -> None:
    slept: list[float] = []
    client = make_client(sim, read_interval=30, sleep=slept.append)
    client.min_settings(MIN)
    client.min_settings(MIN)
    assert len(slept) == 1
    assert 29 < slept[0] <= 30


# ---- stats ----------------------------------------------------------------------------
def test_stats(client: OpenApiV1) -> None:
    assert client.stats == {"reads": 0, "writes": 0, "retries": 0, "waited_seconds": 0.0,
                            "by_endpoint": {}}
    client.min_settings(MIN)
    client.min_settings(MIN)
    client.min_read_parameter(MIN, "charge_power")
    client.min_write_parameter(MIN, "charge_power", 10)
    client.sph_write_parameter(SPH, "pv_active_p_rate", 10)
    client.plant_list()
    stats = client.stats
    assert stats["reads"] == 4
    assert stats["writes"] == 2
    assert stats["by_endpoint"] == {"device/tlx/tlx_set_info": 2, "readMinParam": 1,
                                    "tlxSet": 1, "mixSet": 1, "plant/list": 1}
    stats["reads"] = 99
    assert client.stats["reads"] == 4


# ---- token secrecy --------------------------------------------------------------------
def test_token_is_sent_as_header_only(client: OpenApiV1, sim: Any, token: str) -> None:
    client.min_settings(MIN)
    client.min_write_parameter(MIN, "charge_power", 10)
    assert token not in repr(settled(sim))
    assert token not in repr(client)
    assert token not in str(client)
    assert token not in repr(client.stats)


def test_token_never_in_output(sim_factory: Callable[..., Any],
                               make_client: Callable[..., OpenApiV1], token: str,
                               caplog: pytest.LogCaptureFixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    server = sim_factory(faults=("http500@plant/list*1", "html@plant/details*1"),
                         offline=("SPH7654321",), rate_limit="request:60")
    client = make_client(server, max_retries=1, show_countdown=True)
    errors: list[BaseException] = []
    calls: list[Callable[[], Any]] = [
        client.plant_list, lambda: client.plant_details(PLANT),
        lambda: client.min_settings(MIN), lambda: client.min_settings(MIN),
        lambda: client.min_write_parameter("MIN9999999", "charge_power", 1),
        lambda: client.min_write_parameter(MIN, "charge_power", 101),
        lambda: client.sph_write_parameter(SPH, "pv_active_p_rate", 1),
        lambda: client.min_settings("MIN9999999")]
    client.wait_on_rate_limit = False
    assert client.wait_on_rate_limit is False
    for call in calls:
        try:
            call()
        except GrowattError as exc:
            errors.append(exc)
            logging.getLogger("test").exception("call failed: %s", exc)
    assert len(errors) == 5
    for error in errors:
        assert_secret(error, token)
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    assert token not in caplog.text
    assert token not in repr(client)


# ---- more wire details ----------------------------------------------------------------
def test_write_entry_point_pads_and_returns_none(client: OpenApiV1, sim: Any) -> None:
    assert client.write("tlxSet", MIN, "ac_charge", [True]) is None
    assert last(sim)["fields"] == tlx_fields("ac_charge", "1")
    assert list(last(sim)["fields"]) == ["tlx_sn", "type", *MIN_PARAMS]
    client.write("tlxSet", MIN, "charge_power", [80.0])
    assert last(sim)["fields"] == tlx_fields("charge_power", "80")  # unpadded, no ".0"
    client.write("mixSet", SPH, "pv_active_p_rate", ["95"])
    assert last(sim)["fields"] == mix_fields("pv_active_p_rate", "95")
    assert list(last(sim)["fields"]) == ["mix_sn", "type", *SPH_PARAMS]
    assert all(entry["error_code"] == 0 and entry["method"] == "POST"
               for entry in settled(sim))
    assert sim.raw_settings(MIN)["acChargeEnable"] == 1


def test_write_parameter_positions_checked(client: OpenApiV1, sim: Any) -> None:
    with pytest.raises(InvalidValueError):
        client.min_write_parameter(MIN, "charge_power", {20: 1})
    with pytest.raises(InvalidValueError):
        client.sph_write_parameter(SPH, "pv_active_p_rate", ["1"] * 19)
    assert settled(sim) == []
    client.min_write_parameter(MIN, "ac_charge", False)
    assert last(sim)["fields"] == tlx_fields("ac_charge", "0")


def test_history_date_rules(client: OpenApiV1, sim: Any) -> None:
    with pytest.raises(InvalidValueError):
        client.min_energy_history(MIN, date(2026, 3, 1), date(2026, 3, 9))
    with pytest.raises(InvalidValueError):
        client.sph_energy_history(SPH, "not a date")
    assert settled(sim) == []
    client.sph_energy_history(SPH, "2026-03-01", "2026-03-08", timezone="Europe/Berlin",
                              page=2, limit=10)
    fields = last(sim)["fields"]
    assert fields == {"mix_sn": SPH, "start_date": "2026-03-01", "end_date": "2026-03-08",
                      "timezone_id": "Europe/Berlin", "page": "2", "perpage": "10"}
    client.min_energy_history(MIN)  # today, as the community client has it
    assert last(sim)["fields"]["start_date"] == last(sim)["fields"]["end_date"]
    assert "timezone_id" not in last(sim)["fields"]  # None is left out, as requests does
    client.plant_energy_history(PLANT, end_date=date(2026, 3, 2), time_unit="month",
                                page=1, perpage=5)
    assert last(sim)["fields"] == {"plant_id": "1185", "start_date": "2026-03-02",
                                   "end_date": "2026-03-02", "time_unit": "month",
                                   "page": "1", "perpage": "5"}


def test_list_wire_fields(client: OpenApiV1, sim: Any) -> None:
    client.plant_list()
    assert last(sim)["fields"] == {"page": "", "perpage": "", "search_type": "",
                                   "search_keyword": ""}
    client.device_list(PLANT)
    assert last(sim)["fields"] == {"plant_id": "1185", "page": "", "perpage": ""}
    assert last(sim)["method"] == "GET"


def test_sph_read_parameter_register_fields(client: OpenApiV1, sim: Any) -> None:
    client.sph_read_parameter(SPH, start_address=1000, end_address=1003)
    assert last(sim)["fields"] == {"device_sn": SPH, "paramId": "set_any_reg",
                                   "startAddr": "1000", "endAddr": "1003"}
    client.sph_read_parameter(SPH, start_address=7)
    assert last(sim)["fields"]["endAddr"] == "7"  # defaulted (the community client omits it)
    with pytest.raises(InvalidValueError, match="not both"):
        client.sph_read_parameter(SPH, "pv_on_off", start_address=7)


def test_read_helpers_tolerate_messy_values(client: OpenApiV1, sim: Any) -> None:
    raw = sim.raw_settings(SPH)
    raw.update({"forcedChargeTimeStart2": "null", "forcedChargeTimeStop2": None,
                "forcedChargeStopSwitch2": "null", "forcedChargeTimeStart3": "",
                "forcedChargeTimeStop3": "7:5", "chargePowerCommand": "100.0",
                "acChargeEnable": "1"})
    sim.set_raw_settings(SPH, raw)
    charge = client.sph_read_ac_charge_times(SPH)
    assert charge["charge_power"] == 100
    assert charge["mains_enabled"] is True
    assert charge["periods"][1] == {"period_id": 2, "start_time": "00:00",
                                    "end_time": "00:00", "enabled": False}
    assert charge["periods"][2]["end_time"] == "07:05"


def test_sph_stop_soc_unsuffixed_first(sim_factory: Callable[..., Any],
                                       make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(sph_emit_unsuffixed=True)
    client = make_client(server)
    three = [{"start_time": "01:00", "end_time": "02:00", "enabled": True},
             {"start_time": "00:00", "end_time": "00:00", "enabled": False},
             {"start_time": "00:00", "end_time": "00:00", "enabled": False}]
    client.sph_write_ac_charge_times(SPH, 90, 77, True, three)
    raw = server.raw_settings(SPH)
    assert raw["wchargeSOCLowLimit"] == raw["wchargeSOCLowLimit2"] == 77
    raw["wchargeSOCLowLimit2"] = 55  # the two disagree: the unsuffixed key wins
    server.set_raw_settings(SPH, raw)
    assert client.sph_read_ac_charge_times(SPH)["charge_stop_soc"] == 77
    raw["wchargeSOCLowLimit"] = "null"  # unset: the ...2 key
    server.set_raw_settings(SPH, raw)
    assert client.sph_read_ac_charge_times(SPH)["charge_stop_soc"] == 55


def test_sph_per_period_write_refuses_unparsable_basis(client: OpenApiV1, sim: Any) -> None:
    raw = sim.raw_settings(SPH)
    raw["forcedChargeTimeStart3"] = "11:187"  # garbage in a period we would send back
    sim.set_raw_settings(SPH, raw)
    with pytest.raises(InvalidValueError, match="cannot be parsed"):
        client.sph_write_ac_charge_time(SPH, 2, "10:00", "11:00")
    assert [e["endpoint"] for e in settled(sim)] == ["device/mix/mix_data_info"]
    # replacing the garbled period itself is fine
    client.sph_write_ac_charge_time(SPH, 3, "12:00", "13:00", settings_data=raw)
    assert last(sim)["endpoint"] == "mixSet"
    assert last(sim)["error_code"] == 0


def test_sph_per_period_write_needs_power_when_unread(client: OpenApiV1, sim: Any) -> None:
    raw = sim.raw_settings(SPH)
    del raw["disChargePowerCommand"]
    with pytest.raises(InvalidValueError, match="discharge_power"):
        client.sph_write_ac_discharge_time(SPH, 2, "18:00", "19:00", settings_data=raw)
    client.sph_write_ac_discharge_time(SPH, 2, "21:30", "22:00", settings_data=raw,
                                       discharge_power=60)
    assert last(sim)["fields"]["param1"] == "60"
    assert settled(sim)[-1]["error_code"] == 0
    assert len(settled(sim)) == 1  # settings_data: no read


def test_sph_all_three_periods_kept_by_per_period_writes(client: OpenApiV1, sim: Any) -> None:
    periods = [{"start_time": "01:00", "end_time": "02:00", "enabled": True},
               {"start_time": "03:00", "end_time": "04:00", "enabled": True},
               {"start_time": "05:00", "end_time": "06:00", "enabled": False}]
    client.sph_write_ac_charge_times(SPH, 70, 90, True, periods)
    client.sph_write_ac_charge_time(SPH, 2, "03:15", "04:45", enabled=False)
    read = client.sph_read_ac_charge_times(SPH)
    assert [(p["start_time"], p["end_time"], p["enabled"]) for p in read["periods"]] == [
        ("01:00", "02:00", True), ("03:15", "04:45", False), ("05:00", "06:00", False)]
    assert (read["charge_power"], read["charge_stop_soc"], read["mains_enabled"]) == (
        70, 90, True)


# ---- more errors ----------------------------------------------------------------------
def test_10013_collision_on_list_endpoints(client: OpenApiV1, sim: Any, token: str) -> None:
    with pytest.raises(InvalidValueError, match="page size") as caught:
        client.plant_energy_history(PLANT, perpage=101)
    assert caught.value.error_code == 10013
    with pytest.raises(InvalidValueError, match="page size") as caught:
        client.min_energy_history(MIN, limit=500)
    assert caught.value.error_code == 10013
    with pytest.raises(InvalidValueError, match="end time") as caught:
        client.write("mixSet", SPH, "mix_ac_discharge_time_period",
                     ["100", "20", "21", "0", "17", "0", "1", *["0"] * 10])
    assert caught.value.error_code == 10013
    assert caught.value.operation == "write"
    assert len(settled(sim)) == 3  # none retried
    assert_secret(caught.value, token)


def test_10012_collision_on_writes(sim_factory: Callable[..., Any],
                                   make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("ratelimit@mixSet*1",))
    client = make_client(server, wait_on_rate_limit=False)
    with pytest.raises(RateLimitedError) as limited:  # error_frequently_access
        client.sph_write_parameter(SPH, "pv_active_p_rate", 50)
    assert limited.value.error_code == 10012
    with pytest.raises(DeviceNotFoundError) as missing:  # error_device_not_exist
        client.sph_write_parameter("SPH0000000", "pv_active_p_rate", 50)
    assert missing.value.error_code == 10012
    assert [e["error_code"] for e in settled(server)] == [10012, 10012]


def test_permission_denied_per_endpoint(sim_factory: Callable[..., Any],
                                        make_client: Callable[..., OpenApiV1],
                                        token: str) -> None:
    server = sim_factory(denied={token: ("device/tlx/tlx_data_info",)})
    client = make_client(server)
    with pytest.raises(PermissionDeniedError) as caught:
        client.min_detail(MIN)
    assert caught.value.endpoint == "device/tlx/tlx_data_info"
    assert "device/tlx/tlx_data_info" in str(caught.value)
    assert client.min_settings(MIN)["chargePowerCommand"] == 80  # the token still works
    assert client.stats["retries"] == 0
    assert_secret(caught.value, token)


def test_device_offline_on_each_write_and_read_param(sim_factory: Callable[..., Any],
                                                     make_client: Callable[..., OpenApiV1]
                                                     ) -> None:
    server = sim_factory(offline=(MIN,), offline_code=10005)
    client = make_client(server)
    calls: list[Callable[[], Any]] = [
        lambda: client.min_write_time_segment(MIN, 4, 1, "10:00", "11:00"),
        lambda: client.min_read_parameter(MIN, "charge_power"),
        lambda: client.write("tlxSet", MIN, "charge_power", ["10"])]
    for call in calls:
        with pytest.raises(DeviceOfflineError) as caught:
            call()
        assert caught.value.part == "datalogger"
        assert caught.value.serial == MIN
    assert len(settled(server)) == 3  # offline is not retried
    server.set_offline([])
    client.min_write_parameter(MIN, "charge_power", 10)


def test_transport_error_kinds(sim_factory: Callable[..., Any],
                               make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory()
    client = make_client(server, max_retries=0, timeout=(1, 0.3))
    seen = {}
    for fault in ("timeout", "http500", "badjson", "html", "reset"):
        server.set_faults([f"{fault}*1"])
        with pytest.raises(TransportError) as caught:
            client.min_settings(MIN)
        seen[fault] = caught.value.kind
        assert caught.value.operation == "min_settings"
        assert caught.value.endpoint == "device/tlx/tlx_set_info"
        assert caught.value.error_code is None
    assert seen == {"timeout": "timeout", "http500": "http_status",
                    "badjson": "bad_response", "html": "bad_response", "reset": "connection"}


def test_errors_do_not_chain_the_requests_exception(sim_factory: Callable[..., Any],
                                                    make_client: Callable[..., OpenApiV1]
                                                    ) -> None:
    # a requests exception holds the prepared request, headers and token included
    server = sim_factory(faults=("reset",))
    client = make_client(server, max_retries=1)
    with pytest.raises(ConnectionFailedError) as caught:
        client.min_settings(MIN)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


# ---- retries with backoff -------------------------------------------------------------
def test_backoff_is_full_jitter_and_bounded(sim_factory: Callable[..., Any],
                                            make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("http500@tlxSet*4",))
    slept: list[float] = []
    client = make_client(server, max_retries=5, backoff_base=0.01, backoff_cap=0.03,
                         sleep=slept.append)
    client.min_write_parameter(MIN, "charge_power", 33)  # a write: retried, safe
    assert [e["http_status"] for e in settled(server)] == [500, 500, 500, 500, 200]
    assert len(slept) == 4
    for attempt, delay in enumerate(slept):
        assert 0 <= delay <= min(0.03, 0.01 * 2 ** attempt)
    assert client.stats["retries"] == 4
    assert client.stats["writes"] == 5
    assert server.raw_settings(MIN)["chargePowerCommand"] == 33


def test_retry_deadline_with_injected_clock(sim_factory: Callable[..., Any],
                                            make_client: Callable[..., OpenApiV1]) -> None:
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    server = sim_factory(faults=("http500",))
    client = make_client(server, max_retries=50, backoff_base=4, backoff_cap=4,
                         retry_deadline=30, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(HttpStatusError):
        client.min_settings(MIN)
    assert now[0] - 1000 <= 30
    assert 2 <= len(settled(server)) < 50


def test_timeout_retried_then_success(sim_factory: Callable[..., Any],
                                      make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("timeout@tlx_set_info*1",), timeout_seconds=5)
    client = make_client(server, timeout=(1, 0.3), max_retries=2)
    started = time.monotonic()
    assert client.min_settings(MIN)["serialNum"] == MIN
    assert time.monotonic() - started < 3
    assert client.stats["retries"] == 1


def test_no_retry_for_client_errors(sim_factory: Callable[..., Any],
                                    make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(tokens=("other",))
    client = make_client(server, max_retries=5)
    with pytest.raises(PermissionDeniedError):
        client.plant_list()
    with pytest.raises(PermissionDeniedError):
        client.min_write_parameter(MIN, "charge_power", 1)
    assert len(settled(server)) == 2
    assert client.stats["retries"] == 0


def test_server_rate_limit_waits_window_then_retries(sim_factory: Callable[..., Any],
                                                     make_client: Callable[..., OpenApiV1]
                                                     ) -> None:
    server = sim_factory(faults=("ratelimit@tlx_set_info*1",))
    waits: list[tuple[float, str]] = []
    slept: list[float] = []
    client = make_client(server, read_interval=20, retry_deadline=60, max_retries=2,
                         sleep=slept.append, on_wait=lambda s, d: waits.append((s, d)))
    assert client.min_settings(MIN)["serialNum"] == MIN
    assert [e["error_code"] for e in settled(server)] == [10012, 0]
    assert len(waits) == 1 and waits[0][0] >= 20  # the whole window, not a short backoff
    assert "refused by the cloud" in waits[0][1]
    assert client.stats["waited_seconds"] >= 20


def test_server_rate_limit_beyond_deadline_raises_with_retry_after(
        sim_factory: Callable[..., Any], make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(faults=("ratelimit@tlx_set_info*1",))
    client = make_client(server, read_interval=300, retry_deadline=60, sleep=lambda s: None)
    with pytest.raises(RateLimitedError) as caught:
        client.min_settings(MIN)
    assert caught.value.retry_after >= 300
    assert len(settled(server)) == 1


# ---- limiter ----------------------------------------------------------------------------
def test_limiter_counts_from_the_simulator_window(sim_factory: Callable[..., Any],
                                                  make_client: Callable[..., OpenApiV1],
                                                  tmp_path: Path) -> None:
    # the cloud's own window and the client's agree: no 10012 ever reaches the client
    server = sim_factory(rate_limit="request:0.4")
    client = make_client(server, read_interval=0.4, state_dir=tmp_path)
    for _ in range(3):
        client.min_settings(MIN)
    assert [e["error_code"] for e in settled(server)] == [0, 0, 0]
    assert client.stats["waited_seconds"] >= 0.7
    assert client.stats["retries"] == 0


def test_limiter_corrupt_file_is_tolerated(sim: Any, make_client: Callable[..., OpenApiV1],
                                           tmp_path: Path) -> None:
    (tmp_path / "ratelimit.json").write_text("{garbage", encoding="utf-8")
    client = make_client(sim, state_dir=tmp_path, read_interval=60,
                         wait_on_rate_limit=False)
    client.min_settings(MIN)
    client.close()
    saved = json.loads((tmp_path / "ratelimit.json").read_text(encoding="utf-8"))
    assert len(saved["last"]) == 1


def test_limiter_shared_by_threads(sim: Any, make_client: Callable[..., OpenApiV1]) -> None:
    client = make_client(sim, read_interval=60, wait_on_rate_limit=False)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        try:
            client.min_settings(MIN)
            outcomes.append("ok")
        except RateLimitedError:
            outcomes.append("limited")

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited"] * 7 + ["ok"]
    assert len(settled(sim)) == 1


def test_stats_thread_safe(sim: Any, make_client: Callable[..., OpenApiV1]) -> None:
    client = make_client(sim)
    serials = [MIN, "MIN0000001"]

    def work(index: int) -> None:
        for _ in range(5):
            client.min_settings(serials[index % 2])
            client.write("tlxSet", MIN, "charge_power", [str(index)])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = client.stats
    assert (stats["reads"], stats["writes"]) == (30, 30)
    assert stats["by_endpoint"] == {"device/tlx/tlx_set_info": 30, "tlxSet": 30}
    assert len(settled(sim)) == 60


def test_countdown_on_stderr(sim: Any, make_client: Callable[..., OpenApiV1],
                             capsys: pytest.CaptureFixture[str]) -> None:
    slept: list[float] = []
    client = make_client(sim, read_interval=4, show_countdown=True, sleep=slept.append)
    client.min_settings(MIN)
    client.min_settings(MIN)
    err = capsys.readouterr().err
    assert "waiting 0:04" in err or "waiting 0:03" in err
    assert "waiting 0:01" in err
    assert "device/tlx/tlx_set_info" in err
    assert 3.9 < sum(slept) <= 4


def test_no_countdown_when_not_a_terminal(sim: Any, make_client: Callable[..., OpenApiV1],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client(sim, read_interval=4, sleep=lambda s: None)  # show_countdown=None
    client.min_settings(MIN)
    client.min_settings(MIN)
    assert capsys.readouterr().err == ""
    short = make_client(sim, read_interval=1.5, show_countdown=True, sleep=lambda s: None)
    short.min_settings("MIN0000001")
    short.min_settings("MIN0000001")
    assert capsys.readouterr().err == ""  # two seconds or less: no countdown


def test_read_interval_follows_embedded_simulator(tmp_path: Path, token: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWATT_READ_INTERVAL", raising=False)
    with OpenApiV1(token, server="sim", state_dir=tmp_path) as client:
        assert client.api_url.startswith("http://127.0.0.1:")
        assert client.read_interval == 0.0  # the embedded simulator has no rate limit
        assert client.min_settings(MIN)["serialNum"] == MIN
        url = client.api_url
        assert token not in repr(client)
    # close() stopped the simulator
    with OpenApiV1(token, server=url, max_retries=0, read_interval=0) as probe, \
            pytest.raises(ConnectionFailedError):
        probe.plant_list()
    assert (tmp_path / "sim-state.json").exists()


def test_redirects_are_not_followed(token: str) -> None:
    """A redirect would carry the `token` header to wherever it points."""
    import http.server

    received: list[str] = []

    class Catch(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.headers.get("token", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    catcher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    target = f"http://127.0.0.1:{catcher.server_address[1]}/v1/plant/list"

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    redirector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (catcher, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}/v1/"
        with OpenApiV1(token, server=url, max_retries=0, read_interval=0) as client, \
                pytest.raises(HttpStatusError) as caught:
            client.plant_list()
        assert caught.value.status == 302
        assert received == []
    finally:
        for server in (catcher, redirector):
            server.shutdown()
            server.server_close()


def test_token_with_line_break_refused_without_echo(token: str) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        OpenApiV1(token + "\n", server="eu")
    assert_secret(caught.value, token)


def test_server_url_accepts_region_names(client: OpenApiV1) -> None:
    client.server_url = "us"
    assert client.api_url == "https://openapi-us.growatt.com/v1/"
    assert client.server_url == "https://openapi-us.growatt.com/"
    client.api_url = "cn"
    assert client.api_url == "https://openapi-cn.growatt.com/v1/"
    with pytest.raises(ValueError):
        client.api_url = "http://example.com/v1/"


# ---- the token, through every error path ------------------------------------------------
def test_token_absent_from_every_error_path(sim_factory: Callable[..., Any],
                                            make_client: Callable[..., OpenApiV1],
                                            token: str, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)  # requests/urllib3 and our own logger, all of it
    server = sim_factory(offline=(SPH,), rate_limit="request:60",
                         denied={token: ("device/tlx/tlx_data_info",)})
    client = make_client(server, max_retries=1, timeout=(1, 0.3), show_countdown=True,
                         state_dir=tmp_path, read_interval=0)
    cases: list[tuple[str | None, Callable[[], Any], type[GrowattError]]] = [
        ("http500*2", client.plant_list, HttpStatusError),
        ("html*2", lambda: client.plant_details(PLANT), BadResponseError),
        ("badjson*2", lambda: client.plant_energy_overview(PLANT), BadResponseError),
        ("timeout*2", lambda: client.device_list(PLANT), RequestTimeoutError),
        ("reset*2", lambda: client.min_energy(MIN), ConnectionFailedError),
        (None, lambda: client.min_detail(MIN), PermissionDeniedError),
        (None, lambda: client.sph_write_parameter(SPH, "pv_active_p_rate", 1),
         DeviceOfflineError),
        (None, lambda: client.min_write_parameter("MIN9999999", "charge_power", 1),
         DeviceNotFoundError),
        (None, lambda: client.min_write_parameter(MIN, "charge_power", 101),
         InvalidValueError),
        (None, lambda: client.min_settings("MIN9999999"), ServerError),
        (None, lambda: client.min_write_time_segment(MIN, 0, 1, "1:00", "2:00"),
         InvalidValueError),
        ("ratelimit@mixSet*1", lambda: client.sph_write_ac_charge_times(
            SPH, 1, 1, True, [{"start_time": "0:0", "end_time": "0:0"}] * 3),
         DeviceOfflineError),
    ]
    raised: list[GrowattError] = []
    for fault, call, expected in cases:
        server.set_faults([fault] if fault else [])
        with pytest.raises(expected) as caught:
            call()
        raised.append(caught.value)
        logging.getLogger("test").exception("call failed: %s", caught.value)
        print(caught.value, repr(caught.value), file=sys.stderr)
    # the cloud's rate limit and the client's own
    server.set_faults([])
    client.wait_on_rate_limit = False
    client.min_settings(MIN)
    with pytest.raises(RateLimitedError) as caught:
        client.min_settings(MIN)  # refused by the simulator
    raised.append(caught.value)
    client.read_interval = 60
    client.min_settings("MIN0000001")
    with pytest.raises(RateLimitedError) as caught:
        client.min_settings("MIN0000001")  # held back by the client
    raised.append(caught.value)
    client.close()
    for error in raised:
        assert_secret(error, token)
        assert error.__context__ is None
        assert "\n" not in str(error)
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    assert token not in caplog.text
    assert caplog.text  # something was logged, and it was checked
    assert token not in repr(client) + str(client) + repr(vars(client))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token not in path.read_text(encoding="utf-8", errors="replace")


def test_limit_writes_matches_a_cloud_that_limits_writes(
        sim_factory: Callable[..., Any], make_client: Callable[..., OpenApiV1]) -> None:
    server = sim_factory(rate_limit="request:60", rate_limit_writes=True)
    client = make_client(server, read_interval=60, limit_writes=True,
                         wait_on_rate_limit=False)
    client.min_write_parameter(MIN, "charge_power", 40)
    with pytest.raises(RateLimitedError) as caught:
        client.min_write_parameter(MIN, "charge_power", 40)  # held back, not sent
    assert caught.value.error_code is None
    client.min_write_parameter(MIN, "charge_power", 41)  # a different write goes
    assert [e["error_code"] for e in settled(server)] == [0, 0]
    unlimited = make_client(server, read_interval=60, wait_on_rate_limit=False)
    with pytest.raises(RateLimitedError) as caught:
        unlimited.min_write_parameter(MIN, "charge_power", 40)  # the cloud refuses it
    assert caught.value.error_code == 10012
