"""Profiles: which apply to an inverter on a date, and how they merge.

The rule (also in the schema's description of `profile`):
- `profile: NAME` merges that profile; `profile: [A, B]` merges A, then B.
- A list entry that is a mapping `{use, from, until}` is a dated selector. Of all the
  selectors in the list, only the first whose dates include the day counts; its `use`
  (a name or a list of names) is merged at that entry's place. A selector without dates
  always matches. Ranges include both ends and may wrap the new year (`10-01`..`03-31`).
- A profile may name other profiles (`profile:` inside a profile, names only); they are
  merged before it. A cycle is an error.
- Merging: later sources win, the inverter's own keys last. Mapping sections
  (`ac_charge`, `ac_discharge`, `settings`) merge key by key; lists (`time_segments`,
  `periods`) are replaced whole.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_

SECTIONS = ("time_segments", "ac_charge", "ac_discharge", "settings")
MAX_NESTING = 16  # profiles naming profiles naming profiles...
_LEAP = date(2024, 1, 1)  # a leap year, so 02-29 is a day of the year too
DAYS = tuple((_LEAP + timedelta(days=n)).strftime("%m-%d") for n in range(366))
DAY_INDEX = {day: position for position, day in enumerate(DAYS)}


def month_day(day: date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def in_range(day: str, start: str | None, until: str | None) -> bool:
    """Whether MM-DD `day` falls in [start, until], both ends included, wrapping the year."""
    if start is None or until is None:
        return True
    if start <= until:
        return start <= day <= until
    return day >= start or day <= until


def is_selector(entry: Any) -> bool:
    return isinstance(entry, dict)


def has_selectors(ref: Any) -> bool:
    return isinstance(ref, list) and any(is_selector(entry) for entry in ref)


def _frozen(ref: list[Any]) -> tuple[tuple[str | None, str | None] | None, ...]:
    """The dates of each entry (None for plain names): all a season table depends on."""
    return tuple((e.get("from"), e.get("until")) if is_selector(e) else None for e in ref)


@lru_cache(maxsize=1024)
def _table(dates: tuple[tuple[str | None, str | None] | None, ...]) -> tuple[int | None, ...]:
    """For each day of the year (DAYS order), the index of the selector chosen, or None."""
    chosen: list[int | None] = [None] * len(DAYS)
    for index, entry in enumerate(dates):
        if entry is None:
            continue
        for position, day in enumerate(DAYS):
            if chosen[position] is None and in_range(day, *entry):
                chosen[position] = index
        if all(value is not None for value in chosen):
            break
    return tuple(chosen)


def chosen_selector(ref: Any, day: date) -> int | None:
    """The index of the selector in force on `day`, or None."""
    if not has_selectors(ref):
        return None
    return _table(_frozen(ref))[DAY_INDEX[month_day(day)]]


def references(ref: Any, day: date) -> list[tuple[str, Path_]]:
    """The profile names `ref` merges on `day`, in order, each with its path under
    `profile` (for error places)."""
    if ref is None:
        return []
    if isinstance(ref, str):
        return [(ref, ())]
    chosen = chosen_selector(ref, day)
    names: list[tuple[str, Path_]] = []
    for index, entry in enumerate(ref):
        if isinstance(entry, str):
            names.append((entry, (index,)))
        elif index == chosen:
            use = entry["use"]
            if isinstance(use, str):
                names.append((use, (index, "use")))
            else:
                names += [(name, (index, "use", n)) for n, name in enumerate(use)]
    return names


def next_switch(ref: Any, day: date) -> date | None:
    """The next day on which another selector (or none) is in force."""
    if not has_selectors(ref):
        return None
    return _next_switch(_frozen(ref), day)


@lru_cache(maxsize=1024)
def _next_switch(dates: tuple[tuple[str | None, str | None] | None, ...],
                 day: date) -> date | None:
    table = _table(dates)
    today = table[DAY_INDEX[month_day(day)]]
    for offset in range(1, 367):
        later = day + timedelta(days=offset)
        if table[DAY_INDEX[month_day(later)]] != today:
            return later
    return None


def uncovered_days(ref: Any) -> list[str]:
    """The ranges of days ("03-01 to 03-31") that no entry matches, when the list holds
    dated selectors only (with a plain name, every day has a profile)."""
    if not isinstance(ref, list) or not ref or not all(is_selector(e) for e in ref):
        return []
    table = _table(_frozen(ref))
    ranges: list[list[str]] = []
    for position, day in enumerate(DAYS):
        if table[position] is not None:
            continue
        if ranges and position > 0 and table[position - 1] is None:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [first if first == last else f"{first} to {last}" for first, last in ranges]


def season_days(ref: Any, day: date) -> list[date]:
    """One day for each selector in force on some day other than the one `day` has, so
    every season's merge can be checked, not only today's."""
    if not has_selectors(ref):
        return []
    table = _table(_frozen(ref))
    seen = {table[DAY_INDEX[month_day(day)]]}
    days = []
    for position, index in enumerate(table):
        if index not in seen:
            seen.add(index)
            days.append(_LEAP + timedelta(days=position))
    return days


class Expander:
    """Expands a profile into the profiles it names (innermost first), reporting unknown
    names, cycles and too deep nesting once each."""

    def __init__(self, document: Document, profiles: dict[str, Any],
                 broken: set[str]) -> None:
        self.document = document
        self.profiles = profiles
        self.broken = broken  # profiles whose own keys failed validation
        self.done: dict[str, list[str] | None] = {}
        self.problems: list[Problem] = []
        self.reached: set[str] = set()  # every existing profile expansion got to

    def unknown(self, name: str, path: Path_) -> None:
        close = difflib.get_close_matches(name, list(self.profiles), n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif self.profiles:
            hint = f" (profiles: {', '.join(sorted(self.profiles))})"
        else:
            hint = " (the file defines no profiles)"
        self.problems.append(self.document.problem(path, f"no profile named {name!r}{hint}"))

    def expand(self, name: str, path: Path_, stack: tuple[str, ...] = ()) -> list[str] | None:
        """`name` preceded by the profiles it names; None when any of them is unusable."""
        if name not in self.profiles:
            self.unknown(name, path)
            return None
        self.reached.add(name)
        if name in stack:
            chain = " -> ".join([*stack[stack.index(name):], name])
            text = (f"profile {name!r} names itself" if stack[-1] == name else
                    f"profiles name each other in a circle ({chain})")
            self.problems.append(self.document.problem(path, text))
            return None
        if name in self.done:
            return self.done[name]
        if len(stack) >= MAX_NESTING:
            self.problems.append(self.document.problem(path, f"profiles nest more than "
                                                       f"{MAX_NESTING} levels deep here"))
            return None
        self.done[name] = None  # while expanding: a cycle back here is reported above
        result: list[str] | None = None if name in self.broken else []
        own = self.profiles[name].get("profile") if isinstance(self.profiles[name], dict) \
            else None
        refs = [(own, ())] if isinstance(own, str) else [
            (inner, (index,)) for index, inner in enumerate(own or []) if isinstance(inner, str)]
        for inner, sub in refs:
            names = self.expand(inner, ("profiles", name, "profile", *sub), (*stack, name))
            if names is None or result is None:
                result = None
                continue
            result += [n for n in names if n not in result]
        if result is not None:
            result.append(name)
        self.done[name] = result
        return result


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
            value = source.data.get(section)
            if value is None:
                continue
            path = (*source.path, section)
            merged.section_paths[section] = path
            if isinstance(value, list):
                merged.lists[section] = (value, path)
            elif isinstance(value, dict):
                target = merged.maps.setdefault(section, {})
                for key, item in value.items():
                    target[key] = (item, (*path, key))
    return merged
