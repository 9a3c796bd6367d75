"""Planning, applying and viewing: MIN slots, SPH schedules and named settings (pure, no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.devices import DeviceFamily, registry
from reconciler.devices import min as min_family
from reconciler.devices import sph as sph_family
from reconciler.devices.slots import NoRoomError
from reconciler.model import (
    DesiredDevice,
    DeviceState,
    Operation,
    Period,
    Schedule,
    Segment,
    WantedSegment,
)
from tests.test_devices_bruteforce import fewest_writes
from tests.test_devices_fixtures import min_answer, sph_answer

OFF = Segment("load_first", "00:00", "00:00", False)
OFF_P = Period("00:00", "00:00", False)


def seg(mode: str, start: str, end: str, enabled: bool = True) -> Segment:
    return Segment(mode, start, end, enabled)


def min_state(slots: dict[int, Segment | None] | None = None,
              settings: dict[str, Any] | None = None) -> DeviceState:
    full: dict[int, Segment | None] = dict.fromkeys(range(1, 10), OFF)
    full.update(slots or {})
    return DeviceState(serial="MIN1", family="min", slots=full, settings=dict(settings or {}))


def min_desired(segments: list[WantedSegment] | None,
                settings: dict[str, Any] | None = None) -> DesiredDevice:
    return DesiredDevice(name="garage", serial="MIN1", family="min", time_segments=segments,
                         settings=dict(settings or {}))


def fixture_state() -> DeviceState:
    return min_family.parse("MIN1234567", min_answer()["data"])


def run(family: Any, state: DeviceState, operations: list[Operation]) -> list[DeviceState]:
    states = [state]
    for operation in operations:
        states.append(family.apply(states[-1], operation))
    return states


def clashes(slots: dict[int, Segment | None]) -> list[tuple[int, int]]:
    on = [(n, s) for n, s in sorted(slots.items()) if s is not None and s.enabled]
    return [(a, b) for i, (a, x) in enumerate(on) for b, y in on[i + 1:]
            if x.start <= y.end and y.start <= x.end]  # "HH:MM" compares like minutes


def assert_safe_and_converged(state: DeviceState, desired: DesiredDevice,
                              operations: list[Operation]) -> DeviceState:
    states = run(min_family, state, operations)
    for step in states:
        assert clashes(step.slots) == []
    assert min_family.plan(states[-1], desired) == []
    return states[-1]


def slot_ops(operations: list[Operation]) -> list[tuple[str, tuple[str, ...]]]:
    return [(op.type, op.params) for op in operations]


GARAGE = min_desired(
    [WantedSegment("battery_first", "23:30", "23:59",
                   origin="23:30-05:30 across midnight, part 1 of 2"),
     WantedSegment("battery_first", "00:00", "05:30",
                   origin="23:30-05:30 across midnight, part 2 of 2")],
    {"charge_power": 80, "discharge_stop_soc": 10})


# --------------------------------------------------------------------------- MIN: examples


def test_design_example_against_fixture_is_one_disable() -> None:
    """DESIGN.md's garage on the spec 7.1 device: slots 1 and 2 already hold the split
    window, the settings match; slot 3's grid-first segment is not in the file."""
    current = fixture_state()
    operations = min_family.plan(current, GARAGE)
    assert operations == [Operation(
        endpoint="tlxSet", type="time_segment3", params=("2", "17", "0", "19", "59", "0"),
        path="time_segments.3", summary="slot 3: disable (grid_first 17:00-19:59)")]
    assert_safe_and_converged(current, GARAGE, operations)


def test_winter_profile_edits_each_slot_in_place() -> None:
    desired = min_desired([WantedSegment("grid_first", "16:30", "19:59"),
                           WantedSegment("battery_first", "23:00", "23:59", origin="part 1"),
                           WantedSegment("battery_first", "00:00", "06:00", origin="part 2")])
    operations = min_family.plan(fixture_state(), desired)
    assert [op.summary for op in operations] == [
        "slot 1: battery_first 23:00-23:59 (was battery_first 23:30-23:59) [part 1]",
        "slot 2: battery_first 00:00-06:00 (was battery_first 00:00-05:30) [part 2]",
        "slot 3: grid_first 16:30-19:59 (was grid_first 17:00-19:59)"]
    assert_safe_and_converged(fixture_state(), desired, operations)


def test_garage_on_an_empty_device() -> None:
    current = min_state()
    operations = min_family.plan(current, GARAGE)
    assert slot_ops(operations) == [
        ("time_segment1", ("1", "0", "0", "5", "30", "1")),
        ("time_segment2", ("1", "23", "30", "23", "59", "1")),
        ("charge_power", ("80",)), ("discharge_stop_soc", ("10",))]
    assert operations[1].summary == ("slot 2: battery_first 23:30-23:59 (was load_first "
                                     "00:00-00:00, disabled) [23:30-05:30 across midnight, "
                                     "part 1 of 2]")
    assert operations[2].summary == "charge_power: 80 (current value unknown)"
    assert_safe_and_converged(current, GARAGE, operations)


def test_spec_wire_example_and_unpadded_params() -> None:
    """Spec 2.7: segment 1 = battery-first 23:30-23:59 enabled is 1,23,30,23,59,1."""
    operations = min_family.plan(min_state(), min_desired(
        [WantedSegment("battery_first", "23:30", "23:59", slot=1),
         WantedSegment("grid_first", "03:05", "09:00", slot=9)]))
    assert slot_ops(operations) == [("time_segment1", ("1", "23", "30", "23", "59", "1")),
                                    ("time_segment9", ("2", "3", "5", "9", "0", "1"))]
    assert all(op.endpoint == "tlxSet" and not op.dangerous for op in operations)


def test_plan_does_not_depend_on_the_order_of_the_file() -> None:
    current = min_state({1: seg("grid_first", "01:00", "02:00"),
                         5: seg("grid_first", "06:00", "07:00")})
    wanted = [WantedSegment("battery_first", "01:30", "02:30"),
              WantedSegment("battery_first", "05:30", "06:30"),
              WantedSegment("load_first", "12:00", "13:00")]
    plans = {tuple(min_family.plan(current, min_desired(order)))
             for order in (wanted, wanted[::-1], [wanted[1], wanted[2], wanted[0]])}
    assert len(plans) == 1


# --------------------------------------------------------------------------- MIN: minimality


def test_slot_holding_a_wanted_segment_keeps_it() -> None:
    current = min_state({7: seg("battery_first", "00:00", "05:30"),
                         2: seg("grid_first", "06:00", "07:00")})
    operations = min_family.plan(current, min_desired(
        [WantedSegment("battery_first", "00:00", "05:30")]))
    assert slot_ops(operations) == [("time_segment2", ("2", "6", "0", "7", "0", "0"))]


def test_new_segment_overwrites_a_slot_that_must_change_anyway() -> None:
    current = min_state({5: seg("grid_first", "06:00", "07:00")})
    operations = min_family.plan(current, min_desired(
        [WantedSegment("battery_first", "01:00", "02:00")]))
    assert slot_ops(operations) == [("time_segment5", ("1", "1", "0", "2", "0", "1"))]
    assert operations[0].summary == ("slot 5: battery_first 01:00-02:00 (was grid_first "
                                     "06:00-07:00)")


def test_stale_disabled_slots_are_not_rewritten() -> None:
    current = min_state({4: seg("grid_first", "10:00", "12:00", False),
                         6: seg("battery_first", "03:17", "08:44", False)})
    assert min_family.plan(current, min_desired([])) == []
    assert min_family.plan(current, min_desired(
        [WantedSegment("battery_first", "20:00", "21:00")]))[0].type == "time_segment1"


def test_a_disabled_slot_holding_the_window_is_switched_back_on() -> None:
    current = min_state({4: seg("grid_first", "10:00", "12:00", False)})
    operations = min_family.plan(current, min_desired(
        [WantedSegment("grid_first", "10:00", "12:00")]))
    assert slot_ops(operations) == [("time_segment4", ("2", "10", "0", "12", "0", "1"))]


def test_unwanted_enabled_slots_are_disabled_keeping_their_times() -> None:
    current = min_state({3: seg("grid_first", "17:00", "19:59"),
                         8: seg("battery_first", "01:00", "02:00")})
    operations = min_family.plan(current, min_desired([]))
    assert slot_ops(operations) == [("time_segment3", ("2", "17", "0", "19", "59", "0")),
                                    ("time_segment8", ("1", "1", "0", "2", "0", "0"))]
    assert [op.summary for op in operations] == [
        "slot 3: disable (grid_first 17:00-19:59)", "slot 8: disable (battery_first 01:00-02:00)"]


def test_time_segments_absent_leaves_slots_alone() -> None:
    current = min_state({3: seg("grid_first", "17:00", "19:59")})
    assert min_family.plan(current, min_desired(None)) == []
    assert "time_segments" not in min_family.view(current, min_desired(None))


def test_unpinned_disabled_segment_needs_no_slot_and_is_not_active() -> None:
    current = min_state({2: seg("grid_first", "17:00", "19:59")})
    desired = min_desired([WantedSegment("grid_first", "17:00", "19:59", enabled=False)])
    operations = min_family.plan(current, desired)
    assert slot_ops(operations) == [("time_segment2", ("2", "17", "0", "19", "59", "0"))]
    assert min_family.plan(min_state(), desired) == []


# --------------------------------------------------------------------------- MIN: pins


def test_pinned_segment_goes_to_its_slot() -> None:
    operations = min_family.plan(min_state(), min_desired(
        [WantedSegment("grid_first", "17:00", "19:59", slot=8)]))
    assert slot_ops(operations) == [("time_segment8", ("2", "17", "0", "19", "59", "1"))]


def test_pinned_segment_held_elsewhere_moves_after_its_old_place_is_freed() -> None:
    current = min_state({2: seg("grid_first", "17:00", "19:59")})
    desired = min_desired([WantedSegment("grid_first", "17:00", "19:59", slot=8)])
    operations = min_family.plan(current, desired)
    assert slot_ops(operations) == [("time_segment2", ("2", "17", "0", "19", "59", "0")),
                                    ("time_segment8", ("2", "17", "0", "19", "59", "1"))]
    assert_safe_and_converged(current, desired, operations)


def test_pinned_disabled_segment_is_exact() -> None:
    current = min_state({3: seg("grid_first", "17:00", "19:59", False)})
    parked = min_desired([WantedSegment("grid_first", "16:00", "19:59", enabled=False, slot=3)])
    operations = min_family.plan(current, parked)
    assert slot_ops(operations) == [("time_segment3", ("2", "16", "0", "19", "59", "0"))]
    assert min_family.view(current, parked)["time_segments"]["3"] == {
        "mode": "grid_first", "start": "17:00", "end": "19:59", "enabled": False}
    assert_safe_and_converged(current, parked, operations)
    same = min_desired([WantedSegment("grid_first", "17:00", "19:59", enabled=False, slot=3)])
    assert min_family.plan(current, same) == []


def test_two_overwrites_blocking_each_other_cost_one_extra_disable() -> None:
    current = min_state({1: seg("load_first", "01:00", "02:00"),
                         2: seg("load_first", "03:00", "04:00")})
    desired = min_desired([WantedSegment("battery_first", "03:30", "03:45", slot=1),
                           WantedSegment("battery_first", "01:30", "01:45", slot=2)])
    operations = min_family.plan(current, desired)
    assert slot_ops(operations) == [("time_segment1", ("0", "1", "0", "2", "0", "0")),
                                    ("time_segment2", ("1", "1", "30", "1", "45", "1")),
                                    ("time_segment1", ("1", "3", "30", "3", "45", "1"))]
    assert operations[0].summary == ("slot 1: disable first (load_first 01:00-02:00), to free "
                                     "its window")
    assert_safe_and_converged(current, desired, operations)
    assert fewest_writes(current.slots, desired.time_segments or [], 3) == 3


def test_forced_cycle_with_all_nine_slots_in_use() -> None:
    """No free slot: the unpinned segment must overwrite slot 2, whose old window blocks
    slot 1's pinned segment, while slot 1's old window blocks it."""
    others = {n: seg("load_first", f"{10 + n}:00", f"{10 + n}:30") for n in range(3, 10)}
    current = min_state({1: seg("load_first", "01:00", "02:00"),
                         2: seg("load_first", "03:00", "04:00"), **others})
    desired = min_desired([WantedSegment("battery_first", "03:30", "03:45", slot=1),
                           WantedSegment("grid_first", "01:30", "01:45"),
                           *(WantedSegment(s.mode, s.start, s.end) for s in others.values())])
    operations = min_family.plan(current, desired)
    assert len(operations) == 3
    assert "disable first" in operations[0].summary
    assert_safe_and_converged(current, desired, operations)
    assert fewest_writes(current.slots, desired.time_segments or [], 3) == 3


def test_a_chain_is_ordered_without_extra_writes() -> None:
    current = min_state({1: seg("load_first", "01:00", "02:00"),
                         2: seg("load_first", "03:00", "04:00")})
    desired = min_desired([WantedSegment("battery_first", "03:30", "03:45", slot=1),
                           WantedSegment("battery_first", "05:00", "06:00", slot=2)])
    operations = min_family.plan(current, desired)
    assert [op.type for op in operations] == ["time_segment2", "time_segment1"]
    assert_safe_and_converged(current, desired, operations)


def test_shrinking_goes_before_extending_into_the_freed_time() -> None:
    current = min_state({1: seg("battery_first", "00:00", "06:00"),
                         2: seg("grid_first", "17:00", "19:59")})
    desired = min_desired([WantedSegment("battery_first", "00:00", "04:00"),
                           WantedSegment("grid_first", "04:01", "19:59")])
    operations = min_family.plan(current, desired)
    assert [op.type for op in operations] == ["time_segment1", "time_segment2"]
    assert_safe_and_converged(current, desired, operations)
    assert fewest_writes(current.slots, desired.time_segments or [], 2) == 2


# --------------------------------------------------------------------------- MIN: unknown slots


def test_unknown_slots_are_never_chosen() -> None:
    current = min_state(dict.fromkeys(range(2, 10)))
    desired = min_desired([WantedSegment("battery_first", "01:00", "02:00"),
                           WantedSegment("battery_first", "03:00", "04:00")])
    with pytest.raises(NoRoomError, match="2 segments need a slot but only 1 known"):
        min_family.plan(current, desired)
    operations = min_family.plan(current, min_desired((desired.time_segments or [])[:1]))
    assert [op.type for op in operations] == ["time_segment1"]


def test_unknown_slots_are_never_disabled() -> None:
    current = min_state({4: None, 5: seg("grid_first", "05:00", "06:00")})
    assert [op.type for op in min_family.plan(current, min_desired([]))] == ["time_segment5"]


def test_empty_read_plans_nothing_for_slots_but_warns() -> None:
    state = min_family.parse("MIN9000TL", {})
    assert min_family.plan(state, min_desired([])) == []
    with pytest.raises(NoRoomError):
        min_family.plan(state, min_desired([WantedSegment("battery_first", "01:00", "02:00")]))
    assert min_family.view(state, min_desired([]))["time_segments"] == dict.fromkeys(
        [str(n) for n in range(1, 10)])


def test_pinned_unknown_slot_is_overwritten_whole_and_first() -> None:
    current = min_state({3: None, 5: seg("grid_first", "05:00", "06:00")})
    desired = min_desired([WantedSegment("battery_first", "01:00", "02:00", slot=3),
                           WantedSegment("grid_first", "07:00", "08:00")])
    operations = min_family.plan(current, desired)
    # slot 3 may hold anything enabled until written: it goes before slot 5's new segment
    assert slot_ops(operations) == [("time_segment3", ("1", "1", "0", "2", "0", "1")),
                                    ("time_segment5", ("2", "7", "0", "8", "0", "1"))]
    assert operations[0].summary == "slot 3: battery_first 01:00-02:00 (was unknown)"
    assert_safe_and_converged(current, desired, operations)


def test_pinned_unknown_slot_in_a_cycle_is_disabled_first_with_known_values() -> None:
    current = min_state({3: None, 5: seg("grid_first", "01:30", "02:30")})
    desired = min_desired([WantedSegment("battery_first", "01:00", "02:00", slot=3),
                           WantedSegment("grid_first", "07:00", "08:00", slot=5)])
    operations = min_family.plan(current, desired)
    assert len(operations) == 3
    assert operations[0].type == "time_segment3"
    assert operations[0].params == ("1", "1", "0", "2", "0", "0")  # pinned values, off
    assert_safe_and_converged(current, desired, operations)


# --------------------------------------------------------------------------- MIN: errors


def test_overlapping_wanted_segments_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="overlap"):
        min_family.plan(min_state(), min_desired([WantedSegment("grid_first", "01:00", "02:00"),
                                                  WantedSegment("grid_first", "02:00", "03:00")]))


def test_windows_the_inverter_cannot_take_are_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        min_family.plan(min_state(), min_desired([WantedSegment("grid_first", "22:00",
                                                                "02:00")]))
    for start, end in (("22:00", "02:00"), ("05:00", "05:00")):
        with pytest.raises(ValueError, match="not a window"):
            sph_family.plan(sph_fixture(), sph_desired(charge(on(start, end)), None))
    # A one-minute MIN window is the config's to refuse (validate says so, with its place).


def test_families_satisfy_the_protocol() -> None:
    families: list[DeviceFamily] = [min_family, sph_family]
    assert [(f.NAME, f.DEVICE_TYPE, f.WRITE_ENDPOINT, f.SETTINGS_READ) for f in families] == [
        ("min", 7, "tlxSet", "min_settings"), ("sph", 5, "mixSet", "sph_settings")]
    assert registry() == {"min": min_family, "sph": sph_family}


def test_two_pins_on_one_slot_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="same slot"):
        min_family.plan(min_state(), min_desired(
            [WantedSegment("grid_first", "01:00", "02:00", slot=4),
             WantedSegment("grid_first", "03:00", "04:00", slot=4)]))


# --------------------------------------------------------------------------- MIN: apply, view


def test_apply_is_pure_and_mirrors_the_read_back() -> None:
    current = fixture_state()
    operation = Operation("tlxSet", "time_segment9", ("2", "3", "5", "9", "0", "1"),
                          "time_segments.9", "")
    after = min_family.apply(current, operation)
    assert after.slots[9] == seg("grid_first", "03:05", "09:00")
    assert current.slots[9] == OFF
    raw = min_answer()["data"] | {"time9Mode": 2, "forcedTimeStart9": "3:5",
                                  "forcedTimeStop9": "9:0", "forcedStopSwitch9": 1}
    assert min_family.parse("MIN1234567", raw) == after
    with pytest.raises(ValueError, match="not a MIN write"):
        min_family.apply(current, Operation("tlxSet", "nonsense", ("1",), "x", ""))


def test_view_hides_stale_times_of_disabled_slots() -> None:
    desired = min_desired([], {"charge_power": 80, "off_grid_enable": True})
    stale = min_state({4: seg("grid_first", "10:00", "12:00", False), 6: None},
                      {"charge_power": 80})
    view = min_family.view(stale, desired)
    assert view == {
        "time_segments": {"1": {"enabled": False}, "2": {"enabled": False},
                          "3": {"enabled": False}, "4": {"enabled": False},
                          "5": {"enabled": False}, "6": None, "7": {"enabled": False},
                          "8": {"enabled": False}, "9": {"enabled": False}},
        "settings": {"charge_power": 80, "off_grid_enable": None}}
    assert view == min_family.view(min_state({6: None}, {"charge_power": 80}), desired)
    on = min_family.view(fixture_state(), desired)["time_segments"]["1"]
    assert on == {"mode": "battery_first", "start": "23:30", "end": "23:59", "enabled": True}


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("name", "value", "write_type", "params"), [
    ("ac_charge", False, "ac_charge", ("0",)),
    ("charge_power", 55, "charge_power", ("55",)),
    ("on_off", False, "tlx_on_off", ("0000",)),
    ("export_limit", {"enabled": True, "percent": 50}, "backflow_setting", ("1", "50")),
    ("grid_voltage_high", 253.5, "pv_grid_voltage_high", ("253.5",)),
    ("off_grid_frequency", 60, "tlx_ac_discharge_frequency", ("1",)),
])
def test_setting_write_wire_form(name: str, value: Any, write_type: str,
                                 params: tuple[str, ...]) -> None:
    current = fixture_state()
    desired = min_desired(None, {name: value})
    operations = min_family.plan(current, desired)
    param = min_family.PARAMS[name]
    assert [(op.endpoint, op.type, op.params, op.path, op.dangerous) for op in operations] == [
        ("tlxSet", write_type, params, f"settings.{name}", param.dangerous)]
    after = min_family.apply(current, operations[0])
    assert after.settings[name] == value
    assert min_family.plan(after, desired) == []


def test_settings_compare_normalized_values() -> None:
    state = min_family.parse("M", min_answer()["data"] | {
        "acChargeEnable": "1", "chargePowerCommand": 80.0, "voltageHighLimit": "253"})
    assert min_family.plan(state, min_desired(None, {
        "ac_charge": True, "charge_power": 80, "grid_voltage_high": 253.0})) == []


def test_a_decimal_the_wire_rounds_converges() -> None:
    desired = min_desired(None, {"grid_voltage_high": 253.1234})
    operations = min_family.plan(fixture_state(), desired)
    assert [op.params for op in operations] == [("253.123",)]
    assert min_family.plan(min_family.apply(fixture_state(), operations[0]), desired) == []


def test_unknown_setting_is_written_and_says_so() -> None:
    raw = min_answer()["data"]
    del raw["chargePowerCommand"]
    operations = min_family.plan(min_family.parse("M", raw),
                                 min_desired(None, {"charge_power": 80, "off_grid_enable": True}))
    assert [(op.type, op.summary) for op in operations] == [
        ("charge_power", "charge_power: 80 (current value unknown)"),
        ("tlx_off_grid_enable", "off_grid_enable: true (current value unknown)")]


def test_only_listed_settings_are_managed_one_write_each_by_name() -> None:
    desired = min_desired(None, {"discharge_power": 50, "charge_power": 50,
                                 "charge_stop_soc": 100})
    operations = min_family.plan(fixture_state(), desired)
    assert [(op.type, op.summary) for op in operations] == [
        ("charge_power", "charge_power: 50 (was 80)"),
        ("discharge_power", "discharge_power: 50 (was 100)")]
    assert min_family.view(fixture_state(), desired) == {
        "settings": {"charge_power": 80, "charge_stop_soc": 100, "discharge_power": 100}}


def test_dangerous_settings_are_marked() -> None:
    operations = min_family.plan(fixture_state(), min_desired(None, {"on_off": False}))
    assert operations[0].dangerous and operations[0].params == ("0000",)


# --------------------------------------------------------------------------- SPH


def sph_desired(charge: Schedule | None, discharge: Schedule | None,
                settings: dict[str, Any] | None = None) -> DesiredDevice:
    return DesiredDevice(name="shed", serial="SPH7654321", family="sph", ac_charge=charge,
                         ac_discharge=discharge, settings=dict(settings or {}))


def sph_fixture() -> DeviceState:
    return sph_family.parse("SPH7654321", sph_answer()["data"])


def charge(*periods: Period, power: int = 100, soc: int = 95, grid: bool = True) -> Schedule:
    return Schedule(power, soc, periods, from_grid=grid)


def discharge(*periods: Period, power: int = 100, soc: int = 20) -> Schedule:
    return Schedule(power, soc, periods)


def on(start: str, end: str) -> Period:
    return Period(start, end, True)


SHED = sph_desired(charge(on("01:00", "05:00")), discharge(on("17:00", "21:00")))


def sph_clash(state: DeviceState) -> bool:
    a, b = state.ac_charge, state.ac_discharge
    return a is not None and b is not None and any(
        x.enabled and y.enabled and x.start <= y.end and y.start <= x.end
        for x in a.periods for y in b.periods)


def assert_sph_safe_and_converged(state: DeviceState, desired: DesiredDevice,
                                  operations: list[Operation]) -> None:
    states = run(sph_family, state, operations)
    assert not any(sph_clash(s) for s in states)
    assert sph_family.plan(states[-1], desired) == []


def test_sph_design_example_matches_fixture() -> None:
    assert sph_family.plan(sph_fixture(), SHED) == []


def test_sph_one_changed_period_is_one_whole_schedule_write() -> None:
    desired = sph_desired(charge(on("01:00", "05:00"), on("06:00", "07:30")), SHED.ac_discharge)
    operations = sph_family.plan(sph_fixture(), desired)
    assert [(op.endpoint, op.type, op.path, op.params) for op in operations] == [
        ("mixSet", "mix_ac_charge_time_period", "ac_charge",
         ("100", "95", "1", "1", "0", "5", "0", "1", "6", "0", "7", "30", "1",
          "0", "0", "0", "0", "0"))]
    assert operations[0].summary == (
        "ac_charge: power 100 %, stop 95 %, from grid, periods 01:00-05:00, 06:00-07:30 "
        "(was power 100 %, stop 95 %, from grid, periods 01:00-05:00)")
    assert_sph_safe_and_converged(sph_fixture(), desired, operations)


def test_sph_discharge_params_layout() -> None:
    operations = sph_family.plan(sph_fixture(), sph_desired(
        None, discharge(on("17:00", "21:00"), power=90, soc=25)))
    assert [(op.type, op.params) for op in operations] == [
        ("mix_ac_discharge_time_period", ("90", "25", "17", "0", "21", "0", "1",
                                          "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"))]


def test_sph_unchanged_periods_keep_their_place_and_unused_keep_device_times() -> None:
    current = sph_fixture()
    current.ac_charge = charge(Period("06:00", "06:30", False), on("01:00", "05:00"),
                               on("22:00", "23:00"))
    operations = sph_family.plan(current, sph_desired(charge(on("09:00", "10:00"),
                                                             on("01:00", "05:00")), None))
    # period 2 stays; the new one takes period 3 (changes anyway); period 1 stays as held
    assert operations[0].params[3:] == ("6", "0", "6", "30", "0",
                                        "1", "0", "5", "0", "1",
                                        "9", "0", "10", "0", "1")


def test_sph_reordered_periods_are_no_change() -> None:
    current = sph_fixture()
    current.ac_charge = charge(on("01:00", "02:00"), on("03:00", "04:00"), OFF_P)
    desired = sph_desired(charge(on("03:00", "04:00"), on("01:00", "02:00"),
                                 Period("12:00", "13:00", False)), None)
    assert sph_family.plan(current, desired) == []


def test_sph_unsendable_stale_period_goes_out_as_zeros() -> None:
    current = sph_fixture()
    current.ac_charge = charge(on("01:00", "05:00"), Period("22:00", "02:00", False), OFF_P)
    operations = sph_family.plan(current, sph_desired(charge(on("01:00", "05:00"), power=50),
                                                      None))
    assert operations[0].params[8:13] == ("0", "0", "0", "0", "0")


def test_sph_power_change_resends_the_same_periods() -> None:
    operations = sph_family.plan(sph_fixture(), sph_desired(
        charge(on("01:00", "05:00"), power=50, grid=False), None))
    assert operations[0].params[:8] == ("50", "95", "0", "1", "0", "5", "0", "1")


def test_sph_charge_overlapping_current_discharge_goes_second() -> None:
    desired = sph_desired(charge(on("18:00", "19:00")), discharge(on("20:00", "21:00")))
    operations = sph_family.plan(sph_fixture(), desired)
    assert [op.path for op in operations] == ["ac_discharge", "ac_charge"]
    assert_sph_safe_and_converged(sph_fixture(), desired, operations)


def test_sph_charge_goes_first_when_nothing_conflicts() -> None:
    desired = sph_desired(charge(on("02:00", "03:00")), discharge(on("18:00", "19:00")))
    assert [op.path for op in sph_family.plan(sph_fixture(), desired)] == [
        "ac_charge", "ac_discharge"]


def test_sph_swapped_windows_switch_discharge_off_first() -> None:
    desired = sph_desired(charge(on("18:00", "19:00")), discharge(on("02:00", "03:00")))
    operations = sph_family.plan(sph_fixture(), desired)
    assert [op.path for op in operations] == ["ac_discharge", "ac_charge", "ac_discharge"]
    assert operations[0].params == ("100", "20", "17", "0", "21", "0", "0",
                                    "0", "0", "0", "0", "0", "0", "0", "0", "0", "0")
    assert "discharge periods off first" in operations[0].summary
    assert_sph_safe_and_converged(sph_fixture(), desired, operations)


def test_sph_change_clashing_with_an_unmanaged_schedule_cannot_be_planned() -> None:
    desired = sph_desired(charge(on("18:00", "19:00")), None)
    with pytest.raises(sph_family.CannotPlanError,
                       match=r"18:00-19:00 would overlap the enabled AC discharge period "
                             r"17:00-21:00.*manage ac_discharge"):
        sph_family.plan(sph_fixture(), desired)


def test_sph_wanted_schedules_that_clash_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="charge period 02:00-05:00 overlaps the AC discharge "
                                         "period 04:00-06:00"):
        sph_family.plan(sph_fixture(), sph_desired(charge(on("02:00", "05:00")),
                                                   discharge(on("04:00", "06:00"))))
    # the charge schedule is already as wanted: only the discharge write would clash
    with pytest.raises(ValueError, match="would overlap the enabled AC charge period"):
        sph_family.plan(sph_fixture(), sph_desired(charge(on("01:00", "05:00")),
                                                   discharge(on("04:00", "06:00"))))


def test_sph_more_than_three_enabled_periods_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="4 enabled periods"):
        sph_family.plan(sph_fixture(), sph_desired(charge(
            on("01:00", "01:30"), on("02:00", "02:30"), on("03:00", "03:30"),
            on("04:00", "04:30")), None))


def test_sph_unknown_schedule_is_written_whole_from_the_file() -> None:
    raw = sph_answer()["data"] | {"forcedChargeTimeStart1": "11:187"}
    current = sph_family.parse("SPH7654321", raw)
    assert current.ac_charge is None
    operations = sph_family.plan(current, SHED)
    assert [(op.path, op.params) for op in operations] == [
        ("ac_charge", ("100", "95", "1", "1", "0", "5", "0", "1",
                       "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"))]
    assert_sph_safe_and_converged(current, SHED, operations)


def test_sph_both_schedules_unknown_switch_discharge_off_first() -> None:
    """Unknown may hold anything: neither write is safe first, so three writes."""
    current = sph_family.parse("SPH7654321", {})
    operations = sph_family.plan(current, SHED)
    assert [op.path for op in operations] == ["ac_discharge", "ac_charge", "ac_discharge"]
    assert operations[0].params[2:] == ("17", "0", "21", "0", "0", *("0",) * 10)
    assert_sph_safe_and_converged(current, SHED, operations)


def test_sph_apply_and_view() -> None:
    current = sph_fixture()
    operation = sph_family.plan(current, sph_desired(charge(on("02:00", "03:00"), grid=False),
                                                     None))[0]
    after = sph_family.apply(current, operation)
    assert after.ac_charge == charge(on("02:00", "03:00"), OFF_P, OFF_P, grid=False)
    assert current.ac_charge == charge(on("01:00", "05:00"), OFF_P, OFF_P)
    view = sph_family.view(after, SHED)
    assert view == {
        "ac_charge": {"power": 100, "stop_soc": 95, "from_grid": False,
                      "periods": [{"start": "02:00", "end": "03:00", "enabled": True},
                                  {"enabled": False}, {"enabled": False}]},
        "ac_discharge": {"power": 100, "stop_soc": 20,
                         "periods": [{"start": "17:00", "end": "21:00", "enabled": True},
                                     {"enabled": False}, {"enabled": False}]}}
    assert sph_family.view(after, sph_desired(None, None)) == {}
    with pytest.raises(ValueError, match="not an SPH write"):
        sph_family.apply(current, Operation("mixSet", "time_segment1", ("1",), "x", ""))


def test_sph_settings() -> None:
    assert sph_family.plan(sph_fixture(), sph_desired(None, None,
                                                      {"load_first_stop_soc": 10})) == []
    operations = sph_family.plan(sph_fixture(), sph_desired(None, None, {"on_off": False}))
    assert [(op.endpoint, op.type, op.params, op.dangerous) for op in operations] == [
        ("mixSet", "pv_on_off", ("0000",), True)]
