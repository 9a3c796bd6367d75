"""`OpenApiV1` against the simulator: every method, the exact wire fields, typed errors,
retries, the client-side rate limiter, stats, and that the token never leaks."""

from __future__ import annotations

import logging
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
    ServerSideError,
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
    assert segments[0] == {"segment_id": 1, "batt_mode": 1, "mode_name": "battery_first",
                           "start_time": "23:30", "end_time": "23:59", "enabled": True}
    assert segments[1]["start_time"] == "00:00"
    assert segments[1]["end_time"] == "05:30"
    assert segments[2]["mode_name"] == "grid_first"
    assert segments[2]["start_time"] == "17:00"
    assert segments[3]["enabled"] is False
    assert segments[3]["mode_name"] == "load_first"
    # segment 9 holds the API's "null" strings
    assert segments[8] == {"segment_id": 9, "batt_mode": 0, "mode_name": "load_first",
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
    assert segment == {"segment_id": 6, "batt_mode": 2, "mode_name": "grid_first",
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
    with pytest.raises(ServerSideError) as caught:
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
