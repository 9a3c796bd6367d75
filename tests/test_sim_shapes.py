"""The simulated cloud's answers in detail: the default fixture, the shape of every read,
paging, and the SPH write types' read-back (the MIN ones are in test_sim.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from reconciler.sim.state import default_fixture
from tests.test_sim import MIN, PLANT, SPH, api, call, mix_set, ok, refused, sph_settings, tlx_set

TODAY = date.today().isoformat()


# ---- the default fixture --------------------------------------------------------------
def _devices() -> list[dict[str, Any]]:
    return [device for plant in default_fixture()["plants"] for device in plant["devices"]]


def test_default_fixture_has_two_plants_and_a_varied_fleet() -> None:
    fixture = default_fixture()
    assert len(fixture["plants"]) == 2
    devices = _devices()
    serials = [d["device_sn"] for d in devices]
    assert len(serials) == len(set(serials)) == 14
    assert all(re.fullmatch(r"[A-Z0-9]{10}", serial) for serial in serials)
    assert {MIN, SPH} <= set(serials)
    assert sum(d["type"] == 7 for d in devices) >= 8
    assert sum(d["type"] == 5 for d in devices) >= 4
    assert [d["device_sn"] for d in devices if d["lost"]] == ["MIN0000008"]
    assert any(d["type"] == 7 and d["settings"] == {} for d in devices)  # non-hybrid MIN


def test_default_fixture_is_messy_but_valid() -> None:
    values = [(key, value) for d in _devices() if d["type"] == 7
              for key, value in d["settings"].items()
              if re.fullmatch(r"time\dMode|forced(TimeStart|TimeStop|StopSwitch)\d", key)]
    seen = {value for _, value in values}
    assert None in seen and "null" in seen and "" in seen
    # a disabled slot that keeps stale times
    stale = [d for d in _devices() if d["type"] == 7 and any(
        d["settings"].get(f"forcedStopSwitch{n}") == 0
        and d["settings"].get(f"forcedTimeStart{n}") not in ("0:0", "", "null", None)
        for n in range(1, 10))]
    assert stale
    # no two enabled slots of one device overlap: the fixture is something a device can hold
    for device in _devices():
        settings = device["settings"]
        windows = []
        for n in range(1, 10):
            if settings.get(f"forcedStopSwitch{n}") != 1:
                continue
            start = [int(x) for x in settings[f"forcedTimeStart{n}"].split(":")]
            stop = [int(x) for x in settings[f"forcedTimeStop{n}"].split(":")]
            windows.append((start[0] * 60 + start[1], stop[0] * 60 + stop[1]))
        for i, (a_start, a_end) in enumerate(windows):
            assert a_start <= a_end
            for b_start, b_end in windows[i + 1:]:
                assert a_end < b_start or b_end < a_start, device["device_sn"]


# ---- shapes ---------------------------------------------------------------------------
def test_plant_list_shape(sim: Any) -> None:
    data = api(sim, "plant/list", {"page": "", "perpage": "", "search_type": "",
                                   "search_keyword": ""})["data"]
    plant = data["plants"][0]
    assert plant["plant_id"] == 1185  # an integer
    assert isinstance(plant["current_power"], str) and isinstance(plant["total_energy"], str)
    assert {"name", "country", "city", "create_date", "status"} <= set(plant)


def test_plant_details_data_and_energy(sim: Any) -> None:
    details = api(sim, "plant/details", {"plant_id": PLANT})["data"]
    assert details["plant_id"] == 1185
    assert details["name"] == "Home"
    overview = api(sim, "plant/data", {"plant_id": PLANT})["data"]
    assert {"today_energy", "monthly_energy", "yearly_energy", "total_energy",
            "current_power"} <= set(overview)
    start = (date.today() - timedelta(days=2)).isoformat()
    energy = api(sim, "plant/energy", {"plant_id": PLANT, "start_date": start,
                                       "end_date": TODAY, "time_unit": "day", "page": "",
                                       "perpage": ""})["data"]
    assert energy["count"] == 3
    assert [row["date"] for row in energy["energys"]] == [
        (date.today() - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    again = api(sim, "plant/energy", {"plant_id": PLANT, "start_date": start,
                                      "end_date": TODAY, "time_unit": "day"})["data"]
    assert again == energy  # deterministic
    months = api(sim, "plant/energy", {"plant_id": PLANT, "start_date": "2026-01-01",
                                       "end_date": "2026-03-31", "time_unit": "month"})["data"]
    assert [row["date"] for row in months["energys"]] == ["2026-01", "2026-02", "2026-03"]
    for endpoint in ("plant/details", "plant/data", "plant/energy"):
        refused(api(sim, endpoint, {}), 10002)
        refused(api(sim, endpoint, {"plant_id": "4242"}), 10003)


def test_device_list_shape_and_paging(sim: Any) -> None:
    data = api(sim, "device/list", {"plant_id": "2210", "page": "", "perpage": ""})["data"]
    assert data["count"] == 12
    device = data["devices"][0]
    assert set(device) == {"device_sn", "device_id", "type", "model", "manufacturer",
                           "datalogger_sn", "lost", "status", "last_update_time"}
    assert isinstance(device["type"], int) and isinstance(device["lost"], bool)
    lost = {d["device_sn"] for d in data["devices"] if d["lost"]}
    assert lost == {"MIN0000008"}
    page = api(sim, "device/list", {"plant_id": "2210", "page": "2", "perpage": "5"})["data"]
    assert page["count"] == 12
    assert [d["device_sn"] for d in page["devices"]] == [
        d["device_sn"] for d in data["devices"][5:10]]
    refused(api(sim, "device/list", {"plant_id": "2210", "perpage": "101"}), 10013)


def test_tlx_data_info_carries_the_settings(sim: Any) -> None:
    body = api(sim, "device/tlx/tlx_data_info", {"device_sn": MIN})
    assert (body["device_sn"], body["dataloggerSn"]) == (MIN, "XGD1234567")
    data = body["data"]
    assert data["serialNum"] == MIN
    assert data["lost"] is False
    settings = api(sim, "device/tlx/tlx_set_info", {"device_sn": MIN})["data"]
    bean = dict(data["tlxSetbean"])
    bean.pop("sysTime")
    settings.pop("sysTime")
    assert bean == settings


def test_non_hybrid_min_has_empty_settings(sim: Any) -> None:
    body = api(sim, "device/tlx/tlx_set_info", {"device_sn": "MIN0000007"})
    assert body["error_code"] == 0
    assert body["data"] == {}


def test_tlx_last_data_shape(sim: Any) -> None:
    body = api(sim, "device/tlx/tlx_last_data", {"tlx_sn": MIN}, method="POST")
    assert body["error_code"] == 0
    assert (body["device_sn"], body["datalogger_sn"]) == (MIN, "XGD1234567")
    data = body["data"]
    for key in ("bdc1Soc", "ppv", "pac", "pself", "pacToUser", "pacToGrid", "pacToUserTotal",
                "pacToGridTotal", "bdc1ChargePower", "bdc1DischargePower"):
        assert isinstance(data[key], (int, float)), key
    assert 0 <= data["bdc1Soc"] <= 100
    assert time.strptime(data["time"], "%Y-%m-%d %H:%M:%S")
    assert data["lost"] is False
    refused(api(sim, "device/tlx/tlx_last_data", {"tlx_sn": "NOPE000000"}, method="POST"),
            10002)


def test_mix_last_data_shape(sim: Any) -> None:
    data = api(sim, "device/mix/mix_last_data", {"mix_sn": SPH}, method="POST")["data"]
    for key in ("soc", "ppv", "pacToUser", "pacToGrid", "pdisCharge1", "pcharge1"):
        assert isinstance(data[key], (int, float)), key
    assert data["lost"] is False


@pytest.mark.parametrize(("endpoint", "key", "serial"), [
    ("device/tlx/tlx_data", "tlx_sn", MIN), ("device/mix/mix_data", "mix_sn", SPH)])
def test_history_shape_and_paging(sim: Any, endpoint: str, key: str, serial: str) -> None:
    fields = {key: serial, "start_date": TODAY, "end_date": TODAY, "timezone_id": "",
              "page": "", "perpage": ""}
    data = api(sim, endpoint, fields, method="POST")["data"]
    assert data["count"] == 288  # a day of five-minute records
    assert data["device_sn"] == serial
    assert len(data["datas"]) == 20
    times = [row["time"] for row in data["datas"]]
    assert times == sorted(times, reverse=True)
    # absent optional fields are fine (requests drops None values)
    second = api(sim, endpoint, {key: serial, "start_date": TODAY, "end_date": TODAY,
                                 "page": "2", "perpage": "100"}, method="POST")["data"]
    assert len(second["datas"]) == 100
    assert data["datas"][0]["time"] == f"{TODAY} 23:55:00"
    assert second["datas"][0]["time"] == f"{TODAY} 15:35:00"  # record 101 of 288, newest first
    refused(api(sim, endpoint, {**fields, "perpage": "101"}, method="POST"), 10013)


def test_query_and_form_fields_merge_body_wins(sim: Any) -> None:
    # parameters may come in the query string of a POST; the form body wins on conflict
    url = sim.url + "tlxSet?tlx_sn=" + MIN + "&type=charge_power&param1=10"
    answer = requests.post(url, data={"param1": "42"}, headers={"token": "t"}, timeout=5)
    ok(answer.json())
    assert sim.raw_settings(MIN)["chargePowerCommand"] == 42
    # a GET with a form body (what the community client sends to plant/list)
    answer = requests.get(sim.url + "device/list", data={"plant_id": PLANT},
                          headers={"token": "t"}, timeout=5)
    assert answer.json()["data"]["count"] == 2
    refused(call(sim, "tlxSet", {}, method="POST").json(), 10004)


# ---- SPH write types ------------------------------------------------------------------
SPH_NAMED = [
    ("backflow_setting", ("1", "60"), {"exportLimit": 1, "exportLimitPowerRate": 60.0}),
    ("pv_on_off", ("0000",), {"onOff": 0}),
    ("pv_grid_voltage_high", ("255",), {"voltageHighLimit": 255.0}),
    ("pv_grid_voltage_low", ("190",), {"voltageLowLimit": 190.0}),
    ("pv_active_p_rate", ("80",), {"activeRate": 80}),
    ("pv_reactive_p_rate", ("15",), {"reactiveRate": 15}),
    ("pv_power_factor", ("-0.95",), {"powerFactor": -0.95}),
    ("mix_load_flast_value_multi", ("12",), {"wdisChargeSOCLowLimit1": 12}),
]


@pytest.mark.parametrize(("write_type", "params", "expected"), SPH_NAMED,
                         ids=[row[0] for row in SPH_NAMED])
def test_sph_named_write_updates_its_read_key(sim: Any, write_type: str,
                                              params: tuple[str, ...],
                                              expected: dict[str, Any]) -> None:
    before = sph_settings(sim)
    ok(mix_set(sim, write_type, *params))
    after = sph_settings(sim)
    changed = {k: after[k] for k in after if k != "sysTime" and after[k] != before.get(k)}
    assert changed == expected
    assert after.get(write_type, "") == ""  # a placeholder stays a placeholder
    read = api(sim, "readMixParam", {"device_sn": SPH, "paramId": write_type,
                                     "startAddr": "0", "endAddr": "0"}, method="POST")
    assert read["data"] == str(next(iter(expected.values())))


@pytest.mark.parametrize(("write_type", "value"), [
    ("mix_off_grid_enable", "1"), ("mix_ac_discharge_frequency", "1"),
    ("mix_ac_discharge_voltage", "2"), ("pv_pf_cmd_memory_state", "1"),
    ("mix_load_first_control", "1"), ("mix_single_export", "1")])
def test_sph_hidden_write_readable_by_read_parameter_only(sim: Any, write_type: str,
                                                         value: str) -> None:
    before = sph_settings(sim)
    read = api(sim, "readMixParam", {"device_sn": SPH, "paramId": write_type}, method="POST")
    assert read["data"] == "0"
    ok(mix_set(sim, write_type, value))
    after = sph_settings(sim)
    before.pop("sysTime")
    after.pop("sysTime")
    assert after == before
    read = api(sim, "readMixParam", {"device_sn": SPH, "paramId": write_type}, method="POST")
    assert read == {"data": value, "error_code": 0, "error_msg": ""}


@pytest.mark.parametrize(("write_type", "value"), [
    ("mix_off_grid_enable", "2"), ("mix_ac_discharge_frequency", "2"),
    ("mix_ac_discharge_voltage", "3"), ("pv_on_off", "1"), ("backflow_setting", "2"),
    ("pv_active_p_rate", "101"), ("pv_power_factor", "0.7"), ("pv_grid_voltage_high", "x")])
def test_sph_out_of_range_is_10008(sim: Any, write_type: str, value: str) -> None:
    refused(mix_set(sim, write_type, value), 10008)


def test_sph_empty_param_inside_the_schedule_is_10007(sim: Any) -> None:
    charge = ["100", "90", "1", "1", "0", "5", "0", "1", *["0"] * 10]
    for index in (2, 9, 17):  # stop SOC, a period-2 hour, the last switch
        params = list(charge)
        params[index] = ""
        refused(mix_set(sim, "mix_ac_charge_time_period", *params), 10007,
                f"error_param{index + 1}_empty")
    discharge = ["100", "20", "17", "0", "21", "0", "1", *["0"] * 10]
    params = list(discharge)
    params[16] = ""
    refused(mix_set(sim, "mix_ac_discharge_time_period", *params), 10007)
    # param18 is unused by the discharge write: absent or empty is fine (the community
    # client leaves it out)
    ok(mix_set(sim, "mix_ac_discharge_time_period", *discharge))
    assert sph_settings(sim)["wdisChargeSOCLowLimit2"] == 20


def test_sph_schedule_bad_values(sim: Any) -> None:
    base = ["100", "90", "1", "1", "0", "5", "0", "1", *["0"] * 10]
    for index, value, code in ((0, "101", 10008), (1, "-5", 10008), (2, "2", 10008),
                               (3, "24", 10009), (4, "60", 10009), (7, "3", 10008)):
        params = list(base)
        params[index] = value
        refused(mix_set(sim, "mix_ac_charge_time_period", *params), code)


def test_sph_set_any_reg(sim: Any) -> None:
    ok(mix_set(sim, "set_any_reg", "1044", "3"))
    read = api(sim, "readMixParam", {"device_sn": SPH, "paramId": "set_any_reg",
                                     "startAddr": "1044", "endAddr": "1044"}, method="POST")
    assert read["data"] == "3"


def test_sph_written_via_tlxset_and_min_via_mixset(sim: Any) -> None:
    refused(tlx_set(sim, "ac_charge", "1", serial=SPH), 10012, "error_device_not_exist")
    refused(mix_set(sim, "pv_on_off", "0001", serial=MIN), 10012, "error_device_not_exist")
    refused(mix_set(sim, "pv_on_off", "0001", serial=""), 10004)


def test_read_parameter_offline_and_lost_device(sim_factory: Callable[..., Any]) -> None:
    server = sim_factory(offline_code=10005)
    body = api(server, "readMinParam", {"device_sn": "MIN0000008", "paramId": "ac_charge"},
               method="POST")
    refused(body, 10005)
    refused(tlx_set(server, "ac_charge", "1", serial="MIN0000008"), 10005,
            "error_datalogger_offline")
    data = api(server, "device/tlx/tlx_last_data", {"tlx_sn": "MIN0000008"},
               method="POST")["data"]
    assert data["lost"] is True
