"""What the file means once valid (compiling to device terms, profiles, seasons), and that
the bad-file corpus reports exactly the problems it lists: no more, no fewer."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import ConfigError, compile_config, load_config, profiles
from reconciler.model import DesiredDevice, Period, Schedule, WantedSegment

BAD = Path(__file__).resolve().parent / "bad_configs"
EXPECT = re.compile(r"^# expect: (\d+):(\d+)(?:: | (error|warning|note): )(.+?)\s*$")
DAY = date(2025, 1, 15)
MIN_HEAD = "version: 1\ninverters:\n  garage:\n    serial: MIN1234567\n    type: min\n"
SPH_HEAD = "version: 1\ninverters:\n  shed:\n    serial: SPH7654321\n    type: sph\n"


def expected_of(path: Path) -> list[tuple[int, int, str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = EXPECT.match(line)
        if match:
            found.append((int(match[1]), int(match[2]), match[3] or "error", match[4]))
    return found


# Files named with dashes list every problem they cause (the others list the ones that
# matter to them); for these, nothing beyond the list may be reported.
EXACT = sorted(path for path in BAD.glob("*.yaml") if "-" in path.stem)


def test_exact_corpus_is_large() -> None:
    assert len(EXACT) >= 40
    assert all(expected_of(path) for path in EXACT)


@pytest.mark.parametrize("path", EXACT, ids=lambda p: p.stem)
def test_bad_file_reports_exactly_what_it_lists(path: Path) -> None:
    expected = expected_of(path)
    try:
        reported = load_config(path, on_date=DAY).warnings
        assert all(severity != "error" for *_, severity, _ in expected), "loaded a bad file"
    except ConfigError as exc:
        reported = exc.problems
    assert len(reported) == len(expected), "\n".join(map(str, reported))
    for (line, column, severity, fragment), problem in zip(expected, reported, strict=True):
        assert (problem.line, problem.column, problem.severity) == (line, column, severity), (
            str(problem))
        assert fragment in problem.message
        assert problem.file == str(path)


def compile_text(text: str, day: date = DAY) -> list[DesiredDevice]:
    return compile_config(text, on_date=day).devices


# --- MIN segments -------------------------------------------------------------------


def test_windows_across_midnight_split_in_two_and_24_00_is_23_59() -> None:
    (device,) = compile_text(MIN_HEAD + """\
    time_segments:
      - {mode: battery_first, start: "23:30", end: "05:30", slot: null}
      - {mode: grid_first, start: "17:00", end: "24:00", slot: 3, enabled: false}
""")
    assert device.time_segments == [
        WantedSegment("battery_first", "23:30", "23:59",
                      origin="23:30-05:30 across midnight, part 1 of 2"),
        WantedSegment("battery_first", "00:00", "05:30",
                      origin="23:30-05:30 across midnight, part 2 of 2"),
        WantedSegment("grid_first", "17:00", "23:59", enabled=False, slot=3),
    ]


def test_empty_list_manages_all_slots_and_absent_list_none() -> None:
    (managed,) = compile_text(MIN_HEAD + "    time_segments: []\n")
    (left_alone,) = compile_text(MIN_HEAD)
    assert managed.time_segments == []
    assert left_alone.time_segments is None


def test_disabled_window_may_start_where_it_ends() -> None:
    (device,) = compile_text(MIN_HEAD + """\
    time_segments:
      - {mode: load_first, start: "00:00", end: "00:00", enabled: false, slot: 9}
""")
    assert device.time_segments == [WantedSegment("load_first", "00:00", "00:00", False, 9)]


# --- SPH schedules ---------------------------------------------------------------------


def test_sph_schedules_in_device_terms() -> None:
    (device,) = compile_text(SPH_HEAD + """\
    ac_charge:
      power: 100
      stop_soc: 95
      periods: [{start: "23:00", end: "02:00"}, {start: "03:00", end: "24:00",
                enabled: false}]
    ac_discharge: {power: 80, stop_soc: 20}
""")
    assert device.ac_charge == Schedule(100, 95, (
        Period("23:00", "23:59", True), Period("00:00", "02:00", True),
        Period("03:00", "23:59", False)), from_grid=True)  # from_grid defaults to true
    assert device.ac_discharge == Schedule(80, 20, (), from_grid=None)  # no periods: all off


def test_schedule_keys_merge_across_profiles() -> None:
    (device,) = compile_text("""\
version: 1
profiles:
  base: {ac_charge: {power: 100, stop_soc: 90, from_grid: false,
                     periods: [{start: "01:00", end: "05:00"}]}}
inverters:
  shed:
    serial: SPH7654321
    profile: base
    ac_charge: {stop_soc: 80}
""")
    assert device.family is None
    assert device.ac_charge == Schedule(100, 80, (Period("01:00", "05:00", True),), False)


# --- profiles and seasons --------------------------------------------------------------


SEASONS = """\
version: 1
profiles:
  base: {settings: {charge_power: 10}}
  winter: {profile: base, settings: {charge_power: 90}}
  summer: {profile: [base], settings: {charge_power: 50}}
  night: {settings: {discharge_power: 70}}
inverters:
  garage:
    serial: MIN1234567
    type: min
    profile:
      - night
      - {use: winter, from: "11-01", until: "02-28"}
      - {use: [summer], from: "05-01", until: "08-31"}
      - {use: base}
"""


@pytest.mark.parametrize(("day", "names", "power", "switch"), [
    (date(2025, 1, 15), ["night", "base", "winter"], 90, "2025-03-01"),
    (date(2025, 12, 31), ["night", "base", "winter"], 90, "2026-03-01"),
    (date(2025, 3, 10), ["night", "base"], 10, "2025-05-01"),
    (date(2025, 6, 1), ["night", "base", "summer"], 50, "2025-09-01"),
    (date(2025, 9, 30), ["night", "base"], 10, "2025-11-01"),
])
def test_names_merge_and_the_first_matching_dated_entry_wins(
        day: date, names: list[str], power: int, switch: str) -> None:
    (device,) = compile_text(SEASONS, day)
    assert device.profiles == names
    assert device.settings == {"charge_power": power, "discharge_power": 70}
    assert device.next_switch == switch


def test_plain_profile_lists_have_no_switch_date() -> None:
    (device,) = compile_text(MIN_HEAD.replace("    type: min\n", "    profile: [a, b]\n")
                             .replace("inverters:", "profiles: {a: {}, b: {}}\ninverters:"))
    assert device.profiles == ["a", "b"]
    assert device.next_switch is None


def naive_choice(ref: list[object], day: str) -> int | None:
    for index, entry in enumerate(ref):
        if isinstance(entry, dict):
            start, until = str(entry.get("from", "")), str(entry.get("until", ""))
            if not start or (start <= day <= until if start <= until
                             else day >= start or day <= until):
                return index
    return None


month_days = st.sampled_from(profiles.DAYS)


@st.composite
def refs(draw: st.DrawFn) -> list[object]:
    entries: list[object] = []
    for n in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["name", "dated", "always"]))
        if kind == "name":
            entries.append(f"p{n}")
        elif kind == "dated":
            entries.append({"use": f"p{n}", "from": draw(month_days),
                            "until": draw(month_days)})
        else:
            entries.append({"use": f"p{n}"})
    return entries


@settings(max_examples=150, deadline=None)
@given(ref=refs(), day=st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_season_table_matches_the_rule(ref: list[object], day: date) -> None:
    today = naive_choice(ref, profiles.month_day(day))
    assert profiles.chosen_selector(ref, day) == (
        today if profiles.has_selectors(ref) else None)
    switch = profiles.next_switch(ref, day)
    if switch is not None:
        assert naive_choice(ref, profiles.month_day(switch)) != today
        for offset in range(1, (switch - day).days):
            between = day + timedelta(days=offset)
            assert naive_choice(ref, profiles.month_day(between)) == today
    gaps = profiles.uncovered_days(ref)
    only_dated = all(isinstance(entry, dict) for entry in ref)
    uncovered = [d for d in profiles.DAYS if naive_choice(ref, d) is None]
    assert bool(gaps) == (only_dated and bool(uncovered))


def test_profiles_are_expanded_once_even_when_shared_widely() -> None:
    # Each profile names the next one twice: a naive expansion would take 2**15 steps.
    lines = ["version: 1", "profiles:"]
    lines += [f"  p{n}: {{profile: [p{n + 1}, p{n + 1}]}}" for n in range(15)]
    lines += ["  p15: {settings: {charge_power: 5}}", "inverters:",
              "  garage: {serial: MIN1234567, profile: p0}"]
    started = time.monotonic()
    (device,) = compile_text("\n".join(lines) + "\n")
    assert time.monotonic() - started < 2
    assert device.profiles == [f"p{n}" for n in range(15, -1, -1)]
    assert device.settings == {"charge_power": 5}


# --- the result as a whole -----------------------------------------------------------------


def test_config_carries_path_hash_account_date_and_location(tmp_path: Path) -> None:
    text = ("version: 1\naccount: {server: sim, token_env: MY_TOKEN, read_interval: 30,\n"
            "          timezone: Pacific/Auckland}\ninverters:\n  garage:\n"
            "    serial: MIN1234567\n")
    path = tmp_path / "site.yaml"
    path.write_text(text)
    config = load_config(path, on_date=DAY)
    assert config.path == path
    assert config.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert (config.account.server, config.account.token_env, config.account.read_interval,
            config.account.timezone) == ("sim", "MY_TOKEN", 30, "Pacific/Auckland")
    assert config.date == DAY
    assert config.devices[0].location == f"{path}:5:3"
    assert config.warnings == []


def test_without_a_date_today_is_taken_in_the_account_zone() -> None:
    config = compile_config("version: 1\naccount: {timezone: Pacific/Kiritimati}\n"
                            "inverters: {garage: {serial: MIN1234567}}\n")
    assert config.date in {date.today(), date.today() + timedelta(days=1)}


def test_every_problem_of_every_inverter_in_one_run() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_text("""\
version: 1
inverters:
  a:
    serial: MIN1234567
    type: min
    time_segments:
      - {mode: battery_first, start: "02:00", end: "05:00"}
      - {mode: grid_first, start: "04:00", end: "07:00"}
      - {mode: grid_frist, start: "08:00", end: "09:00"}
  b:
    serial: SPH7654321
    ac_charge: {power: 101, stop_soc: 50}
    settings: {charge_pwr: 1}
  c:
    serial: SPH7654321
    profile: nope
""")
    places = [(p.line, p.column) for p in caught.value.problems]
    assert places == [(8, 9), (9, 16), (12, 24), (13, 16), (15, 13), (16, 14)]
    assert str(caught.value).count("\n") == 5


def test_hostile_scalars_are_text_not_crashes() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_text("version: 1\ninverters: {a: {serial: 0x_, type: min, settings: "
                     "{charge_power: " + "9" * 5000 + "}}}\n")
    assert all(p.line == 2 for p in caught.value.problems)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_text("version: 1\nloop: &a [*a]\ninverters: {}\n")
    assert caught.value.problems[0].line == 2
