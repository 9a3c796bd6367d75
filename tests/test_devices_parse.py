"""Parsing settings reads into DeviceState: every quirk of spec 1.6, fixtures 7.1/7.2 verbatim."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.devices import min as min_family
from reconciler.devices import sph as sph_family
from reconciler.devices.params import MIN_PARAMS, SPH_PARAMS
from reconciler.devices.settings import decode_read_parameter
from reconciler.model import Period, Schedule, Segment
from tests.test_devices_fixtures import min_answer, sph_answer

OFF = Segment("load_first", "00:00", "00:00", False)
OFF_P = Period("00:00", "00:00", False)
UNKNOWN_TAIL = "is unknown and will not be used as the basis of a write"


def min_raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = min_answer()["data"]
    raw.update(changes)
    return raw


def sph_raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = sph_answer()["data"]
    raw.update(changes)
    return raw


def with_slot(n: int, mode: Any, start: Any, stop: Any, switch: Any) -> dict[str, Any]:
    return min_raw(**{f"time{n}Mode": mode, f"forcedTimeStart{n}": start,
                      f"forcedTimeStop{n}": stop, f"forcedStopSwitch{n}": switch})


def parse_min(raw: Any) -> Any:
    return min_family.parse("MIN1234567", raw)


# --------------------------------------------------------------------------- MIN: fixture 7.1


def test_min_fixture_7_1() -> None:
    state = parse_min(min_answer()["data"])
    assert (state.serial, state.family) == ("MIN1234567", "min")
    assert state.slots == {
        1: Segment("battery_first", "23:30", "23:59", True),
        2: Segment("battery_first", "00:00", "05:30", True),  # "0:0"-"5:30"
        3: Segment("grid_first", "17:00", "19:59", True),
        4: Segment("load_first", "10:00", "12:00", False),  # stale times kept, off
        5: OFF, 6: OFF, 7: OFF, 8: OFF,
        9: OFF,  # the "null" variant: mode, times and switch all "null": known, off
    }
    assert state.settings == {
        "ac_charge": True, "charge_power": 80, "charge_stop_soc": 100,
        "discharge_power": 100, "discharge_stop_soc": 10, "on_grid_discharge_stop_soc": 10,
        "export_limit": {"enabled": False, "percent": 0}, "active_power_rate": 100,
        "reactive_power_rate": 0, "power_factor": 1.0, "on_off": True,
        "grid_voltage_high": 253.0, "grid_voltage_low": 195.5,
    }
    assert state.clock == "2026-03-14 21:04:58"
    assert state.warnings == []


def test_min_placeholders_are_not_values() -> None:
    # "charge_power": "" etc. are placeholders (spec 1.6); the read keys decide
    state = parse_min(min_raw(charge_power="55", ac_charge="0"))
    assert state.settings["charge_power"] == 80 and state.settings["ac_charge"] is True


def test_parameters_without_read_keys_are_not_parsed() -> None:
    # read with read_parameter by the planner, never from the settings read
    state = parse_min(min_raw(tlx_off_grid_enable="1", tlx_ac_discharge_frequency="1"))
    assert "off_grid_enable" not in state.settings
    assert "off_grid_frequency" not in state.settings


# --------------------------------------------------------------------------- MIN: times


@pytest.mark.parametrize(("start", "stop", "expected"), [
    ("3:0", "5:30", ("03:00", "05:30")),
    ("03:00", "05:30", ("03:00", "05:30")),
    ("0:0", "0:5", ("00:00", "00:05")),
    ("18:0", "23:59", ("18:00", "23:59")),
    (" 3 : 7 ", "9:9", ("03:07", "09:09")),
])
def test_min_unpadded_and_padded_times(start: str, stop: str, expected: tuple[str, str]) -> None:
    state = parse_min(with_slot(4, 1, start, stop, 1))
    assert state.slots[4] == Segment("battery_first", *expected, True)


@pytest.mark.parametrize("unset", ["null", "", None, "NULL", " null ", "None"])
def test_min_disabled_slot_with_unset_times_is_known_off(unset: Any) -> None:
    state = parse_min(with_slot(5, 2, unset, unset, 0))
    assert state.slots[5] == Segment("grid_first", "00:00", "00:00", False)
    assert state.warnings == []


@pytest.mark.parametrize("unset", ["null", "", None])
def test_min_unset_switch_means_off(unset: Any) -> None:
    state = parse_min(with_slot(4, 1, "10:0", "12:0", unset))
    assert state.slots[4] == Segment("battery_first", "10:00", "12:00", False)


@pytest.mark.parametrize("unset", ["null", "", None])
def test_min_unset_mode_with_switch_0_is_load_first_off(unset: Any) -> None:
    state = parse_min(with_slot(6, unset, "6:0", "7:0", 0))
    assert state.slots[6] == Segment("load_first", "06:00", "07:00", False)
    assert state.warnings == []


def test_min_garbage_time_warning_names_the_field() -> None:
    raw = min_raw(forcedTimeStart4="11:187")  # slot 4 is the fixture's disabled slot
    state = parse_min(raw)
    assert state.slots[4] is None
    assert state.warnings == ["forcedTimeStart4 = '11:187' is not a time; slot 4 is unknown "
                              "and will not be used as the basis of a write"]
    assert state.slots[3] == Segment("grid_first", "17:00", "19:59", True)  # others intact


@pytest.mark.parametrize("key", ["forcedTimeStart3", "forcedTimeStop3"])
@pytest.mark.parametrize("garbage", ["11:187", "25:00", "noon", "12", 12, 7.5, [1], {"h": 1}])
def test_min_garbage_time_on_enabled_slot(key: str, garbage: Any) -> None:
    state = parse_min(min_raw(**{key: garbage}))
    assert state.slots[3] is None
    assert len(state.warnings) == 1
    assert state.warnings[0].startswith(f"{key} = {garbage!r} is not a time")
    assert state.warnings[0].endswith(f"slot 3 {UNKNOWN_TAIL}")


@pytest.mark.parametrize("key", ["forcedTimeStart1", "forcedTimeStop1"])
def test_min_enabled_slot_with_unset_time_is_unknown(key: str) -> None:
    state = parse_min(min_raw(**{key: "null"}))
    assert state.slots[1] is None
    assert state.warnings == [f"{key} is unset on enabled slot 1; slot 1 {UNKNOWN_TAIL}"]


def test_min_enabled_slot_ending_before_it_starts_is_unknown() -> None:
    state = parse_min(with_slot(5, 1, "22:0", "2:0", 1))
    assert state.slots[5] is None
    assert "ends (02:00) before it starts (22:00)" in state.warnings[0]
    # the same window, disabled, is a harmless stale value
    assert parse_min(with_slot(5, 1, "22:0", "2:0", 0)).slots[5] == Segment(
        "battery_first", "22:00", "02:00", False)


# --------------------------------------------------------------------------- MIN: numbers


@pytest.mark.parametrize(("mode", "name"), [
    (0, "load_first"), (1, "battery_first"), (2, "grid_first"), ("1", "battery_first"),
    ("2", "grid_first"), (1.0, "battery_first"), ("2.0", "grid_first"), (" 0 ", "load_first")])
def test_min_mode_forms(mode: Any, name: str) -> None:
    assert parse_min(with_slot(4, mode, "10:0", "12:0", 1)).slots[4] == Segment(
        name, "10:00", "12:00", True)


@pytest.mark.parametrize("switch", [1, "1", 1.0, "1.0"])
def test_min_switch_forms(switch: Any) -> None:
    assert parse_min(with_slot(4, 0, "10:0", "12:0", switch)).slots[4] == Segment(
        "load_first", "10:00", "12:00", True)


@pytest.mark.parametrize("enabled", [0, 1])
@pytest.mark.parametrize("mode", [3, "7", -1, 1.5, "abc", True, [1], {"m": 1}])
def test_min_garbage_mode_makes_the_slot_unknown(mode: Any, enabled: int) -> None:
    state = parse_min(with_slot(4, mode, "10:0", "12:0", enabled))
    assert state.slots[4] is None
    assert state.warnings == [f"time4Mode = {mode!r} is not a mode (0 load-first, "
                              f"1 battery-first, 2 grid-first); slot 4 {UNKNOWN_TAIL}"]


def test_min_unset_mode_on_enabled_slot_is_unknown() -> None:
    state = parse_min(with_slot(4, "null", "10:0", "12:0", 1))
    assert state.slots[4] is None
    assert state.warnings == [f"time4Mode is unset on enabled slot 4; slot 4 {UNKNOWN_TAIL}"]


@pytest.mark.parametrize("switch", [2, -1, "x", True, 0.5, "1.5", [1], {}])
def test_min_garbage_switch_makes_the_slot_unknown(switch: Any) -> None:
    state = parse_min(with_slot(6, 1, "6:0", "7:0", switch))
    assert state.slots[6] is None
    assert state.warnings == [f"forcedStopSwitch6 = {switch!r} is not 0 or 1; "
                              f"slot 6 {UNKNOWN_TAIL}"]


# --------------------------------------------------------------------------- MIN: missing data


@pytest.mark.parametrize("key", ["time7Mode", "forcedTimeStart7", "forcedTimeStop7",
                                 "forcedStopSwitch7"])
def test_min_missing_slot_key_is_unknown_never_zero(key: str) -> None:
    raw = min_raw()
    del raw[key]
    state = parse_min(raw)
    assert state.slots[7] is None
    assert state.warnings == [f"{key} missing from the read; slot 7 {UNKNOWN_TAIL}"]


@pytest.mark.parametrize("empty", [{}, None, [], "", 0])
def test_min_empty_data_is_all_unknown_with_one_warning(empty: Any) -> None:
    state = parse_min(empty)
    assert state.slots == dict.fromkeys(range(1, 10))
    assert state.settings == {}
    assert state.clock is None
    assert len(state.warnings) == 1
    assert state.warnings[0].startswith("the settings read carries no time-of-use data "
                                        "(non-hybrid MIN?)")


def test_min_read_without_slot_keys() -> None:
    state = parse_min({"chargePowerCommand": 80, "sysTime": "2026-03-14 21:04:58"})
    assert state.slots == dict.fromkeys(range(1, 10))
    assert state.settings == {"charge_power": 80}
    assert state.clock == "2026-03-14 21:04:58"
    assert state.warnings == ["the settings read carries no time-of-use data (non-hybrid "
                              "MIN?): its slots are unknown"]


@pytest.mark.parametrize("clock", [None, 0, {"time": 1}])
def test_min_clock_is_the_string_as_read_or_none(clock: Any) -> None:
    assert parse_min(min_raw(sysTime=clock)).clock is None


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("value", "expected"), [
    ("100.0", 100), (100.0, 100), ("80", 80), (" 80 ", 80), (0, 0), ("0", 0)])
def test_setting_number_forms(value: Any, expected: int) -> None:
    decoded = parse_min(min_raw(chargePowerCommand=value)).settings["charge_power"]
    assert decoded == expected and type(decoded) is int


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), (1, True), (1.0, True), ("1.0", True), ("0", False), (0, False)])
def test_flag_setting_forms(value: Any, expected: bool) -> None:
    assert parse_min(min_raw(acChargeEnable=value)).settings["ac_charge"] is expected


@pytest.mark.parametrize("unset", ["null", "", None])
def test_unset_setting_is_absent(unset: Any) -> None:
    state = parse_min(min_raw(chargePowerCommand=unset))
    assert "charge_power" not in state.settings
    assert state.warnings == []


def test_missing_setting_key_is_absent_never_zero() -> None:
    raw = min_raw()
    del raw["chargePowerCommand"]
    del raw["exportLimitPowerRate"]  # one of export_limit's two read keys
    settings = parse_min(raw).settings
    assert "charge_power" not in settings
    assert "export_limit" not in settings
    assert settings["discharge_power"] == 100


@pytest.mark.parametrize("garbage", ["eighty", "80.5", True, [80]])
def test_garbage_setting_is_absent_with_warning(garbage: Any) -> None:
    state = parse_min(min_raw(chargePowerCommand=garbage))
    assert "charge_power" not in state.settings
    assert len(state.warnings) == 1
    assert state.warnings[0].startswith(f"chargePowerCommand = {garbage!r} cannot be read")
    assert "charge_power is unknown" in state.warnings[0]


def test_decode_read_parameter() -> None:
    assert decode_read_parameter(MIN_PARAMS["charge_power"], "80") == 80
    assert decode_read_parameter(MIN_PARAMS["off_grid_enable"], "1") is True
    assert decode_read_parameter(MIN_PARAMS["off_grid_frequency"], "1") == 60
    assert decode_read_parameter(MIN_PARAMS["on_off"], "0001") is True
    assert decode_read_parameter(SPH_PARAMS["load_first_control"], "0") == "three_phase_sum"
    assert decode_read_parameter(MIN_PARAMS["off_grid_enable"], "") is None
    assert decode_read_parameter(MIN_PARAMS["off_grid_enable"], "null") is None
    with pytest.raises(ValueError, match="not"):
        decode_read_parameter(MIN_PARAMS["off_grid_enable"], "x")
    with pytest.raises(ValueError, match="unknown code"):
        decode_read_parameter(MIN_PARAMS["off_grid_frequency"], "7")


# --------------------------------------------------------------------------- other layers


@pytest.mark.parametrize(("key", "value"), [
    ("yearTime3", "1_6_0_8_0_1_1"), ("season2Time4", "2_0_17_0_19_0_1"),
    ("special1Time9", "0_0_1_0_2_0_1"), ("season4Time1", "1_0_6_0_10_50_1")])
def test_enabled_other_layer_entry_warns(key: str, value: str) -> None:
    state = parse_min(min_raw(**{key: value}))
    assert len(state.warnings) == 1
    assert f"{key}={value}" in state.warnings[0]
    assert "they can override what growatt-reconcile manages" in state.warnings[0]


def test_several_enabled_other_layer_entries_are_one_warning() -> None:
    state = parse_min(min_raw(yearTime1="2_0_6_0_10_50_1", season1Time1="1_0_1_0_2_0_1"))
    assert len(state.warnings) == 1
    assert "season1Time1=1_0_1_0_2_0_1" in state.warnings[0]
    assert "yearTime1=2_0_6_0_10_50_1" in state.warnings[0]


@pytest.mark.parametrize(("key", "value"), [
    ("yearTime3", "1_6_0_8_0_1_0"), ("yearTime3", "0_0_0_0_0_0_0"), ("yearTime3", ""),
    ("yearTime3", None), ("season1Time1", "0_0_0_0_0_0_0"), ("special1Time1", "0_0_0_0_0_0"),
    ("season1MonthTime", "0_0_1"), ("yearMonthTime", "1_1"), ("yearTime3", 1)])
def test_disabled_or_unrelated_layer_entries_do_not_warn(key: str, value: Any) -> None:
    assert parse_min(min_raw(**{key: value})).warnings == []


# --------------------------------------------------------------------------- SPH: fixture 7.2


def parse_sph(raw: Any) -> Any:
    return sph_family.parse("SPH7654321", raw)


def test_sph_fixture_7_2() -> None:
    state = parse_sph(sph_answer()["data"])
    assert (state.serial, state.family) == ("SPH7654321", "sph")
    # the read has no unsuffixed stop-SOC keys: the `...2` keys are used (spec 2.6)
    assert state.ac_charge == Schedule(100, 95, (Period("01:00", "05:00", True), OFF_P, OFF_P),
                                       from_grid=True)
    assert state.ac_discharge == Schedule(100, 20, (Period("17:00", "21:00", True), OFF_P,
                                                    OFF_P), from_grid=None)
    assert state.settings == {
        "export_limit": {"enabled": False, "percent": 0}, "load_first_stop_soc": 10,
        "active_power_rate": 100, "reactive_power_rate": 0, "power_factor": 1.0,
        "on_off": True, "grid_voltage_high": 263.0, "grid_voltage_low": 186.0,
    }
    assert state.slots == {}
    assert state.clock == "2026-03-14 21:04:31"
    assert state.warnings == []


def test_sph_unsuffixed_stop_soc_keys_come_first() -> None:
    state = parse_sph(sph_raw(wchargeSOCLowLimit="90", wdisChargeSOCLowLimit=15.0))
    assert state.ac_charge is not None and state.ac_charge.stop_soc == 90
    assert state.ac_discharge is not None and state.ac_discharge.stop_soc == 15


@pytest.mark.parametrize("unset", ["null", "", None])
def test_sph_unset_unsuffixed_stop_soc_falls_back_to_suffix_2(unset: Any) -> None:
    state = parse_sph(sph_raw(wchargeSOCLowLimit=unset, wdisChargeSOCLowLimit=unset))
    assert state.ac_charge is not None and state.ac_charge.stop_soc == 95
    assert state.ac_discharge is not None and state.ac_discharge.stop_soc == 20


def test_sph_garbage_unsuffixed_stop_soc_is_not_skipped() -> None:
    state = parse_sph(sph_raw(wchargeSOCLowLimit="ninety"))
    assert state.ac_charge is None
    assert state.warnings == ["wchargeSOCLowLimit = 'ninety' is not a whole number; the AC "
                              f"charge schedule {UNKNOWN_TAIL}"]


def test_sph_messy_values() -> None:
    raw = sph_raw(chargePowerCommand="100.0", acChargeEnable="0", wchargeSOCLowLimit2=95.0,
                  forcedChargeTimeStart2="02:05", forcedChargeTimeStop2="3:0",
                  forcedChargeStopSwitch2="1", forcedChargeTimeStart3="null",
                  forcedChargeTimeStop3="", forcedChargeStopSwitch3=None)
    assert parse_sph(raw).ac_charge == Schedule(
        100, 95, (Period("01:00", "05:00", True), Period("02:05", "03:00", True), OFF_P),
        from_grid=False)


@pytest.mark.parametrize("garbage", ["11:187", "x", [], 5])
def test_sph_garbage_time_makes_that_schedule_unknown(garbage: Any) -> None:
    state = parse_sph(sph_raw(forcedDischargeTimeStop3=garbage))  # a disabled period
    assert state.ac_discharge is None
    assert state.ac_charge is not None
    assert state.warnings == [f"forcedDischargeTimeStop3 = {garbage!r} is not a time; the AC "
                              f"discharge schedule {UNKNOWN_TAIL}"]


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("forcedChargeStopSwitch1", 2, "forcedChargeStopSwitch1 = 2 is not 0 or 1"),
    ("forcedChargeTimeStart1", "null", "forcedChargeTimeStart1 is unset on enabled period 1"),
    ("chargePowerCommand", "null", "chargePowerCommand is unset"),
    ("chargePowerCommand", [100], "chargePowerCommand = [100] is not a whole number"),
    ("acChargeEnable", 3, "acChargeEnable = 3 is not 0 or 1"),
    ("forcedChargeTimeStop1", "0:30", "enabled period 1 ends (00:30) before it starts (01:00)"),
])
def test_sph_unknown_charge_schedule(key: str, value: Any, problem: str) -> None:
    state = parse_sph(sph_raw(**{key: value}))
    assert state.ac_charge is None and state.ac_discharge is not None
    assert state.warnings == [f"{problem}; the AC charge schedule {UNKNOWN_TAIL}"]


@pytest.mark.parametrize("key", ["chargePowerCommand", "wchargeSOCLowLimit2", "acChargeEnable",
                                 "forcedChargeTimeStart2", "forcedChargeStopSwitch3"])
def test_sph_missing_key_makes_the_schedule_unknown(key: str) -> None:
    raw = sph_raw()
    del raw[key]
    state = parse_sph(raw)
    assert state.ac_charge is None
    assert state.warnings == [f"{key} is missing from the read; the AC charge schedule "
                              f"{UNKNOWN_TAIL}"]


@pytest.mark.parametrize("empty", [{}, None])
def test_sph_empty_data(empty: Any) -> None:
    state = parse_sph(empty)
    assert state.ac_charge is None and state.ac_discharge is None
    assert state.settings == {}
    assert len(state.warnings) == 1 and "no data" in state.warnings[0]


def test_sph_read_without_discharge_keys() -> None:
    raw = {k: v for k, v in sph_raw().items()
           if not k.startswith(("forcedDischarge", "disCharge", "wdisCharge"))}
    state = parse_sph(raw)
    assert state.ac_charge is not None and state.ac_discharge is None
    assert state.warnings == ["the settings read carries no AC discharge schedule; it is "
                              "unknown"]
