"""Property tests of the device families on random messy reads and random valid files.

Current states are generated as raw settings reads (unpadded times, numbers as strings or
floats, "null", missing keys, garbage) and parsed; desired states are valid files (enabled
windows do not overlap, pins are distinct). Windows come from a coarse grid most of the
time, so that old and new windows overlap often and the ordering rules get exercised.

Properties: convergence (apply the plan, plan again: nothing), safety (every single write
is accepted: no two enabled windows overlap at any step), minimality (against the brute
force of test_devices_bruteforce, independent of the planner), idempotence and determinism.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.devices import min as min_family
from reconciler.devices import sph as sph_family
from reconciler.devices.params import MIN_PARAMS, SPH_PARAMS
from reconciler.devices.slots import NoRoomError
from reconciler.model import (
    MODES,
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

PROPERTIES = settings(max_examples=400, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])
SMALL_GRID = list(range(0, 361, 30))  # 00:00 .. 06:00: old and new windows collide often
DAY_GRID = [*range(0, 1440, 60), 1439]


def hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def overlap(a_start: str, a_end: str, b_start: str, b_end: str) -> bool:
    return minutes(a_start) <= minutes(b_end) and minutes(b_start) <= minutes(a_end)


# --------------------------------------------------------------------------- messy values


@st.composite
def api_time(draw: st.DrawFn, value: int) -> str:
    hours, mins = divmod(value, 60)
    form = draw(st.sampled_from(["{h}:{m}", "{h:02d}:{m:02d}", "{h}:{m:02d}"]))
    return form.format(h=hours, m=mins)


@st.composite
def api_number(draw: st.DrawFn, value: int) -> Any:
    return draw(st.sampled_from([value, str(value), float(value), f"{value}.0"]))


UNSET = st.sampled_from(["null", "", None])


@st.composite
def windows(draw: st.DrawFn, most: int) -> list[tuple[int, int]]:
    """Up to `most` windows that do not overlap (ends included), in random order."""
    grid = draw(st.sampled_from([SMALL_GRID, SMALL_GRID, DAY_GRID]))
    points = sorted(draw(st.sets(st.sampled_from(grid), max_size=2 * most)))
    pairs = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    return draw(st.permutations(pairs))


@st.composite
def window(draw: st.DrawFn) -> tuple[int, int]:
    grid = draw(st.sampled_from([SMALL_GRID, DAY_GRID]))
    start, end = sorted(draw(st.lists(st.sampled_from(grid), min_size=2, max_size=2,
                                      unique=True)))
    return start, end


# --------------------------------------------------------------------------- MIN reads


@dataclass
class SlotSpec:
    kind: str  # on | stale | null | zero | garbage | missing | bad_mode
    mode: int
    start: int
    end: int


@st.composite
def min_read(draw: st.DrawFn) -> dict[str, Any]:
    raw = {k: v for k, v in min_answer()["data"].items()
           if not k.startswith(("time", "forcedTime", "forcedStop"))}
    specs = []
    for _ in range(9):
        kind = draw(st.sampled_from(["on"] * 5 + ["stale"] * 2 + ["null", "zero", "garbage",
                                                                   "missing", "bad_mode"]))
        start, end = draw(window())
        specs.append(SlotSpec(kind, draw(st.integers(0, 2)), start, end))
    # A valid device: enabled windows do not overlap (later ones are switched off).
    on: list[SlotSpec] = []
    for spec in specs:
        if spec.kind == "on":
            if any(spec.start <= o.end and o.start <= spec.end for o in on):
                spec.kind = "stale"
            else:
                on.append(spec)
    for n, spec in enumerate(specs, 1):
        keys = {"mode": f"time{n}Mode", "start": f"forcedTimeStart{n}",
                "end": f"forcedTimeStop{n}", "switch": f"forcedStopSwitch{n}"}
        fields: dict[str, Any] = {
            "mode": draw(api_number(spec.mode)), "start": draw(api_time(spec.start)),
            "end": draw(api_time(spec.end)),
            "switch": draw(api_number(1 if spec.kind == "on" else 0))}
        if spec.kind == "null":
            fields |= {"start": draw(UNSET), "end": draw(UNSET),
                       "mode": draw(st.one_of(UNSET, api_number(spec.mode))),
                       "switch": draw(st.one_of(UNSET, st.just(0)))}
        elif spec.kind == "zero":
            fields |= {"mode": 0, "start": "0:0", "end": "0:0", "switch": 0}
        elif spec.kind == "garbage":
            fields[draw(st.sampled_from(["start", "end"]))] = "11:187"
        elif spec.kind == "bad_mode":
            fields["mode"] = draw(st.sampled_from([3, "x", 1.5]))
        for name, key in keys.items():
            raw[key] = fields[name]
        if spec.kind == "missing":
            del raw[keys[draw(st.sampled_from(list(keys)))]]
    for key, messy in (("chargePowerCommand", st.one_of(api_number(80), UNSET, st.just("x"))),
                       ("acChargeEnable", st.one_of(api_number(1), api_number(0), UNSET)),
                       ("voltageHighLimit", st.sampled_from([253.0, "253.1", 253.1234]))):
        if draw(st.booleans()):
            raw[key] = draw(messy)
        elif draw(st.booleans()):
            del raw[key]
    return raw


MIN_SETTINGS = {
    "charge_power": st.integers(0, 100),
    "ac_charge": st.booleans(),
    "export_limit": st.builds(lambda on, share: {"enabled": on, "percent": share},
                              st.booleans(), st.integers(0, 100)),
    "grid_voltage_high": st.floats(230, 300).map(lambda v: round(v, 4)),
    "off_grid_frequency": st.sampled_from([50, 60]),  # read with read_parameter: never known
}


@st.composite
def min_desired(draw: st.DrawFn) -> DesiredDevice:
    segments: list[WantedSegment] = []
    pins = iter(draw(st.permutations(range(1, 10))))
    used = 0
    for start, end in draw(windows(9)):
        pinned = draw(st.integers(0, 3)) == 0
        segments.append(WantedSegment(draw(st.sampled_from(MODES)), hm(start), hm(end),
                                      slot=next(pins) if pinned else None))
        used += 1
    for _ in range(draw(st.integers(0, 2))):  # disabled segments: may overlap anything
        start, end = draw(window())
        pinned = used < 9 and draw(st.booleans())
        slot = next(pins, None) if pinned else None
        used += slot is not None
        segments.append(WantedSegment(draw(st.sampled_from(MODES)), hm(start), hm(end),
                                      enabled=False, slot=slot))
    segments = draw(st.permutations(segments))
    wanted_settings = {name: draw(strategy) for name, strategy in MIN_SETTINGS.items()
                       if draw(st.booleans())}
    managed = draw(st.integers(0, 9)) != 0
    return DesiredDevice(name="d", serial="MIN1", family="min",
                         time_segments=segments if managed else None,
                         settings={k: MIN_PARAMS[k].codec.normalize(v)
                                   for k, v in wanted_settings.items()})


def segment_of(operation: Operation) -> Segment:
    mode, start_h, start_m, end_h, end_m, enable = (int(p) for p in operation.params)
    return Segment(MODES[mode], f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}",
                   enable == 1)


def enabled_clashes(slots: dict[int, Segment | None]) -> list[tuple[int, int]]:
    on = [(n, s) for n, s in sorted(slots.items()) if s is not None and s.enabled]
    return [(a, b) for i, (a, x) in enumerate(on) for b, y in on[i + 1:]
            if overlap(x.start, x.end, y.start, y.end)]


def check_min_write(before: DeviceState, operation: Operation, pinned: set[int]) -> None:
    """The cloud's rule for one write, and: unknown slots are only ever overwritten whole
    when a segment is pinned to them."""
    assert operation.endpoint == "tlxSet"
    assert all(p.isdigit() and (p == "0" or not p.startswith("0")) for p in operation.params)
    slot = int(operation.type.removeprefix("time_segment"))
    assert operation.path == f"time_segments.{slot}"
    assert before.slots[slot] is not None or slot in pinned
    new = segment_of(operation)
    assert minutes(new.start) <= minutes(new.end)  # never 10013
    if new.enabled:
        for other, old in before.slots.items():
            if other != slot and old is not None and old.enabled:
                assert not overlap(new.start, new.end, old.start, old.end), (slot, other)


@PROPERTIES
@given(raw=min_read(), desired=min_desired())
def test_min_plan_is_safe_convergent_idempotent_and_minimal(raw: dict[str, Any],
                                                            desired: DesiredDevice) -> None:
    state = min_family.parse("MIN1", raw)
    assert enabled_clashes(state.slots) == []
    wanted = desired.time_segments or []
    pinned = {w.slot for w in wanted if w.slot is not None}
    try:
        operations = min_family.plan(state, desired)
    except NoRoomError:
        loose = [w for w in wanted if w.slot is None and w.enabled]
        known = [n for n, s in state.slots.items() if s is not None and n not in pinned]
        assert len(loose) > len(known)
        return
    assert min_family.plan(state, desired) == operations  # deterministic
    current = state
    for operation in operations:
        if operation.path.startswith("time_segments."):
            check_min_write(current, operation, pinned)
        current = min_family.apply(current, operation)
        assert enabled_clashes(current.slots) == []
    assert min_family.plan(current, desired) == []  # convergence, and idempotence
    slot_writes = [op for op in operations if op.path.startswith("time_segments.")]
    if desired.time_segments is None:
        assert slot_writes == []
    elif len(slot_writes) <= 4:
        assert fewest_writes(state.slots, wanted, len(slot_writes)) == len(slot_writes)
    setting_writes = {op.path.removeprefix("settings.") for op in operations} - {
        op.path.removeprefix("settings.") for op in slot_writes}
    assert setting_writes == {name for name, value in desired.settings.items()
                              if name not in state.settings
                              or MIN_PARAMS[name].codec.encode(state.settings[name])
                              != MIN_PARAMS[name].codec.encode(value)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=min_read(), desired=min_desired(), cut=st.integers(0, 20))
def test_min_replanning_after_a_partial_apply_converges(raw: dict[str, Any],
                                                       desired: DesiredDevice, cut: int) -> None:
    """An interrupted apply: the next plan starts from wherever the device got to."""
    state = min_family.parse("MIN1", raw)
    try:
        operations = min_family.plan(state, desired)
    except NoRoomError:
        return
    for operation in operations[:cut]:
        state = min_family.apply(state, operation)
    for operation in min_family.plan(state, desired):
        if operation.path.startswith("time_segments."):
            check_min_write(state, operation, {w.slot for w in desired.time_segments or []
                                               if w.slot is not None})
        state = min_family.apply(state, operation)
        assert enabled_clashes(state.slots) == []
    assert min_family.plan(state, desired) == []


# --------------------------------------------------------------------------- SPH


@st.composite
def sph_read(draw: st.DrawFn) -> dict[str, Any]:
    raw = sph_answer()["data"]
    taken: list[tuple[int, int]] = []
    for prefix in ("Charge", "Discharge"):
        for i in (1, 2, 3):
            start, end = draw(window())
            on = draw(st.booleans()) and not any(start <= e and s <= end for s, e in taken)
            if on:
                taken.append((start, end))
            raw[f"forced{prefix}TimeStart{i}"] = draw(api_time(start))
            raw[f"forced{prefix}TimeStop{i}"] = draw(api_time(end))
            raw[f"forced{prefix}StopSwitch{i}"] = draw(api_number(int(on)))
            if not on and draw(st.integers(0, 4)) == 0:
                raw[f"forced{prefix}TimeStart{i}"] = draw(UNSET)
                raw[f"forced{prefix}TimeStop{i}"] = draw(UNSET)
    if draw(st.booleans()):
        raw["chargePowerCommand"] = draw(api_number(draw(st.sampled_from([50, 100]))))
    if draw(st.booleans()):
        raw["wchargeSOCLowLimit"] = draw(st.one_of(UNSET, api_number(90)))
    if draw(st.booleans()):
        raw["acChargeEnable"] = draw(api_number(draw(st.integers(0, 1))))
    if draw(st.integers(0, 5)) == 0:  # a broken read: that schedule is unknown
        prefix = draw(st.sampled_from(["Charge", "Discharge"]))
        raw[f"forced{prefix}TimeStart{draw(st.integers(1, 3))}"] = "11:187"
    return raw


@st.composite
def sph_desired(draw: st.DrawFn) -> DesiredDevice:
    spans = draw(windows(6))
    cut = draw(st.integers(max(0, len(spans) - 3), min(3, len(spans))))
    schedules: list[Schedule | None] = []
    for part, charge in ((spans[:cut], True), (spans[cut:], False)):
        periods = [Period(hm(a), hm(b), True) for a, b in part]
        for _ in range(draw(st.integers(0, 1))):
            a, b = draw(window())
            periods.append(Period(hm(a), hm(b), False))
        schedule = Schedule(draw(st.sampled_from([50, 100])), draw(st.sampled_from([20, 95])),
                            tuple(draw(st.permutations(periods))),
                            draw(st.booleans()) if charge else None)
        schedules.append(schedule if draw(st.integers(0, 3)) else None)
    wanted_settings = {}
    if draw(st.booleans()):
        wanted_settings["load_first_stop_soc"] = draw(st.sampled_from([10, 15]))
    if draw(st.booleans()):
        wanted_settings["single_export"] = draw(st.booleans())  # read with read_parameter
    return DesiredDevice(name="s", serial="SPH1", family="sph", ac_charge=schedules[0],
                         ac_discharge=schedules[1], settings=wanted_settings)


def enabled(schedule: Schedule | None) -> set[tuple[str, str]]:
    return set() if schedule is None else {(p.start, p.end) for p in schedule.periods
                                           if p.enabled}


def clash(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> bool:
    return any(overlap(*x, *y) for x in a for y in b)


def differs(current: Schedule | None, wanted: Schedule | None) -> bool:
    if wanted is None:
        return False
    if current is None:
        return True
    grid = (current.from_grid, wanted.from_grid) if wanted.from_grid is not None else (0, 0)
    return ((current.power, current.stop_soc) != (wanted.power, wanted.stop_soc)
            or grid[0] != grid[1] or enabled(current) != enabled(wanted))


def first_is_safe(new: Schedule, other_now: Schedule | None) -> bool:
    if other_now is None:
        return not enabled(new)
    return not clash(enabled(new), enabled(other_now))


@PROPERTIES
@given(raw=sph_read(), desired=sph_desired())
def test_sph_plan_is_safe_convergent_idempotent_and_minimal(raw: dict[str, Any],
                                                            desired: DesiredDevice) -> None:
    state = sph_family.parse("SPH1", raw)
    assert not clash(enabled(state.ac_charge), enabled(state.ac_discharge))
    try:
        operations = sph_family.plan(state, desired)
    except sph_family.CannotPlanError:
        # only a change that clashes with the other schedule's periods the file leaves alone
        charge, discharge = desired.ac_charge, desired.ac_discharge
        assert (charge is None) != (discharge is None)
        mine, other = ((charge, state.ac_discharge) if charge else (discharge, state.ac_charge))
        assert clash(enabled(mine), enabled(other))
        return
    assert sph_family.plan(state, desired) == operations
    current = state
    for operation in operations:
        if operation.path in ("ac_charge", "ac_discharge"):
            assert len(operation.params) == (18 if operation.path == "ac_charge" else 17)
            assert all(p.isdigit() for p in operation.params)  # no blanks, unpadded numbers
        current = sph_family.apply(current, operation)
        assert not clash(enabled(current.ac_charge), enabled(current.ac_discharge))
    assert sph_family.plan(current, desired) == []
    writes = [op for op in operations if op.path in ("ac_charge", "ac_discharge")]
    charge_differs = differs(state.ac_charge, desired.ac_charge)
    discharge_differs = differs(state.ac_discharge, desired.ac_discharge)
    expected = charge_differs + discharge_differs
    if charge_differs and discharge_differs:
        assert desired.ac_charge is not None and desired.ac_discharge is not None
        if not (first_is_safe(desired.ac_charge, state.ac_discharge)
                or first_is_safe(desired.ac_discharge, state.ac_charge)):
            expected += 1
    assert len(writes) == expected
    assert {op.path for op in operations} - {"ac_charge", "ac_discharge"} == {
        f"settings.{name}" for name, value in desired.settings.items()
        if state.settings.get(name) != value}
    assert all(op.type in {p.write_type for p in SPH_PARAMS.values()}
               for op in operations if op.path.startswith("settings."))


def test_planning_a_typical_device_is_fast() -> None:
    """Not a benchmark (see the report for figures): a loose guard against a search blow-up."""
    import time

    state = min_family.parse("MIN1234567", min_answer()["data"])
    desired = DesiredDevice(name="g", serial="MIN1234567", family="min", time_segments=[
        WantedSegment("battery_first", "23:00", "23:59"),
        WantedSegment("battery_first", "00:00", "06:00"),
        WantedSegment("grid_first", "16:30", "19:59"),
        WantedSegment("load_first", "10:00", "11:00", slot=4)], settings={"charge_power": 90})
    started = time.perf_counter()
    for _ in range(100):
        min_family.plan(state, desired)
    assert (time.perf_counter() - started) / 100 < 0.005


@st.composite
def crowded(draw: st.DrawFn) -> tuple[DeviceState, DesiredDevice]:
    """Dense windows in one morning, (nearly) all slots enabled, most kept, new segments
    pinned to the slots that change: where overwrites block each other and "disable
    first" writes are needed."""
    grid = range(0, 480, 10)
    count = draw(st.sampled_from([9, 9, 8, 7]))
    points = sorted(draw(st.sets(st.sampled_from(grid), min_size=2 * count,
                                 max_size=2 * count)))
    olds = draw(st.permutations([(points[i], points[i + 1]) for i in range(0, 2 * count, 2)]))
    slots: dict[int, Segment | None] = {
        n: Segment(draw(st.sampled_from(MODES)), hm(a), hm(b), True)
        for n, (a, b) in enumerate(olds, 1)}
    slots |= {n: Segment("load_first", "00:00", "00:00", False) for n in range(count + 1, 10)}
    kept = [n for n in range(1, count + 1) if draw(st.integers(0, 3)) != 0]
    taken = [olds[n - 1] for n in kept]
    wanted = [WantedSegment(held.mode, held.start, held.end) for n in kept
              if (held := slots[n]) is not None]
    changing = [n for n in range(1, count + 1) if n not in kept]
    for _ in range(draw(st.integers(1, 3)) if changing else 0):
        # a new window inside the old window of one changing slot, often pinned to another
        # changing slot: the old window then blocks the pinned write until it is gone
        inside = olds[draw(st.sampled_from(changing)) - 1]
        a, b = sorted(draw(st.lists(st.integers(inside[0], inside[1]), min_size=2,
                                    max_size=2, unique=True)))
        if any(a <= y and x <= b for x, y in taken):
            continue
        taken.append((a, b))
        free_pins = [n for n in changing if all(w.slot != n for w in wanted)]
        pin: int | None = None
        if free_pins and draw(st.integers(0, 3)) != 0:
            pin = draw(st.sampled_from(free_pins))
        wanted.append(WantedSegment(draw(st.sampled_from(MODES)), hm(a), hm(b), slot=pin))
    state = DeviceState(serial="MIN1", family="min", slots=slots)
    return state, DesiredDevice(name="c", serial="MIN1", family="min", time_segments=wanted)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=crowded())
def test_min_crowded_plans_are_safe_and_minimal(case: tuple[DeviceState, DesiredDevice]
                                                ) -> None:
    state, desired = case
    wanted = desired.time_segments or []
    pinned = {w.slot for w in wanted if w.slot is not None}
    try:
        operations = min_family.plan(state, desired)
    except NoRoomError:
        return
    current = state
    for operation in operations:
        check_min_write(current, operation, pinned)
        current = min_family.apply(current, operation)
        assert enabled_clashes(current.slots) == []
    assert min_family.plan(current, desired) == []
    if len(operations) <= 4:
        assert fewest_writes(state.slots, wanted, len(operations)) == len(operations)
    else:  # too big to search: at least no plan with one write less exists among the easy
        assert fewest_writes(state.slots, wanted, 2) is None
