"""From the validated file to each inverter's desired state in the device's terms.

Works on the loaded data (already checked against the models), so every value keeps
the path it was written at and each problem can point at it. An inverter or profile
whose own keys failed validation is not merged or compiled (its problems are reported
already); only its parts that did pass (lists, settings) are still checked, so one run
reports as much as it can.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.config import checks, profiles
from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_
from reconciler.devices.params import PARAMS
from reconciler.model import DesiredDevice, Family, Schedule

EMPTY = {"time_segments": "write [] to disable every slot, or remove the key to leave the "
                          "segments alone",
         "ac_charge": "give power and stop_soc, or remove the key to leave the schedule alone",
         "ac_discharge": "give power and stop_soc, or remove the key to leave the schedule "
                         "alone"}


class Compiler:
    """Compiles the inverters of one file for a date; collects every problem."""

    def __init__(self, document: Document, bad_inverters: set[str],
                 bad_profiles: set[str], bad_paths: set[Path_] | None = None) -> None:
        self.document = document
        data = document.data
        found = data.get("profiles")
        self.profiles: dict[str, Any] = found if isinstance(found, dict) else {}
        found = data.get("inverters")
        self.inverters: dict[str, Any] = found if isinstance(found, dict) else {}
        self.bad_inverters = bad_inverters
        self.expander = profiles.Expander(document, self.profiles, bad_profiles)
        self.bad_profiles = bad_profiles
        self.bad_paths = bad_paths or set()  # where validation failed
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def profile_names(self, name: str, ref: Any, day: date) -> list[str] | None:
        """The profiles merged into inverter `name` on `day`, in merge order."""
        names: list[str] = []
        usable = True
        for profile, sub in profiles.references(ref, day):
            expanded = self.expander.expand(profile, ("inverters", name, "profile", *sub))
            if expanded is None:
                usable = False
                continue
            names += [n for n in expanded if n not in names]
        return names if usable else None

    def schedule(self, merged: profiles.Merged, section: str) -> tuple[
            Schedule | None, list[checks.Window]]:
        values = merged.maps.get(section)
        if values is None:
            return None, []
        section_path = merged.section_paths[section]
        missing = [key for key in ("power", "stop_soc") if values.get(key, (None,))[0] is None]
        if missing:
            self.problems.append(self.document.problem(
                section_path, f"{section} needs {' and '.join(missing)} (on the inverter or "
                "in one of its profiles)", key=True))
            return None, []
        periods_value, periods_path = values.get("periods", ([], (*section_path, "periods")))
        periods, windows, problems = checks.compile_periods(
            self.document, periods_value or [], periods_path, section.removeprefix("ac_"))
        self.problems += problems
        # The mains flag defaults to true: an AC charge schedule is meant to charge from
        # the grid, and the device needs some value for it.
        from_grid = values.get("from_grid", (True,))[0] is not False \
            if section == "ac_charge" else None
        return Schedule(power=values["power"][0], stop_soc=values["stop_soc"][0],
                        periods=tuple(periods), from_grid=from_grid), windows

    def inverter(self, name: str, day: date) -> DesiredDevice | None:
        """Inverter `name` as the file wants it on `day` (None: its profiles are unusable)."""
        raw = self.inverters[name]
        path: Path_ = ("inverters", name)
        ref = raw.get("profile")
        names = self.profile_names(name, ref, day)
        if names is None:
            return None
        merged = profiles.merge([*[profiles.Source(self.profiles[n], ("profiles", n))
                                   for n in names], profiles.Source(raw, path)])
        family: Family | None = raw.get("type")
        self.problems += checks.family_problems(self.document, name, family,
                                                merged.section_paths)
        inferred, why = family, "is type: " + str(family)
        if family is None and "time_segments" in merged.section_paths:
            inferred, why = "min", "has MIN sections (time_segments)"
        elif family is None and {"ac_charge", "ac_discharge"} & set(merged.section_paths):
            inferred, why = "sph", "has SPH sections (ac_charge/ac_discharge)"
        switch = profiles.next_switch(ref, day)
        device = DesiredDevice(name=name, serial=raw["serial"], family=family, profiles=names,
                               next_switch=switch.isoformat() if switch else None,
                               location=self.location(path))
        if "time_segments" in merged.lists:
            items, items_path = merged.lists["time_segments"]
            device.time_segments, problems = checks.compile_segments(self.document, items,
                                                                     items_path)
            self.problems += problems
        device.ac_charge, charge = self.schedule(merged, "ac_charge")
        device.ac_discharge, discharge = self.schedule(merged, "ac_discharge")
        if charge and discharge:
            self.problems += checks.overlap_problems(
                self.document, discharge, "discharge period", charge, "charge period")
        if "settings" in merged.maps:
            device.settings, problems = checks.normalize_settings(
                self.document, name, inferred, why, merged.maps["settings"])
            self.problems += problems
            self.dangerous_notes(inferred, merged.maps["settings"], device.settings)
        return device

    def dangerous_notes(self, family: str | None, written: dict[str, tuple[Any, Path_]],
                        values: dict[str, Any]) -> None:
        for key in values:
            registry = PARAMS[family] if family else (
                PARAMS["min"] if key in PARAMS["min"] else PARAMS["sph"])
            param = registry[key]
            if param.dangerous:
                self.warnings.append(self.document.problem(
                    written[key][1], f"{key} is a dangerous setting ({param.description}): "
                    "plan shows it, apply writes it only with --allow-dangerous", key=True,
                    severity="note"))

    def location(self, path: Path_) -> str:
        line, column = self.document.place(path, key=True)
        return f"{self.document.file}:{line}:{column}"

    def serials(self) -> None:
        """Plausible and unique, on every inverter whose serial is text."""
        first: dict[str, Path_] = {}
        for name, raw in self.inverters.items():
            serial = raw.get("serial") if isinstance(raw, dict) else None
            if not isinstance(serial, str):
                continue
            path: Path_ = ("inverters", name, "serial")
            problem = checks.serial_problem(self.document, serial, path)
            if problem:
                self.problems.append(problem)
            elif serial in first:
                line = self.document.place(first[serial])[0]
                self.problems.append(self.document.problem(
                    path, f"serial {serial} is already used by the inverter at line {line}: "
                    "each inverter appears once"))
            else:
                first[serial] = path

    def empty_sections(self) -> None:
        """`time_segments:` with nothing after it: managed-and-empty, or a slip? Ask."""
        for kind, table in (("profiles", self.profiles), ("inverters", self.inverters)):
            for name, raw in table.items():
                if not isinstance(raw, dict):
                    continue
                for section, hint in EMPTY.items():
                    if section in raw and raw[section] is None:
                        self.problems.append(self.document.problem(
                            (kind, name, section), f"{section} is empty: {hint}", key=True))

    def profile_lists(self) -> None:
        """A profile's own lists are checked even where no inverter uses them today."""
        for name, raw in self.profiles.items():
            if name in self.bad_profiles or not isinstance(raw, dict):
                continue
            self.own_sections(("profiles", name), raw)
            self.expander.expand(name, ("profiles", name))

    def unsound(self, base: Path_, items: list[Any]) -> set[int]:
        """Indexes of the items under `base` that failed validation."""
        bad = {p[len(base)] for p in self.bad_paths if p[:len(base)] == base and len(p) > len(base)}
        if base in self.bad_paths:  # the list itself, e.g. too long: check none of it
            return set(range(len(items)))
        return {index for index in bad if isinstance(index, int)}

    def own_sections(self, base: Path_, raw: dict[str, Any]) -> None:
        """What can be checked of one mapping without merging: its lists and settings
        (those that passed validation)."""
        family = raw.get("type") if raw.get("type") in ("min", "sph") else None
        if base[0] == "inverters" and family:
            present = {s: (*base, s) for s in profiles.SECTIONS if raw.get(s) is not None}
            self.problems += checks.family_problems(self.document, str(base[1]), family,
                                                    present)
        segments: Path_ = (*base, "time_segments")
        if isinstance(raw.get("time_segments"), list):
            items = raw["time_segments"]
            self.problems += checks.compile_segments(self.document, items, segments,
                                                     self.unsound(segments, items))[1]
        for section in ("ac_charge", "ac_discharge"):
            schedule = raw.get(section)
            periods = schedule.get("periods") if isinstance(schedule, dict) else None
            path: Path_ = (*base, section, "periods")
            if isinstance(periods, list):
                self.problems += checks.compile_periods(
                    self.document, periods, path, section.removeprefix("ac_"),
                    self.unsound(path, periods))[2]
        if isinstance(raw.get("settings"), dict):
            written = {k: (v, (*base, "settings", k)) for k, v in raw["settings"].items()}
            self.problems += checks.normalize_settings(
                self.document, str(base[1]), family, f"is type: {family}", written)[1]

    def all_inverters(self, day: date) -> list[DesiredDevice]:
        self.serials()
        self.empty_sections()
        devices = []
        for name, raw in self.inverters.items():
            if name in self.bad_inverters:
                if isinstance(raw, dict):
                    self.own_sections(("inverters", name), raw)
                continue
            device = self.inverter(name, day)
            if device is None:  # its profiles are unusable: check what it says itself
                self.own_sections(("inverters", name), raw)
            ref = raw.get("profile")
            for other_day in profiles.season_days(ref, day):
                self.inverter(name, other_day)  # the other seasons' problems count too
            if device:
                devices.append(device)
            gaps = profiles.uncovered_days(ref)
            if gaps:
                self.warnings.append(self.document.problem(
                    ("inverters", name, "profile"), f"no entry matches {', '.join(gaps)}: on "
                    f"those days {name!r} follows no profile; add an entry without dates "
                    "last, as a fallback", key=True, severity="warning"))
        used = set(self.expander.reached)
        self.profile_lists()
        if not self.bad_inverters and not self.expander.problems:
            for name in self.profiles:
                if name not in used and name not in self.bad_profiles:
                    self.warnings.append(self.document.problem(
                        ("profiles", name), f"profile {name!r} is not used by any inverter",
                        key=True, severity="warning"))
        self.problems += self.expander.problems
        if self.document.data.get("inverters") == {} and not self.document.problems:
            self.warnings.append(self.document.problem(
                ("inverters",), "no inverters: nothing to manage", key=True,
                severity="warning"))
        return devices
