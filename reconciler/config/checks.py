"""Rules across keys: windows and their overlaps, slots, families, settings, serials, tokens.

Each function returns problems (never raises), so one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.config.errors_map import suggestion
from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_
from reconciler.devices.params import PARAMS
from reconciler.model import MIN_SLOTS, SPH_PERIODS, Period, WantedSegment
from reconciler.timeofday import END_OF_DAY, from_minutes, to_minutes

SERIAL = re.compile(r"^[A-Z0-9]{10}$")
TOKEN_LIKE = re.compile(r"^[0-9a-fA-F]{32}$")
TOKEN_KEYS = {"token", "api_token", "apitoken", "growatt_token"}
MIN_ONLY = ("time_segments",)
SPH_ONLY = ("ac_charge", "ac_discharge")


@dataclass
class Window:
    """One compiled window (after midnight splitting) and where it was written."""

    start: int
    end: int
    path: Path_
    enabled: bool
    origin: str = ""


def minutes(text: str, end: bool = False) -> int:
    return END_OF_DAY if end and text == "24:00" else to_minutes(text)


def split(start: str, end: str, path: Path_, enabled: bool) -> list[Window]:
    """A window across midnight becomes two the device can hold."""
    first, last = minutes(start), minutes(end, end=True)
    if last >= first:
        return [Window(first, last, path, enabled)]
    text = f"{start}-{end} across midnight"
    return [Window(first, END_OF_DAY, path, enabled, f"{text}, part 1 of 2"),
            Window(0, last, path, enabled, f"{text}, part 2 of 2")]


def overlap_problems(document: Document, windows: list[Window], what: str) -> list[Problem]:
    problems = []
    enabled = [w for w in windows if w.enabled]
    for index, window in enumerate(enabled):
        for earlier in enabled[:index]:
            if window.start <= earlier.end and earlier.start <= window.end:
                shared = from_minutes(max(window.start, earlier.start))
                line = document.place(earlier.path)[0]
                text = (f"this {what} overlaps the one at line {line} "
                        f"({from_minutes(earlier.start)}-{from_minutes(earlier.end)} and "
                        f"{from_minutes(window.start)}-{from_minutes(window.end)} share "
                        f"{shared}; times include both ends)")
                if earlier.end == window.start and window.start > 0:
                    text += f": end the first at {from_minutes(window.start - 1)}"
                elif window.end == earlier.start and earlier.start > 0:
                    text += f": end this one at {from_minutes(earlier.start - 1)}"
                problems.append(document.problem(window.path, text))
                break
    return problems


def compile_segments(document: Document, items: list[dict[str, Any]], base: Path_
                     ) -> tuple[list[WantedSegment], list[Problem]]:
    problems: list[Problem] = []
    wanted: list[WantedSegment] = []
    windows: list[Window] = []
    pinned: dict[int, Path_] = {}
    for index, item in enumerate(items):
        path = (*base, index)
        enabled = bool(item.get("enabled", True))
        parts = split(item["start"], item["end"], path, enabled)
        slot = item.get("slot")
        if enabled and parts[0].start == parts[-1].end and len(parts) == 1 and \
                item["start"] == item["end"]:
            problems.append(document.problem(path, f"start and end are the same minute "
                                             f"({item['start']}); for the whole day write "
                                             "00:00-24:00"))
            continue
        if slot is not None:
            if len(parts) > 1:
                problems.append(document.problem((*path, "slot"), "a window across midnight "
                                                 "becomes two segments, so it cannot be pinned "
                                                 "to one slot: split it yourself and pin both"))
                continue
            if slot in pinned:
                line = document.place(pinned[slot])[0]
                problems.append(document.problem((*path, "slot"),
                                                 f"slot {slot} is already pinned by the "
                                                 f"segment at line {line}"))
                continue
            pinned[slot] = path
        windows += parts
        wanted += [WantedSegment(mode=item["mode"], start=from_minutes(part.start),
                                 end=from_minutes(part.end), enabled=enabled, slot=slot,
                                 origin=part.origin) for part in parts]
    problems += overlap_problems(document, windows, "segment")
    used = [w for w in wanted if w.enabled or w.slot is not None]
    if len(used) > MIN_SLOTS:
        problems.append(document.problem(base, f"{len(used)} segments (counting windows split "
                                         f"at midnight) but a MIN inverter has {MIN_SLOTS} "
                                         "slots"))
    return wanted, problems


def compile_periods(document: Document, items: list[dict[str, Any]], base: Path_, label: str
                    ) -> tuple[list[Period], list[Window], list[Problem]]:
    problems: list[Problem] = []
    periods: list[Period] = []
    windows: list[Window] = []
    for index, item in enumerate(items):
        path = (*base, index)
        enabled = bool(item.get("enabled", True))
        if enabled and item["start"] == item["end"]:
            problems.append(document.problem(path, f"start and end are the same minute "
                                             f"({item['start']}); for the whole day write "
                                             "00:00-24:00"))
            continue
        parts = split(item["start"], item["end"], path, enabled)
        windows += parts
        periods += [Period(from_minutes(p.start), from_minutes(p.end), enabled) for p in parts]
    problems += overlap_problems(document, windows, f"{label} period")
    if sum(p.enabled for p in periods) > SPH_PERIODS:
        problems.append(document.problem(base, f"{label} has {sum(p.enabled for p in periods)} "
                                         f"periods (counting windows split at midnight) but an "
                                         f"SPH holds {SPH_PERIODS}"))
    return periods, windows, problems


def family_problems(document: Document, name: str, family: str | None,
                    section_paths: dict[str, Path_], inverter: Path_) -> list[Problem]:
    present_min = [s for s in MIN_ONLY if s in section_paths]
    present_sph = [s for s in SPH_ONLY if s in section_paths]
    if family == "sph":
        return [document.problem(section_paths[s], f"{s} is for MIN inverters, but {name} "
                                 "is type: sph") for s in present_min]
    if family == "min":
        return [document.problem(section_paths[s], f"{s} is for SPH inverters, but {name} "
                                 "is type: min") for s in present_sph]
    if present_min and present_sph:
        return [document.problem(inverter, f"{name} has MIN sections ({present_min[0]}) and "
                                 f"SPH sections ({present_sph[0]}); set type: min or sph",
                                 key=True)]
    return []


def normalize_settings(document: Document, name: str, family: str | None,
                       settings: dict[str, tuple[Any, Path_]]
                       ) -> tuple[dict[str, Any], list[Problem]]:
    problems = []
    values: dict[str, Any] = {}
    families = [family] if family else ["min", "sph"]
    for key, (value, path) in sorted(settings.items()):
        registry = next((PARAMS[f] for f in families if key in PARAMS[f]), None)
        if registry is None:
            other = [f for f in ("min", "sph") if key in PARAMS[f]]
            if other:
                text = (f"{key} is a setting of {other[0].upper()} inverters, but {name} is "
                        f"type: {family}")
            else:
                known = sorted({k for f in families for k in PARAMS[f]})
                text = f"unknown setting {key!r}{suggestion(key, known)}"
            problems.append(document.problem(path, text, key=True))
            continue
        try:
            values[key] = registry[key].codec.normalize(value)
        except ValueError as exc:
            problems.append(document.problem(path, f"{key} {exc}"))
    return values, problems


def serial_problem(document: Document, serial: str, path: Path_) -> Problem | None:
    if SERIAL.match(serial):
        return None
    return document.problem(path, f"{serial!r} is not a Growatt serial number: expected 10 "
                            "capital letters and digits, like MIN1234567")


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any, bool]]:
    """Every (path, value, is_key) in the data."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), key, True
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*path, index))
    else:
        yield path, data, False


def token_problems(document: Document) -> list[Problem]:
    """The token belongs in the environment, never in a file that goes into git."""
    problems = []
    for path, value, is_key in walk(document.data):
        if is_key and str(value).lower() in TOKEN_KEYS:
            problems.append(document.problem(path, "a token does not belong in the file (it "
                                             "would end up in git): put it in the environment "
                                             "variable named by account.token_env", key=True))
        elif not is_key and isinstance(value, str) and TOKEN_LIKE.match(value):
            problems.append(document.problem(path, "this looks like an API token; tokens do "
                                             "not belong in the file: put it in the "
                                             "environment variable named by account.token_env"))
    return problems
