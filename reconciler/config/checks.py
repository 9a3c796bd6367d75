"""Rules across keys: windows and their overlaps, slots, families, settings, serials, tokens.

Each function returns what it compiled and the problems it found (never raises), so one
run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.config.errors_map import suggestion
from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_, place_of
from reconciler.devices.params import PARAMS
from reconciler.model import MIN_SLOTS, SPH_PERIODS, Period, WantedSegment
from reconciler.timeofday import END_OF_DAY, from_minutes, to_minutes

SERIAL = re.compile(r"^[A-Z0-9]{10}$")
TOKEN_TEXT = re.compile(r"(?<![0-9A-Za-z_])[0-9a-fA-F]{32}(?![0-9A-Za-z_])")
TOKEN_KEYS = {"token", "api_token", "apitoken", "access_token", "growatt_token", "password"}
MIN_ONLY = ("time_segments",)
SPH_ONLY = ("ac_charge", "ac_discharge")
WHOLE_DAY = "for the whole day write 00:00-24:00"


@dataclass(frozen=True)
class Window:
    """One window the device holds (after midnight splitting) and where it was written."""

    start: int
    end: int
    path: Path_
    enabled: bool
    written: str  # "23:30-05:30" as in the file
    part: int = 0  # 1 or 2 for the halves of a window across midnight

    @property
    def origin(self) -> str:
        if not self.part:
            return ""
        return f"{self.written} across midnight, part {self.part} of 2"

    def text(self) -> str:
        own = f"{from_minutes(self.start)}-{from_minutes(self.end)}"
        return f"{own} (part of {self.written})" if self.part else own


def end_minutes(text: str) -> int:
    return END_OF_DAY if text == "24:00" else to_minutes(text)


def split(document: Document, item: dict[str, Any], path: Path_
          ) -> tuple[list[Window], Problem | None]:
    """The windows the device holds for one written window, or why it holds none.

    A window across midnight becomes two (the device rejects an end before the start);
    an enabled window whose start equals its end is refused (spec 3.2: never emit it).
    """
    start, end = to_minutes(item["start"]), end_minutes(item["end"])
    enabled = item.get("enabled", True) is not False
    written = f"{item['start']}-{item['end']}"
    if end > start or (end == start and not enabled):
        return [Window(start, end, path, enabled, written)], None
    if end == start:
        single = from_minutes(start)
        return [], document.problem((*path, "end"), f"start and end are the same minute "
                                    f"({single}): the inverter may ignore such a window or "
                                    f"run it all day, so it is refused ({WHOLE_DAY})")
    if enabled and start == END_OF_DAY:
        return [], document.problem((*path, "start"), f"{written} crosses midnight, and its "
                                    "part before midnight would be the single minute 23:59, "
                                    "which the inverter cannot hold safely: start at 00:00")
    if enabled and end == 0:
        return [], document.problem((*path, "end"), f"{written} crosses midnight, and its "
                                    "part after midnight would be the single minute 00:00, "
                                    "which the inverter cannot hold safely: end at 24:00 "
                                    "(the end of the day)")
    return [Window(start, END_OF_DAY, path, enabled, written, 1),
            Window(0, end, path, enabled, written, 2)], None


def overlap_problems(document: Document, windows: list[Window], what: str,
                     others: list[Window] | None = None, other_what: str = "") -> list[Problem]:
    """Enabled windows sharing a minute: within `windows`, or with `others` when given."""
    problems = []
    enabled = [w for w in windows if w.enabled]
    against = [w for w in (others or []) if w.enabled]
    for index, window in enumerate(enabled):
        pool = against if others is not None else enabled[:index]
        for earlier in pool:
            if window.start <= earlier.end and earlier.start <= window.end:
                shared = from_minutes(max(window.start, earlier.start))
                line = document.place(earlier.path)[0]
                other = other_what or what
                text = (f"this {what} overlaps the {other} at line {line}: {earlier.text()} "
                        f"and {window.text()} share {shared} (times include both ends)")
                if earlier.end == window.start and window.start > 0:
                    text += f"; end the first at {from_minutes(window.start - 1)}"
                elif window.end == earlier.start and earlier.start > 0:
                    text += f"; end this one at {from_minutes(earlier.start - 1)}"
                problems.append(document.problem(window.path, text))
                break
    return problems


def compile_segments(document: Document, items: list[dict[str, Any]], base: Path_,
                     skip: Collection[int] = ()) -> tuple[list[WantedSegment], list[Problem]]:
    """MIN segments in the device's terms: split, 24:00 as 23:59, slots checked.
    Items at `skip` (invalid ones, already reported) are left out."""
    problems: list[Problem] = []
    wanted: list[WantedSegment] = []
    windows: list[Window] = []
    pinned: dict[int, Path_] = {}
    for index, item in enumerate(items):
        if index in skip:
            continue
        path = (*base, index)
        parts, problem = split(document, item, path)
        if problem:
            problems.append(problem)
            continue
        slot = item.get("slot")
        if slot is not None:
            if len(parts) > 1:
                problems.append(document.problem((*path, "slot"), "a window across midnight "
                                                 "becomes two segments, so it cannot be pinned "
                                                 "to one slot: write the two halves yourself "
                                                 "and pin each"))
                continue
            if slot in pinned:
                line = document.place(pinned[slot])[0]
                problems.append(document.problem((*path, "slot"), f"slot {slot} is already "
                                                 f"pinned by the segment at line {line}"))
                continue
            pinned[slot] = path
        windows += parts
        wanted += [WantedSegment(mode=item["mode"], start=from_minutes(part.start),
                                 end=from_minutes(part.end), enabled=part.enabled, slot=slot,
                                 origin=part.origin) for part in parts]
    problems += overlap_problems(document, windows, "segment")
    if len(windows) > MIN_SLOTS:
        problems.append(document.problem(base, f"{len(windows)} segments once windows across "
                                         f"midnight are split in two, but a MIN inverter has "
                                         f"{MIN_SLOTS} slots", key=True))
    return wanted, problems


def compile_periods(document: Document, items: list[dict[str, Any]], base: Path_,
                    label: str, skip: Collection[int] = ()
                    ) -> tuple[list[Period], list[Window], list[Problem]]:
    """SPH periods in the device's terms: split, 24:00 as 23:59, at most three.
    `label` is "charge" or "discharge".
    Items at `skip` (invalid ones, already reported) are left out."""
    problems: list[Problem] = []
    periods: list[Period] = []
    windows: list[Window] = []
    for index, item in enumerate(items):
        if index in skip:
            continue
        parts, problem = split(document, item, (*base, index))
        if problem:
            problems.append(problem)
            continue
        windows += parts
        periods += [Period(from_minutes(p.start), from_minutes(p.end), p.enabled)
                    for p in parts]
    problems += overlap_problems(document, windows, f"{label} period")
    if len(periods) > SPH_PERIODS:
        problems.append(document.problem(base, f"ac_{label} has {len(periods)} periods once "
                                         "windows across midnight are split in two, but an "
                                         f"SPH holds {SPH_PERIODS}", key=True))
    return periods, windows, problems


def family_problems(document: Document, name: str, family: str | None,
                    section_paths: dict[str, Path_]) -> list[Problem]:
    """Sections of the other family, when the type is given or the sections disagree."""
    present_min = [s for s in MIN_ONLY if s in section_paths]
    present_sph = [s for s in SPH_ONLY if s in section_paths]
    if family == "sph":
        return [document.problem(section_paths[s], f"{s} is for MIN inverters, but {name!r} "
                                 "is type: sph", key=True) for s in present_min]
    if family == "min":
        return [document.problem(section_paths[s], f"{s} is for SPH inverters, but {name!r} "
                                 "is type: min", key=True) for s in present_sph]
    if present_min and present_sph:
        return [document.problem(section_paths[present_sph[0]], f"{name!r} gets MIN sections "
                                 f"({present_min[0]}) and SPH sections ({present_sph[0]}): an "
                                 "inverter is one or the other; set type: min or type: sph",
                                 key=True)]
    return []


def normalize_settings(document: Document, name: str, family: str | None, why: str,
                       settings: dict[str, tuple[Any, Path_]]
                       ) -> tuple[dict[str, Any], list[Problem]]:
    """Each named setting checked and normalized by its family's codec.

    `family` is the type given or inferred from the sections (`why` says which), None
    when unknown: then a name of either family is accepted.
    """
    problems = []
    values: dict[str, Any] = {}
    families = [family] if family else ["min", "sph"]
    for key, (value, path) in settings.items():
        registry = next((PARAMS[f] for f in families if key in PARAMS[f]), None)
        if registry is None:
            other = [f for f in ("min", "sph") if key in PARAMS[f]]
            if other:
                text = (f"{key} is a setting of {other[0].upper()} inverters, but {name!r} "
                        f"{why}")
            else:
                known = sorted({k for f in families for k in PARAMS[f]})
                text = f"unknown setting {key!r}{suggestion(key, known)}"
            problems.append(document.problem(path, text, key=True))
            continue
        if value is None:
            problems.append(document.problem(path, f"{key} has no value: give one, or remove "
                                             "the key to leave the setting alone", key=True))
            continue
        try:
            values[key] = registry[key].codec.normalize(value)
        except ValueError as exc:
            problems.append(document.problem(path, f"{key} {exc}"))
    return values, problems


def serial_problem(document: Document, serial: str, path: Path_) -> Problem | None:
    if SERIAL.match(serial):
        return None
    count = len(serial)
    hint = f" (this has {count} character{'s' * (count != 1)})" if count != 10 else ""
    if SERIAL.match(serial.upper()):
        hint = f": write it in capitals, {serial.upper()!r}"
    return document.problem(path, f"{serial!r} is not a Growatt serial number: expected 10 "
                            f"capital letters and digits, like MIN1234567{hint}")


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, key) of the mappings in the data."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), key
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*path, index))


def token_problems(document: Document, text: str) -> list[Problem]:
    """The token belongs in the environment, never in a file that goes into git: no
    `token:` key, and no 32-hex-digit string anywhere (values and comments alike)."""
    where = "put it in the environment variable named by account.token_env"
    problems = []
    for path, key in walk(document.data):
        lowered = str(key).lower()
        if lowered in TOKEN_KEYS or (lowered.endswith("token") and lowered != "token_env"):
            problems.append(document.problem(path, f"a token (or password) does not belong "
                                             f"in the file, which ends up in git: {where}",
                                             key=True))
    for match in TOKEN_TEXT.finditer(text):
        line, column = place_of(text, match.start())
        problems.append(Problem(document.file, line, column,
                                "this looks like an API token (32 hex digits): tokens do not "
                                f"belong in the file, which ends up in git: {where}"))
    return problems
