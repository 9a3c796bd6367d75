"""Unit tests of the device families: parsing settings reads, planning writes, applying them.

Pure: no HTTP. The raw reads come from the simulator's spec fixtures (spec 7.1, 7.2).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.devices import min as min_family
from reconciler.devices import sph as sph_family
from reconciler.model import (
    DesiredDevice,
    DeviceState,
    Operation,
    Period,
    Schedule,
    Segment,
    WantedSegment,
)
from reconciler.timeofday import to_minutes

FIXTURES = Path(min_family.__file__).resolve().parent.parent / "sim" / "fixtures"
SPEC = json.loads((FIXTURES / "spec_devices.json").read_text())
MIN_RAW: dict[str, Any] = SPEC["MIN1234567"]
SPH_RAW: dict[str, Any] = SPEC["SPH7654321"]

OFF = Segment("load_first", "00:00", "00:00", False)


def min_raw() -> dict[str, Any]:
    return copy.deepcopy(MIN_RAW)


def sph_raw() -> dict[str, Any]:
    return copy.deepcopy(SPH_RAW)


def slot_keys(raw: dict[str, Any], n: int, mode: Any, start: Any, stop: Any,
              switch: Any) -> dict[str, Any]:
    raw.update({f"time{n}Mode": mode, f"forcedTimeStart{n}": start,
                f"forcedTimeStop{n}": stop, f"forcedStopSwitch{n}": switch})
    return raw


def min_state(slots: dict[int, Segment | None], settings: dict[str, Any] | None = None
              ) -> DeviceState:
    full: dict[int, Segment | None] = {n: OFF for n in range(1, 10)}
    full.update(slots)
    return DeviceState(serial="MIN1", family="min", slots=full, settings=dict(settings or {}))


def min_desired(segments: list[WantedSegment] | None,
                settings: dict[str, Any] | None = None) -> DesiredDevice:
    return DesiredDevice(name="garage", serial="MIN1", family="min", time_segments=segments,
                         settings=dict(settings or {}))


def enabled_overlaps(slots: dict[int, Segment | None]) -> list[tuple[int, int]]:
    on = [(n, s) for n, s in sorted(slots.items()) if s is not None and s.enabled]
    return [(a, b) for i, (a, x) in enumerate(on) for b, y in on[i + 1:]
            if to_minutes(x.start) <= to_minutes(y.end)
            and to_minutes(y.start) <= to_minutes(x.end)]


def run_min(state: DeviceState, ops: list[Operation]) -> list[DeviceState]:
    states = [state]
    for op in ops:
        states.append(min_family.apply(states[-1], op))
    return states


GARAGE = min_desired(
    [WantedSegment("battery_first", "23:30", "23:59",
                   origin="23:30-05:30 (split at midnight, part 1 of 2)"),
     WantedSegment("battery_first", "00:00", "05:30",
                   origin="23:30-05:30 (split at midnight, part 2 of 2)")],
    {"charge_power": 80, "discharge_stop_soc": 10})


# --------------------------------------------------------------------------- MIN parse


def test_parse_spec_min_fixture_exactly() -> None:
    state = min_family.parse("MIN1234567", MIN_RAW)
    assert state.serial == "MIN1234567"
    assert state.family == "min"
    assert state.slots == {
        1: Segment("battery_first", "23:30", "23:59", True),
        2: Segment("battery_first", "00:00", "05:30", True),
        3: Segment("grid_first", "17:00", "19:59", True),
        4: Segment("load_first", "10:00", "12:00", False),
        5: OFF, 6: OFF, 7: OFF, 8: OFF,
        9: OFF,  # all four keys "null": known, disabled
    }
    assert state.settings == {
        "ac_charge": True,
        "charge_power": 80,
        "charge_stop_soc": 100,
        "discharge_power": 100,
        "discharge_stop_soc": 10,
        "on_grid_discharge_stop_soc": 10,
        "export_limit": {"enabled": False, "percent": 0},
        "active_power_rate": 100,
        "reactive_power_rate": 0,
        "power_factor": 1.0,
        "on_off": True,
        "grid_voltage_high": 253.0,
        "grid_voltage_low": 195.5,
    }
    assert state.clock == "2026-03-14 21:04:58"
    assert state.warnings == []


def test_parse_spec_sph_fixture_exactly() -> None:
    state = sph_family.parse("SPH7654321", SPH_RAW)
    assert state.family == "sph"
    off = Period("00:00", "00:00", False)
    # no unsuffixed stop-SOC key in the read: the `...2` keys are used
    assert state.ac_charge == Schedule(100, 95, (Period("01:00", "05:00", True), off, off),
                                       from_grid=True)
    assert state.ac_discharge == Schedule(100, 20, (Period("17:00", "21:00", True), off, off),
                                          from_grid=None)
    assert state.settings == {
        "export_limit": {"enabled": False, "percent": 0},
        "load_first_stop_soc": 10,
        "active_power_rate": 100,
        "reactive_power_rate": 0,
        "power_factor": 1.0,
        "on_off": True,
        "grid_voltage_high": 263.0,
        "grid_voltage_low": 186.0,
    }
    assert state.clock == "2026-03-14 21:04:31"
    assert state.warnings == []


def test_parse_default_fixture_devices() -> None:
    default = json.loads((FIXTURES / "default.json").read_text())
    seen = 0
    for plant in default["plants"]:
        for device in plant["devices"]:
            family = {7: min_family, 5: sph_family}.get(device["type"])
            if family is None or "settings" not in device:
                continue
            state = family.parse(device["device_sn"], device["settings"])
            assert state.serial == device["device_sn"]
            seen += 1
    assert seen >= 1


@pytest.mark.parametrize(("start", "stop", "expected"), [
    ("3:0", "5:30", ("03:00", "05:30")),
    ("03:00", "05:30", ("03:00", "05:30")),
    ("0:0", "0:5", ("00:00", "00:05")),
    (" 3 : 7 ", "23:59", ("03:07", "23:59")),
])
def test_parse_time_padding(start: str, stop: str, expected: tuple[str, str]) -> None:
    raw = slot_keys(min_raw(), 4, 1, start, stop, 1)
    state = min_family.parse("M", raw)
    assert state.slots[4] == Segment("battery_first", *expected, True)


@pytest.mark.parametrize("unset", ["null", "", None, "NULL", "None"])
def test_disabled_slot_with_unset_times_is_known_disabled(unset: Any) -> None:
    raw = slot_keys(min_raw(), 4, 0, unset, unset, 0)
    state = min_family.parse("M", raw)
    assert state.slots[4] is not None
    assert state.slots[4].enabled is False
    assert state.warnings == []


@pytest.mark.parametrize("unset", ["null", "", None])
def test_unset_switch_means_disabled(unset: Any) -> None:
    raw = slot_keys(min_raw(), 4, 1, "10:0", "12:0", unset)
    state = min_family.parse("M", raw)
    assert state.slots[4] == Segment("battery_first", "10:00", "12:00", False)


@pytest.mark.parametrize("key", ["forcedTimeStart4", "forcedTimeStop4"])
def test_disabled_slot_with_garbage_time_is_unknown(key: str) -> None:
    # set but garbage: the read is not trustworthy there, even on a disabled slot
    raw = slot_keys(min_raw(), 4, 2, "10:0", "12:0", 0)
    raw[key] = "11:187"
    state = min_family.parse("M", raw)
    assert state.slots[4] is None
    assert any(key in w and "11:187" in w for w in state.warnings)


def test_enabled_slot_ending_before_it_starts_is_unknown() -> None:
    raw = slot_keys(min_raw(), 4, 1, "22:0", "2:0", 1)
    state = min_family.parse("M", raw)
    assert state.slots[4] is None
    assert any("slot 4" in w for w in state.warnings)


def test_disabled_slot_ending_before_it_starts_is_known() -> None:
    raw = slot_keys(min_raw(), 4, 1, "22:0", "2:0", 0)
    assert min_family.parse("M", raw).slots[4] == Segment("battery_first", "22:00", "02:00",
                                                          False)


@pytest.mark.parametrize("key", ["forcedTimeStart5", "forcedTimeStop5"])
def test_enabled_slot_with_garbage_time_is_unknown_with_warning(key: str) -> None:
    raw = slot_keys(min_raw(), 5, 1, "6:0", "7:0", 1)
    raw[key] = "11:187"
    state = min_family.parse("M", raw)
    assert state.slots[5] is None
    assert any(key in w and "11:187" in w for w in state.warnings), state.warnings
    # the other slots are unaffected
    assert state.slots[1] == Segment("battery_first", "23:30", "23:59", True)


def test_enabled_slot_with_unset_time_is_unknown_with_warning() -> None:
    raw = slot_keys(min_raw(), 5, 1, "null", "7:0", 1)
    state = min_family.parse("M", raw)
    assert state.slots[5] is None
    assert any("slot 5" in w for w in state.warnings)


@pytest.mark.parametrize("switch", [2, "x", True, 0.5])
def test_garbage_switch_is_unknown_with_warning(switch: Any) -> None:
    raw = slot_keys(min_raw(), 6, 1, "6:0", "7:0", switch)
    state = min_family.parse("M", raw)
    assert state.slots[6] is None
    assert any("forcedStopSwitch6" in w for w in state.warnings)


@pytest.mark.parametrize(("mode", "name"), [("1", "battery_first"), (1.0, "battery_first"),
                                            (1, "battery_first"), ("2", "grid_first"),
                                            (0.0, "load_first"), ("0", "load_first")])
def test_mode_string_and_float(mode: Any, name: str) -> None:
    raw = slot_keys(min_raw(), 4, mode, "10:0", "12:0", "1")
    state = min_family.parse("M", raw)
    assert state.slots[4] == Segment(name, "10:00", "12:00", True)


@pytest.mark.parametrize("switch", ["1", 1.0, "1.0"])
def test_switch_string_and_float(switch: Any) -> None:
    raw = slot_keys(min_raw(), 4, 0, "10:0", "12:0", switch)
    assert min_family.parse("M", raw).slots[4] == Segment("load_first", "10:00", "12:00", True)


@pytest.mark.parametrize("mode", [3, "7", -1, 1.5, "abc", "null"])
def test_enabled_slot_with_bad_or_unset_mode_is_unknown(mode: Any) -> None:
    raw = slot_keys(min_raw(), 4, mode, "10:0", "12:0", 1)
    state = min_family.parse("M", raw)
    assert state.slots[4] is None
    assert any("time4Mode" in w or "slot 4" in w for w in state.warnings)


@pytest.mark.parametrize("mode", ["abc", 7])
def test_disabled_slot_with_garbage_mode_is_unknown(mode: Any) -> None:
    raw = slot_keys(min_raw(), 4, mode, "10:0", "12:0", 0)
    state = min_family.parse("M", raw)
    assert state.slots[4] is None
    assert any("time4Mode" in w for w in state.warnings)


@pytest.mark.parametrize("unset", ["null", "", None])
def test_disabled_slot_with_unset_mode_is_load_first(unset: Any) -> None:
    raw = slot_keys(min_raw(), 4, unset, "10:0", "12:0", 0)
    assert min_family.parse("M", raw).slots[4] == Segment("load_first", "10:00", "12:00",
                                                          False)


@pytest.mark.parametrize(("raw_value", "expected"), [("100.0", 100), (100.0, 100),
                                                     ("80", 80), (" 80 ", 80), (0, 0)])
def test_setting_number_forms(raw_value: Any, expected: int) -> None:
    raw = min_raw()
    raw["chargePowerCommand"] = raw_value
    value = min_family.parse("M", raw).settings["charge_power"]
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize("raw_value", ["1", 1, 1.0, "1.0"])
def test_flag_setting_forms(raw_value: Any) -> None:
    raw = min_raw()
    raw["acChargeEnable"] = raw_value
    assert min_family.parse("M", raw).settings["ac_charge"] is True


def test_missing_key_is_absent_never_zero() -> None:
    raw = min_raw()
    del raw["chargePowerCommand"]
    raw["wdisChargeSOCLowLimit"] = "null"
    raw["acChargeEnable"] = ""
    settings = min_family.parse("M", raw).settings
    assert "charge_power" not in settings
    assert "discharge_stop_soc" not in settings
    assert "ac_charge" not in settings
    # placeholders named after write types are not read as values
    assert "charge_stop_soc" in settings and settings["charge_stop_soc"] == 100


def test_garbage_setting_is_absent_with_warning() -> None:
    raw = min_raw()
    raw["chargePowerCommand"] = "eighty"
    state = min_family.parse("M", raw)
    assert "charge_power" not in state.settings
    assert any("chargePowerCommand" in w for w in state.warnings)


@pytest.mark.parametrize("keys", [("time7Mode",), ("forcedTimeStop7",),
                                  ("time7Mode", "forcedTimeStart7", "forcedTimeStop7",
                                   "forcedStopSwitch7")])
def test_missing_slot_keys_mean_unknown_slot(keys: tuple[str, ...]) -> None:
    raw = min_raw()
    for key in keys:
        del raw[key]
    state = min_family.parse("M", raw)
    assert state.slots[7] is None
    assert any(keys[0] in w and "slot 7" in w for w in state.warnings)
    assert state.slots[6] is not None


@pytest.mark.parametrize("empty", [{}, None, []])
def test_empty_data_all_slots_unknown_with_warning(empty: Any) -> None:
    state = min_family.parse("M", empty)
    assert state.slots == dict.fromkeys(range(1, 10))
    assert state.settings == {}
    assert state.clock is None
    assert len(state.warnings) == 1
    assert "no time-of-use data" in state.warnings[0] and "unknown" in state.warnings[0]


def test_read_without_slots_warns() -> None:
    state = min_family.parse("M", {"chargePowerCommand": 80})
    assert all(s is None for s in state.slots.values())
    assert state.settings == {"charge_power": 80}
    assert len(state.warnings) == 1 and "no time-of-use data" in state.warnings[0]


def test_enabled_year_time_entry_warns() -> None:
    raw = min_raw()
    raw["yearTime3"] = "1_6_0_8_0_1_1"
    state = min_family.parse("M", raw)
    assert len(state.warnings) == 1
    assert "yearTime3=1_6_0_8_0_1_1" in state.warnings[0]


def test_disabled_year_time_entries_do_not_warn() -> None:
    raw = min_raw()
    raw["yearTime3"] = "1_6_0_8_0_1_0"
    raw["season1Time1"] = "0_0_0_0_0_0_0"
    assert min_family.parse("M", raw).warnings == []


# --------------------------------------------------------------------------- SPH parse


def test_sph_unsuffixed_stop_soc_preferred_over_suffix_2() -> None:
    raw = sph_raw()
    raw["wchargeSOCLowLimit"] = "90"
    raw["wdisChargeSOCLowLimit"] = 15.0
    state = sph_family.parse("S", raw)
    assert state.ac_charge is not None and state.ac_charge.stop_soc == 90
    assert state.ac_discharge is not None and state.ac_discharge.stop_soc == 15


def test_sph_unset_unsuffixed_stop_soc_falls_back_to_suffix_2() -> None:
    raw = sph_raw()
    raw["wchargeSOCLowLimit"] = "null"
    raw["wdisChargeSOCLowLimit"] = ""
    state = sph_family.parse("S", raw)
    assert state.ac_charge is not None and state.ac_charge.stop_soc == 95
    assert state.ac_discharge is not None and state.ac_discharge.stop_soc == 20


def test_sph_messy_values() -> None:
    raw = sph_raw()
    raw.update({"chargePowerCommand": "100.0", "acChargeEnable": "0",
                "forcedChargeTimeStart2": "02:05", "forcedChargeTimeStop2": "3:0",
                "forcedChargeStopSwitch2": "1", "forcedChargeTimeStart3": "null",
                "forcedChargeTimeStop3": "", "forcedChargeStopSwitch3": None})
    charge = sph_family.parse("S", raw).ac_charge
    assert charge == Schedule(100, 95, (Period("01:00", "05:00", True),
                                        Period("02:05", "03:00", True),
                                        Period("00:00", "00:00", False)), from_grid=False)


def test_sph_enabled_garbage_time_makes_schedule_unknown() -> None:
    raw = sph_raw()
    raw["forcedDischargeTimeStop1"] = "11:187"
    state = sph_family.parse("S", raw)
    assert state.ac_discharge is None
    assert state.ac_charge is not None
    assert any("forcedDischargeTimeStop1" in w and "11:187" in w for w in state.warnings)


def test_sph_missing_power_makes_schedule_unknown() -> None:
    raw = sph_raw()
    del raw["chargePowerCommand"]
    state = sph_family.parse("S", raw)
    assert state.ac_charge is None
    assert any("AC charge" in w for w in state.warnings)


def test_sph_empty_data() -> None:
    state = sph_family.parse("S", {})
    assert state.ac_charge is None and state.ac_discharge is None
    assert state.settings == {}
    assert len(state.warnings) == 1


# --------------------------------------------------------------------------- MIN plan


def test_garage_against_spec_fixture_needs_one_write() -> None:
    current = min_family.parse("MIN1234567", MIN_RAW)
    ops = min_family.plan(current, GARAGE)
    assert ops == [Operation(endpoint="tlxSet", type="time_segment3",
                             params=("2", "17", "0", "19", "59", "0"),
                             path="time_segments.3", summary=ops[0].summary)]
    assert "slot 3" in ops[0].summary and "disable" in ops[0].summary
    after = min_family.apply(current, ops[0])
    assert min_family.plan(after, GARAGE) == []


def test_garage_from_empty_device() -> None:
    current = min_state({})
    ops = min_family.plan(current, GARAGE)
    assert {(op.type, op.params) for op in ops[:2]} == {
        ("time_segment1", ("1", "23", "30", "23", "59", "1")),
        ("time_segment2", ("1", "0", "0", "5", "30", "1"))} or {
        ("time_segment1", ("1", "0", "0", "5", "30", "1")),
        ("time_segment2", ("1", "23", "30", "23", "59", "1"))}
    assert [(op.type, op.params) for op in ops[2:]] == [("charge_power", ("80",)),
                                                        ("discharge_stop_soc", ("10",))]
    assert all("split at midnight" in op.summary for op in ops[:2])
    states = run_min(current, ops)
    assert min_family.plan(states[-1], GARAGE) == []


def test_slot_already_holding_wanted_segment_is_reused() -> None:
    current = min_state({7: Segment("battery_first", "00:00", "05:30", True),
                         2: Segment("grid_first", "06:00", "07:00", True)})
    desired = min_desired([WantedSegment("battery_first", "00:00", "05:30")])
    ops = min_family.plan(current, desired)
    assert [(op.type, op.params[-1]) for op in ops] == [("time_segment2", "0")]


def test_wanted_segment_goes_to_must_change_slot() -> None:
    current = min_state({5: Segment("grid_first", "06:00", "07:00", True)})
    desired = min_desired([WantedSegment("battery_first", "01:00", "02:00")])
    ops = min_family.plan(current, desired)
    assert [(op.type, op.params) for op in ops] == [
        ("time_segment5", ("1", "1", "0", "2", "0", "1"))]


def test_stale_disabled_slots_are_not_rewritten() -> None:
    current = min_state({4: Segment("grid_first", "10:00", "12:00", False),
                         6: Segment("battery_first", "03:17", "08:44", False)})
    assert min_family.plan(current, min_desired([])) == []


def test_disabled_slot_with_same_window_is_enabled_with_one_write() -> None:
    current = min_state({4: Segment("grid_first", "10:00", "12:00", False)})
    desired = min_desired([WantedSegment("grid_first", "10:00", "12:00")])
    ops = min_family.plan(current, desired)
    assert len(ops) == 1 and ops[0].params == ("2", "10", "0", "12", "0", "1")


def test_enabled_slots_not_in_file_are_disabled_keeping_their_times() -> None:
    current = min_state({3: Segment("grid_first", "17:00", "19:59", True)})
    ops = min_family.plan(current, min_desired([]))
    assert [(op.type, op.params) for op in ops] == [
        ("time_segment3", ("2", "17", "0", "19", "59", "0"))]


def test_time_segments_absent_means_slots_unmanaged() -> None:
    current = min_state({3: Segment("grid_first", "17:00", "19:59", True)})
    assert min_family.plan(current, min_desired(None)) == []
    assert "time_segments" not in min_family.view(current, min_desired(None))


def test_pinned_segment_goes_to_its_slot() -> None:
    current = min_state({})
    desired = min_desired([WantedSegment("grid_first", "17:00", "19:59", slot=8)])
    ops = min_family.plan(current, desired)
    assert [(op.type, op.params) for op in ops] == [
        ("time_segment8", ("2", "17", "0", "19", "59", "1"))]


def test_pinned_segment_moves_even_if_held_elsewhere() -> None:
    current = min_state({2: Segment("grid_first", "17:00", "19:59", True)})
    desired = min_desired([WantedSegment("grid_first", "17:00", "19:59", slot=8)])
    ops = min_family.plan(current, desired)
    assert [op.type for op in ops] == ["time_segment2", "time_segment8"]
    assert ops[0].params[-1] == "0"  # disable first: the two would overlap
    for state in run_min(current, ops):
        assert enabled_overlaps(state.slots) == []


def test_pinned_disabled_segment_is_written_exactly() -> None:
    current = min_state({3: Segment("grid_first", "17:00", "19:59", False)})
    desired = min_desired([WantedSegment("load_first", "00:00", "00:00", enabled=False,
                                         slot=3)])
    ops = min_family.plan(current, desired)
    assert [(op.type, op.params) for op in ops] == [
        ("time_segment3", ("0", "0", "0", "0", "0", "0"))]


def test_blocking_cycle_costs_one_extra_disable() -> None:
    current = min_state({1: Segment("load_first", "01:00", "02:00", True),
                         2: Segment("load_first", "03:00", "04:00", True)})
    desired = min_desired([WantedSegment("battery_first", "03:30", "03:45", slot=1),
                           WantedSegment("battery_first", "01:30", "01:45", slot=2)])
    ops = min_family.plan(current, desired)
    assert len(ops) == 3
    assert ops[0].params[-1] == "0"
    assert "disable first" in ops[0].summary
    states = run_min(current, ops)
    for state in states:
        assert enabled_overlaps(state.slots) == []
    assert states[-1].slots[1] == Segment("battery_first", "03:30", "03:45", True)
    assert states[-1].slots[2] == Segment("battery_first", "01:30", "01:45", True)
    assert min_family.plan(states[-1], desired) == []


def test_blocking_chain_is_ordered_without_extra_writes() -> None:
    # slot 1 must move onto slot 2's old window; slot 2 moves elsewhere: no cycle
    current = min_state({1: Segment("load_first", "01:00", "02:00", True),
                         2: Segment("load_first", "03:00", "04:00", True)})
    desired = min_desired([WantedSegment("battery_first", "03:30", "03:45", slot=1),
                           WantedSegment("battery_first", "05:00", "06:00", slot=2)])
    ops = min_family.plan(current, desired)
    assert [op.type for op in ops] == ["time_segment2", "time_segment1"]
    for state in run_min(current, ops):
        assert enabled_overlaps(state.slots) == []


def test_unknown_slots_are_never_overwritten() -> None:
    current = min_state({n: None for n in range(2, 10)})
    current.slots[1] = OFF
    desired = min_desired([WantedSegment("battery_first", "01:00", "02:00"),
                           WantedSegment("battery_first", "03:00", "04:00")])
    with pytest.raises(min_family.NoRoomError):
        min_family.plan(current, desired)
    ops = min_family.plan(current, min_desired(desired.time_segments[:1]))
    assert [op.type for op in ops] == ["time_segment1"]


def test_view_hides_stale_times_of_disabled_slots() -> None:
    a = min_state({4: Segment("grid_first", "10:00", "12:00", False)})
    b = min_state({})
    desired = min_desired([])
    assert min_family.view(a, desired) == min_family.view(b, desired)
    pinned = min_desired([WantedSegment("load_first", "00:00", "00:00", False, slot=4)])
    assert min_family.view(a, pinned) != min_family.view(b, pinned)


# --------------------------------------------------------------------------- operations


def test_time_segment_operation_params_match_spec() -> None:
    # spec 2.7 example: segment 1 = battery-first 23:30-23:59 enabled
    ops = min_family.plan(min_state({}),
                          min_desired([WantedSegment("battery_first", "23:30", "23:59", slot=1)]))
    assert ops == [Operation("tlxSet", "time_segment1", ("1", "23", "30", "23", "59", "1"),
                             "time_segments.1", ops[0].summary)]
    ops = min_family.plan(min_state({}),
                          min_desired([WantedSegment("grid_first", "03:05", "09:00", slot=9)]))
    assert ops[0].params == ("2", "3", "5", "9", "0", "1")  # unpadded
    assert all(isinstance(p, str) for p in ops[0].params)


@pytest.mark.parametrize(("name", "value", "write_type", "params"), [
    ("ac_charge", True, "ac_charge", ("1",)),
    ("charge_power", 55, "charge_power", ("55",)),
    ("on_off", False, "tlx_on_off", ("0000",)),
    ("export_limit", {"enabled": True, "percent": 50}, "backflow_setting", ("1", "50")),
    ("grid_voltage_high", 253.5, "pv_grid_voltage_high", ("253.5",)),
    ("off_grid_frequency", 60, "tlx_ac_discharge_frequency", ("1",)),
])
def test_setting_operation_wire_form(name: str, value: Any, write_type: str,
                                     params: tuple[str, ...]) -> None:
    ops = min_family.plan(min_state({}), min_desired(None, {name: value}))
    assert len(ops) == 1
    assert (ops[0].endpoint, ops[0].type, ops[0].params, ops[0].path) == (
        "tlxSet", write_type, params, f"settings.{name}")
    after = min_family.apply(min_state({}), ops[0])
    assert after.settings[name] == value
    assert min_family.plan(after, min_desired(None, {name: value})) == []


def test_dangerous_setting_operation_is_marked() -> None:
    ops = min_family.plan(min_state({}), min_desired(None, {"on_off": True}))
    assert ops[0].dangerous
    ops = min_family.plan(min_state({}), min_desired(None, {"charge_power": 1}))
    assert not ops[0].dangerous


# --------------------------------------------------------------------------- settings


def test_settings_string_one_equals_true() -> None:
    raw = min_raw()
    raw["acChargeEnable"] = "1"
    state = min_family.parse("M", raw)
    assert min_family.plan(state, min_desired(None, {"ac_charge": True})) == []
    ops = min_family.plan(state, min_desired(None, {"ac_charge": False}))
    assert [op.params for op in ops] == [("0",)]


def test_settings_float_equals_int() -> None:
    raw = min_raw()
    raw["chargePowerCommand"] = 80.0
    state = min_family.parse("M", raw)
    assert min_family.plan(state, min_desired(None, {"charge_power": 80})) == []
    raw["voltageHighLimit"] = "253"
    state = min_family.parse("M", raw)
    assert min_family.plan(state, min_desired(None, {"grid_voltage_high": 253.0})) == []


def test_settings_unknown_current_is_written() -> None:
    raw = min_raw()
    del raw["chargePowerCommand"]
    state = min_family.parse("M", raw)
    ops = min_family.plan(state, min_desired(None, {"charge_power": 80}))
    assert [(op.type, op.params) for op in ops] == [("charge_power", ("80",))]
    assert "unknown" in ops[0].summary
    # a setting read with read_parameter is never in the settings read: always written
    ops = min_family.plan(state, min_desired(None, {"off_grid_enable": True}))
    assert [op.type for op in ops] == ["tlx_off_grid_enable"]


def test_settings_only_listed_are_managed_and_sorted() -> None:
    state = min_family.parse("M", MIN_RAW)
    desired = min_desired(None, {"discharge_power": 50, "charge_power": 50,
                                 "charge_stop_soc": 100})
    assert [op.type for op in min_family.plan(state, desired)] == ["charge_power",
                                                                   "discharge_power"]
    view = min_family.view(state, desired)
    assert view == {"settings": {"charge_power": 80, "charge_stop_soc": 100,
                                 "discharge_power": 100}}


# --------------------------------------------------------------------------- SPH plan

OFF_P = Period("00:00", "00:00", False)


def sph_desired(charge: Schedule | None, discharge: Schedule | None,
                settings: dict[str, Any] | None = None) -> DesiredDevice:
    return DesiredDevice(name="shed", serial="SPH7654321", family="sph", ac_charge=charge,
                         ac_discharge=discharge, settings=dict(settings or {}))


SHED = sph_desired(Schedule(100, 95, (Period("01:00", "05:00", True),), from_grid=True),
                   Schedule(100, 20, (Period("17:00", "21:00", True),)))


def sph_overlap(state: DeviceState) -> bool:
    if state.ac_charge is None or state.ac_discharge is None:
        return False
    return any(to_minutes(a.start) <= to_minutes(b.end) and to_minutes(b.start) <= to_minutes(a.end)
               for a in state.ac_charge.periods if a.enabled
               for b in state.ac_discharge.periods if b.enabled)


def run_sph(state: DeviceState, ops: list[Operation]) -> list[DeviceState]:
    states = [state]
    for op in ops:
        states.append(sph_family.apply(states[-1], op))
    return states


def test_sph_shed_matches_spec_fixture() -> None:
    assert sph_family.plan(sph_family.parse("SPH7654321", SPH_RAW), SHED) == []


def test_sph_one_changed_period_is_one_whole_schedule_write() -> None:
    current = sph_family.parse("SPH7654321", SPH_RAW)
    desired = sph_desired(Schedule(100, 95, (Period("01:00", "05:00", True),
                                             Period("06:00", "07:30", True)), from_grid=True),
                          SHED.ac_discharge)
    ops = sph_family.plan(current, desired)
    assert len(ops) == 1
    op = ops[0]
    assert (op.endpoint, op.type, op.path) == ("mixSet", "mix_ac_charge_time_period",
                                               "ac_charge")
    assert op.params == ("100", "95", "1",
                         "1", "0", "5", "0", "1",
                         "6", "0", "7", "30", "1",
                         "0", "0", "0", "0", "0")
    assert len(op.params) == 18
    after = sph_family.apply(current, op)
    assert sph_family.plan(after, desired) == []


def test_sph_unchanged_periods_keep_their_place() -> None:
    current = sph_family.parse("S", SPH_RAW)
    current.ac_charge = Schedule(100, 95, (OFF_P, Period("01:00", "05:00", True),
                                           Period("22:00", "23:00", True)), from_grid=True)
    desired = sph_desired(Schedule(100, 95, (Period("06:00", "07:00", True),
                                             Period("01:00", "05:00", True)), from_grid=True),
                          None)
    ops = sph_family.plan(current, desired)
    assert len(ops) == 1
    # period 2 stays; the new one goes to period 3 (must change anyway), period 1 stays off
    assert ops[0].params[3:] == ("0", "0", "0", "0", "0",
                                 "1", "0", "5", "0", "1",
                                 "6", "0", "7", "0", "1")


def test_sph_discharge_params_layout() -> None:
    current = sph_family.parse("S", SPH_RAW)
    desired = sph_desired(None, Schedule(90, 25, (Period("17:00", "21:00", True),)))
    ops = sph_family.plan(current, desired)
    assert len(ops) == 1 and ops[0].type == "mix_ac_discharge_time_period"
    assert ops[0].params == ("90", "25", "17", "0", "21", "0", "1",
                             "0", "0", "0", "0", "0", "0", "0", "0", "0", "0")


def test_sph_power_change_rewrites_schedule_with_same_periods() -> None:
    current = sph_family.parse("S", SPH_RAW)
    desired = sph_desired(Schedule(50, 95, (Period("01:00", "05:00", True),), from_grid=True),
                          None)
    ops = sph_family.plan(current, desired)
    assert len(ops) == 1 and ops[0].params[:8] == ("50", "95", "1", "1", "0", "5", "0", "1")


def test_sph_charge_overlapping_current_discharge_goes_second() -> None:
    current = sph_family.parse("S", SPH_RAW)  # charge 01-05, discharge 17-21
    desired = sph_desired(Schedule(100, 95, (Period("18:00", "19:00", True),), from_grid=True),
                          Schedule(100, 20, (Period("20:00", "21:00", True),)))
    ops = sph_family.plan(current, desired)
    assert [op.type for op in ops] == ["mix_ac_discharge_time_period",
                                       "mix_ac_charge_time_period"]
    states = run_sph(current, ops)
    assert not any(sph_overlap(s) for s in states)
    assert sph_family.plan(states[-1], desired) == []


def test_sph_swap_pauses_discharge_first() -> None:
    current = sph_family.parse("S", SPH_RAW)  # charge 01-05, discharge 17-21
    desired = sph_desired(Schedule(100, 95, (Period("18:00", "19:00", True),), from_grid=True),
                          Schedule(100, 20, (Period("02:00", "03:00", True),)))
    ops = sph_family.plan(current, desired)
    assert [op.type for op in ops] == ["mix_ac_discharge_time_period",
                                       "mix_ac_charge_time_period",
                                       "mix_ac_discharge_time_period"]
    assert ops[0].params[6::5] == ("0", "0", "0")  # all periods off
    states = run_sph(current, ops)
    assert not any(sph_overlap(s) for s in states)
    assert sph_family.plan(states[-1], desired) == []


def test_sph_charge_first_when_no_conflict() -> None:
    current = sph_family.parse("S", SPH_RAW)
    desired = sph_desired(Schedule(100, 95, (Period("02:00", "03:00", True),), from_grid=True),
                          Schedule(100, 20, (Period("18:00", "19:00", True),)))
    ops = sph_family.plan(current, desired)
    assert [op.type for op in ops] == ["mix_ac_charge_time_period",
                                       "mix_ac_discharge_time_period"]


def test_sph_settings() -> None:
    current = sph_family.parse("S", SPH_RAW)
    assert sph_family.plan(current, sph_desired(None, None, {"load_first_stop_soc": 10})) == []
    ops = sph_family.plan(current, sph_desired(None, None, {"on_off": False}))
    assert [(op.endpoint, op.type, op.params) for op in ops] == [
        ("mixSet", "pv_on_off", ("0000",))]


def test_sph_unknown_schedules_are_written_whole_discharge_off_first() -> None:
    # unknown schedules may hold anything: neither enabling write is safe first
    current = sph_family.parse("S", {})
    ops = sph_family.plan(current, SHED)
    assert [op.type for op in ops] == ["mix_ac_discharge_time_period",
                                       "mix_ac_charge_time_period",
                                       "mix_ac_discharge_time_period"]
    assert ops[0].params[6::5] == ("0", "0", "0")
    assert ops[1].params == ("100", "95", "1", "1", "0", "5", "0", "1",
                             "0", "0", "0", "0", "0", "0", "0", "0", "0", "0")
    states = run_sph(current, ops)
    assert sph_family.plan(states[-1], SHED) == []


def test_sph_single_schedule_write_never_creates_charge_discharge_overlap() -> None:
    # ac_discharge is not managed and holds 17:00-21:00: no order of writes helps
    current = sph_family.parse("S", SPH_RAW)
    desired = sph_desired(Schedule(100, 95, (Period("18:00", "19:00", True),),
                                   from_grid=True), None)
    with pytest.raises(sph_family.CannotPlanError, match="manage ac_discharge"):
        sph_family.plan(current, desired)
    fine = sph_desired(Schedule(100, 95, (Period("06:00", "07:00", True),), from_grid=True),
                       None)
    ops = sph_family.plan(current, fine)
    assert not any(sph_overlap(s) for s in run_sph(current, ops))


# --------------------------------------------------------------------------- robustness


def test_decimal_setting_converges_when_the_wire_rounds() -> None:
    # the wire carries f"{v:g}" (6 significant digits): 253.1234 goes out as "253.123"
    desired = min_desired(None, {"grid_voltage_high": 253.1234})
    ops = min_family.plan(min_state({}), desired)
    assert ops[0].params == ("253.123",)
    after = min_family.apply(min_state({}), ops[0])
    assert min_family.plan(after, desired) == []


def test_min_parse_survives_non_scalar_values() -> None:
    raw = slot_keys(min_raw(), 1, [1], "23:30", "23:59", 1)
    raw["forcedStopSwitch3"] = {"v": 1}
    raw["chargePowerCommand"] = [80]
    state = min_family.parse("M", raw)
    assert state.slots[1] is None and state.slots[3] is None
    assert state.slots[2] is not None
    assert "charge_power" not in state.settings
    assert len(state.warnings) == 3


def test_sph_parse_survives_non_scalar_values() -> None:
    raw = sph_raw()
    raw["chargePowerCommand"] = {"value": 100}
    state = sph_family.parse("S", raw)
    assert state.ac_charge is None
    assert state.ac_discharge is not None
    assert any("chargePowerCommand" in w for w in state.warnings)
