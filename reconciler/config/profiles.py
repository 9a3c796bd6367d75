"""Profiles: which apply to an inverter on a date, and how they merge.

A profile list holds names (always merged, in order) and dated entries
`{use, from, until}`, of which the first that matches the date adds its `use`; an entry
without dates always matches. Ranges may wrap the new year (`from: 10-01, until: 03-31`).
Merging: later sources win; mapping sections (`ac_charge`, `ac_discharge`, `settings`)
merge key by key, lists (`time_segments`, `periods`) are replaced whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

Path_ = tuple[str | int, ...]
SECTIONS = ("time_segments", "ac_charge", "ac_discharge", "settings")


def _md(day: date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def in_range(day: date, start: str | None, until: str | None) -> bool:
    """Whether `day` falls in [start, until], both ends included, wrapping the new year."""
    today = _md(day)
    if start is None and until is None:
        return True
    if start is None:
        return today <= str(until)
    if until is None:
        return today >= start
    if start <= until:
        return start <= today <= until
    return today >= start or today <= until


def _names(use: Any) -> list[str]:
    return [use] if isinstance(use, str) else list(use)


def choose(ref: Any, day: date) -> tuple[list[str], int | None]:
    """(profile names for `day`, index of the dated entry chosen or None)."""
    if ref is None:
        return [], None
    if isinstance(ref, str):
        return [ref], None
    names: list[str] = []
    chosen: int | None = None
    for index, entry in enumerate(ref):
        if isinstance(entry, str):
            names.append(entry)
        elif chosen is None and in_range(day, entry.get("from"), entry.get("until")):
            chosen = index
            names += _names(entry["use"])
    return names, chosen


def has_dated(ref: Any) -> bool:
    return isinstance(ref, list) and any(isinstance(entry, dict) for entry in ref)


def next_switch(ref: Any, day: date) -> date | None:
    """The next day on which a different dated entry applies."""
    if not has_dated(ref):
        return None
    _, today = choose(ref, day)
    for offset in range(1, 367):
        later = day + timedelta(days=offset)
        if choose(ref, later)[1] != today:
            return later
    return None


def uncovered_day(ref: Any) -> str | None:
    """A day of the year that no entry matches, when the list has dated entries only."""
    if not isinstance(ref, list) or not ref or not all(isinstance(e, dict) for e in ref):
        return None
    start = date(2024, 1, 1)  # a leap year: 02-29 counts
    for offset in range(366):
        day = start + timedelta(days=offset)
        if choose(ref, day)[1] is None:
            return _md(day)
    return None


@dataclass
class Source:
    """One place values come from: a profile or the inverter itself."""

    data: dict[str, Any]
    path: Path_


@dataclass
class Merged:
    """An inverter's sections after merging, each value with the path it came from."""

    lists: dict[str, tuple[list[Any], Path_]] = field(default_factory=dict)
    maps: dict[str, dict[str, tuple[Any, Path_]]] = field(default_factory=dict)
    section_paths: dict[str, Path_] = field(default_factory=dict)


def merge(sources: list[Source]) -> Merged:
    merged = Merged()
    for source in sources:
        for section in SECTIONS:
            if section not in source.data or source.data[section] is None:
                continue
            value = source.data[section]
            path = (*source.path, section)
            merged.section_paths[section] = path
            if isinstance(value, list):
                merged.lists[section] = (value, path)
            elif isinstance(value, dict):
                target = merged.maps.setdefault(section, {})
                for key, item in value.items():
                    target[key] = (item, (*path, key))
    return merged
