"""Properties of the desired-state file.

1. Random valid files (dicts dumped with yaml.safe_dump) are accepted, and what they
   compile to fits the device: at most nine MIN slots, no overlapping enabled windows, no
   window ending before it starts, unique pinned slots, at most three SPH periods per
   schedule, no charge/discharge overlap.
2. Random text, random bytes and random mutations of examples/fleet.yaml either load or
   raise ConfigError with a place (line >= 1, column >= 1), never another exception.
"""

from __future__ import annotations

import itertools
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.config import ConfigError, load_config
from reconciler.devices.params import PARAMS
from reconciler.model import MIN_SLOTS, MODES, SPH_PERIODS, DesiredDevice
from reconciler.timeofday import END_OF_DAY, from_minutes, to_minutes

FLEET = Path(__file__).resolve().parent.parent / "examples" / "fleet.yaml"
DAY = date(2027, 1, 15)
DAY_MINUTES = END_OF_DAY + 1
SCALE = int(os.environ.get("CONFIG_PROPERTIES_SCALE", "1"))  # e.g. 20 for a long hunt
FAST = settings(max_examples=60 * SCALE, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings(max_examples=150 * SCALE, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config-properties") / "inverters.yaml"


# --- generating valid files -------------------------------------------------------------


@st.composite
def circular_windows(draw: st.DrawFn, most: int) -> list[tuple[int, int]]:
    """Up to `most` windows (start, end) of whole minutes that share no minute on the
    24-hour circle; the ones with end < start cross midnight (both parts longer than a
    minute)."""
    count = draw(st.integers(0, most))
    points = sorted(draw(st.lists(st.integers(0, DAY_MINUTES - 1), min_size=2 * count,
                                  max_size=2 * count, unique=True)))
    windows = list(itertools.pairwise(points))[::2]
    shift = draw(st.integers(0, DAY_MINUTES - 1))
    windows = [((a + shift) % DAY_MINUTES, (b + shift) % DAY_MINUTES) for a, b in windows]
    # across midnight, neither part may be a single minute (23:59 or 00:00): refused
    windows = [(a, b) for a, b in windows if not (b < a and (a == END_OF_DAY or b == 0))]
    return draw(st.permutations(windows))


def hhmm(minute: int, end: bool = False, allow_24: bool = False) -> str:
    if end and allow_24 and minute == END_OF_DAY:
        return "24:00"
    return from_minutes(minute)


def split(start: int, end: int) -> list[tuple[int, int]]:
    return [(start, end)] if end >= start else [(start, END_OF_DAY), (0, end)]


def setting_value(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if name == "power_factor":
        return st.one_of(st.floats(-1.0, -0.8), st.floats(0.8, 1.0))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema["minimum"], schema["maximum"])
    if kind == "number":
        return st.floats(schema["minimum"], schema["maximum"])
    if kind == "object":  # export_limit
        return st.builds(lambda on, share: {"enabled": on, "percent": share},
                         st.booleans(), st.integers(0, 100))
    raise AssertionError(f"no strategy for the setting {name}: {schema}")


@st.composite
def settings_for(draw: st.DrawFn, family: str) -> dict[str, Any]:
    params = PARAMS[family]
    names = draw(st.lists(st.sampled_from(sorted(params)), unique=True, max_size=5))
    return {name: draw(setting_value(name, params[name].codec.schema)) for name in names}


@st.composite
def min_inverter(draw: st.DrawFn) -> dict[str, Any]:
    windows = draw(circular_windows(MIN_SLOTS))
    # a window across midnight takes two slots: keep the total within nine
    while sum(len(split(*w)) for w in windows) > MIN_SLOTS:
        windows = windows[:-1]
    free_slots = draw(st.permutations(range(1, MIN_SLOTS + 1)))
    segments = []
    for index, (start, end) in enumerate(windows):
        segment: dict[str, Any] = {"mode": draw(st.sampled_from(MODES)),
                                   "start": hhmm(start),
                                   "end": hhmm(end, end=True, allow_24=draw(st.booleans()))}
        if end >= start and draw(st.integers(0, 3)) == 0:
            segment["slot"] = free_slots[index]
        if draw(st.integers(0, 4)) == 0:
            segment["enabled"] = False
        elif draw(st.booleans()):
            segment["enabled"] = True
        segments.append(segment)
    inverter: dict[str, Any] = {"type": "min"}
    if segments or draw(st.booleans()):
        inverter["time_segments"] = segments
    chosen = draw(settings_for("min"))
    if chosen:
        inverter["settings"] = chosen
    return inverter


@st.composite
def sph_inverter(draw: st.DrawFn) -> dict[str, Any]:
    windows = draw(circular_windows(2 * SPH_PERIODS))
    charge: list[tuple[int, int]] = []
    discharge: list[tuple[int, int]] = []
    for window in windows:
        target = charge if draw(st.booleans()) else discharge
        parts = sum(len(split(*w)) for w in target) + len(split(*window))
        if len(target) < SPH_PERIODS and parts <= SPH_PERIODS:
            target.append(window)
    inverter: dict[str, Any] = {"type": "sph"}
    for section, periods in (("ac_charge", charge), ("ac_discharge", discharge)):
        if not periods and draw(st.booleans()):
            continue
        body: dict[str, Any] = {"power": draw(st.integers(0, 100)),
                                "stop_soc": draw(st.integers(0, 100)),
                                "periods": [{"start": hhmm(a), "end": hhmm(b, end=True)}
                                            for a, b in periods]}
        if section == "ac_charge" and draw(st.booleans()):
            body["from_grid"] = draw(st.booleans())
        inverter[section] = body
    chosen = draw(settings_for("sph"))
    if chosen:
        inverter["settings"] = chosen
    return inverter


@st.composite
def valid_files(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.lists(st.sampled_from(["min", "sph"]), min_size=1, max_size=4))
    inverters: dict[str, Any] = {}
    profiles: dict[str, Any] = {}
    for index, kind in enumerate(kinds):
        body = draw(min_inverter() if kind == "min" else sph_inverter())
        body = {"serial": f"{kind.upper()}{index:07d}", **body}
        # sometimes a profile carries some of the settings; the inverter's own keys win
        own = body.get("settings", {})
        if own and draw(st.booleans()):
            moved = {key: value for key, value in own.items() if draw(st.booleans())}
            profiles[f"p{index}"] = {"settings": moved}
            body["profile"] = f"p{index}"
        inverters[f"inv-{kind}-{index}"] = body
    document: dict[str, Any] = {"version": 1, "account": {"server": "eu",
                                                          "timezone": "Europe/Berlin"}}
    if profiles:
        document["profiles"] = profiles
    document["inverters"] = inverters
    return document


# --- what a device can hold -------------------------------------------------------------


def minutes_of(start: str, end: str) -> tuple[int, int]:
    return to_minutes(start), to_minutes(end)


def no_overlap(windows: list[tuple[int, int]]) -> bool:
    return all(a_end < b_start or b_end < a_start
               for (a_start, a_end), (b_start, b_end) in itertools.combinations(windows, 2))


def assert_fits(device: DesiredDevice) -> None:
    if device.time_segments is not None:
        used = [s for s in device.time_segments if s.enabled or s.slot is not None]
        assert len(used) <= MIN_SLOTS
        windows = []
        for segment in device.time_segments:
            start, end = minutes_of(segment.start, segment.end)
            assert start <= end, segment
            assert segment.mode in MODES
            if segment.enabled:
                windows.append((start, end))
        assert no_overlap(windows), device.time_segments
        pinned = [s.slot for s in device.time_segments if s.slot is not None]
        assert len(pinned) == len(set(pinned))
        assert all(1 <= slot <= MIN_SLOTS for slot in pinned)
    both = []
    for schedule in (device.ac_charge, device.ac_discharge):
        if schedule is None:
            continue
        assert 0 <= schedule.power <= 100 and 0 <= schedule.stop_soc <= 100
        enabled = [minutes_of(p.start, p.end) for p in schedule.periods if p.enabled]
        assert len(enabled) <= SPH_PERIODS
        assert all(start <= end for start, end in enabled)
        assert no_overlap(enabled)
        both += enabled
    assert no_overlap(both), (device.ac_charge, device.ac_discharge)


def expected_segments(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    result = []
    for item in items:
        start, end = to_minutes(item["start"]), (
            END_OF_DAY if item["end"] == "24:00" else to_minutes(item["end"]))
        for part_start, part_end in split(start, end):
            result.append((item["mode"], from_minutes(part_start), from_minutes(part_end),
                           item.get("enabled", True), item.get("slot")))
    return result


@FAST
@given(data=valid_files())
def test_valid_files_compile_to_what_devices_hold(scratch: Path, data: dict[str, Any]) -> None:
    scratch.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        config = load_config(scratch, on_date=DAY)
    except ConfigError as exc:  # every generated file is valid: say why it was refused
        raise AssertionError(f"{exc}\n---\n{scratch.read_text()}") from None
    assert [d.name for d in config.devices] == list(data["inverters"])
    for device in config.devices:
        raw = data["inverters"][device.name]
        assert device.serial == raw["serial"] and device.family == raw["type"]
        assert_fits(device)
        if "time_segments" in raw:
            assert device.time_segments is not None
            got = [(s.mode, s.start, s.end, s.enabled, s.slot) for s in device.time_segments]
            assert got == expected_segments(raw["time_segments"])
        else:
            assert device.time_segments is None
        for section in ("ac_charge", "ac_discharge"):
            schedule = getattr(device, section)
            assert (schedule is None) == (section not in raw)
            if schedule is not None:
                assert schedule.power == raw[section]["power"]
                assert schedule.stop_soc == raw[section]["stop_soc"]
        merged = {**data.get("profiles", {}).get(raw.get("profile"), {}).get("settings", {}),
                  **raw.get("settings", {})}
        assert set(device.settings) == set(merged)
        for key, value in merged.items():
            assert device.settings[key] == value


@settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_files(), extra=st.data())
def test_accepted_files_fit_even_when_windows_are_shuffled(
        scratch: Path, data: dict[str, Any], extra: st.DataObject) -> None:
    """Move random windows to random times: what the validator still accepts fits."""
    for body in data["inverters"].values():
        lists = [body.get("time_segments", [])] + [
            body.get(s, {}).get("periods", []) for s in ("ac_charge", "ac_discharge")]
        for items in lists:
            for item in items:
                if extra.draw(st.booleans()):
                    item["start"] = from_minutes(extra.draw(st.integers(0, END_OF_DAY)))
                    item["end"] = from_minutes(extra.draw(st.integers(0, END_OF_DAY)))
                if "slot" not in item and "mode" in item and extra.draw(st.integers(0, 5)) == 0:
                    item["slot"] = extra.draw(st.integers(1, MIN_SLOTS))
    scratch.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        config = load_config(scratch, on_date=DAY)
    except ConfigError as exc:
        assert exc.problems
        assert all(p.line >= 1 and p.column >= 1 for p in exc.problems)
        assume(False)
        return
    for device in config.devices:
        assert_fits(device)


# --- fuzzing: load or a located ConfigError, nothing else ------------------------------


def load_or_located_error(path: Path) -> None:
    try:
        load_config(path, on_date=DAY)
    except ConfigError as exc:
        assert exc.problems, "ConfigError without problems"
        for problem in exc.problems:
            assert isinstance(problem.line, int) and problem.line >= 1, problem
            assert isinstance(problem.column, int) and problem.column >= 1, problem
            assert problem.message


@FUZZ
@given(text=st.text())
def test_random_text(scratch: Path, text: str) -> None:
    scratch.write_text(text, encoding="utf-8")
    load_or_located_error(scratch)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes(scratch: Path, raw: bytes) -> None:
    scratch.write_bytes(raw)
    load_or_located_error(scratch)


@settings(max_examples=20, deadline=None)
@given(text=st.text(max_size=50), control=st.sampled_from(["\x00", "\x07", "\x1b", "\x7f",
                                                           "\x9f", "\ufffe"]),
       where=st.integers(0, 200))
def test_control_characters_are_located(scratch: Path, text: str, control: str,
                                         where: int) -> None:
    base = FLEET.read_text(encoding="utf-8")
    scratch.write_text(base[:where] + control + text + base[where:], encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(scratch, on_date=DAY)
    problem = caught.value.problems[0]
    line = base[:where].count("\n") + 1
    column = where - (base[:where].rfind("\n") + 1) + 1
    assert (problem.line, problem.column) == (line, column), str(problem)
    assert f"U+{ord(control):04X}" in problem.message


YAMLISH = st.sampled_from([":", " ", "\n", "-", "{", "}", "[", "]", "&a", "*a", "!", "#",
                           "\t", "'", '"', "<<: ", "?", "|", ">", "%", "@", "`", ",",
                           "1", "24:00", "null", "~", "true", "\x00", "\ufeff", "é"])


@st.composite
def fleet_mutations(draw: st.DrawFn) -> str:
    text = FLEET.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete char", "duplicate char", "replace char",
                                     "insert", "delete line", "duplicate line",
                                     "replace line", "swap lines"]))
        if kind.endswith("char") or kind == "insert":
            at = draw(st.integers(0, len(text) - 1))
            if kind == "delete char":
                text = text[:at] + text[at + 1:]
            elif kind == "duplicate char":
                text = text[:at] + text[at] + text[at:]
            else:
                piece = draw(st.one_of(YAMLISH, st.characters()))
                text = text[:at] + piece + text[at + (kind == "replace char"):]
        else:
            at = draw(st.integers(0, len(lines) - 1))
            if kind == "delete line":
                del lines[at]
            elif kind == "duplicate line":
                lines.insert(at, lines[at])
            elif kind == "replace line":
                lines[at] = lines[draw(st.integers(0, len(lines) - 1))]
            else:
                other = draw(st.integers(0, len(lines) - 1))
                lines[at], lines[other] = lines[other], lines[at]
            text = "\n".join(lines)
    return text


@FUZZ
@given(text=fleet_mutations())
def test_mutated_fleet(scratch: Path, text: str) -> None:
    scratch.write_bytes(text.encode("utf-8", "surrogatepass"))
    load_or_located_error(scratch)


def test_fleet_itself_loads() -> None:
    assert len(load_config(FLEET, on_date=DAY).devices) == 12
