"""From a loaded file to each inverter's desired state in the device's terms."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from reconciler.config import checks, profiles
from reconciler.config.errors_map import problems_from
from reconciler.config.models import Account, ConfigModel
from reconciler.config.problems import ConfigError, Problem
from reconciler.config.yaml_loader import Document, Path_, load_yaml
from reconciler.devices.params import PARAMS
from reconciler.model import DesiredDevice, Schedule


@dataclass
class Config:
    path: Path
    sha256: str
    account: Account
    devices: list[DesiredDevice]
    date: date
    warnings: list[Problem] = field(default_factory=list)
    document: Document | None = None


def today(account: Account) -> date:
    zone = ZoneInfo(account.timezone) if account.timezone else None
    return datetime.now(zone).date()


def account_problems(document: Document, account: Account) -> list[Problem]:
    from reconciler.growatt.servers import SIM, ServerError, base_url

    problems = []
    if account.server != SIM:
        try:
            base_url(account.server)
        except ServerError as exc:
            problems.append(document.problem(("account", "server"), str(exc)))
    if account.timezone:
        try:
            ZoneInfo(account.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(document.problem(("account", "timezone"), f"unknown time zone "
                                             f"{account.timezone!r}; use an IANA name such as "
                                             "Europe/Berlin"))
    return problems


class Compiler:
    """Compiles the inverters of one validated file; collects every problem."""

    def __init__(self, document: Document, data: dict[str, Any]) -> None:
        self.document = document
        self.data = data  # the raw mapping, with defaults not filled in
        self.profiles: dict[str, Any] = data.get("profiles") or {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def expand(self, name: str, ref_path: Path_, stack: tuple[str, ...]) -> list[str]:
        """`name` and the profiles it names, innermost first."""
        if name not in self.profiles:
            close = difflib.get_close_matches(name, list(self.profiles), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problems.append(self.document.problem(ref_path, f"no profile named "
                                                       f"{name!r}{hint}"))
            return []
        if name in stack:
            chain = " -> ".join([*stack[stack.index(name):], name])
            self.problems.append(self.document.problem(ref_path, f"profile {name!r} "
                                                       f"references itself ({chain})"))
            return []
        own = self.profiles[name].get("profile")
        names: list[str] = []
        refs = [own] if isinstance(own, str) else list(own or [])
        for index, inner in enumerate(refs):
            inner_path: Path_ = ("profiles", name, "profile") if isinstance(own, str) else (
                "profiles", name, "profile", index)
            names += self.expand(inner, inner_path, (*stack, name))
        return [*names, name]

    def profile_names(self, inverter: str, ref: Any, chosen: list[str]) -> list[str]:
        names: list[str] = []
        base: Path_ = ("inverters", inverter, "profile")
        for name in chosen:
            path = base if isinstance(ref, str) else self.ref_path(ref, base, name)
            names += [n for n in self.expand(name, path, ()) if n not in names]
        return names

    @staticmethod
    def ref_path(ref: list[Any], base: Path_, name: str) -> Path_:
        for index, entry in enumerate(ref):
            if entry == name:
                return (*base, index)
            if isinstance(entry, dict):
                use = entry.get("use")
                if use == name:
                    return (*base, index, "use")
                if isinstance(use, list) and name in use:
                    return (*base, index, "use", use.index(name))
        return base

    def schedule(self, merged: profiles.Merged, section: str, charge: bool,
                 inverter_path: Path_) -> tuple[Schedule | None, list[checks.Window]]:
        values = merged.maps.get(section)
        if values is None:
            return None, []
        section_path = merged.section_paths[section]
        for key in ("power", "stop_soc"):
            if values.get(key, (None,))[0] is None:
                self.problems.append(self.document.problem(
                    section_path, f"{section} needs {key} (set it on the inverter or in its "
                    "profile)", key=True))
                return None, []
        periods_value, periods_path = values.get("periods", ([], (*section_path, "periods")))
        periods, windows, problems = checks.compile_periods(
            self.document, periods_value, periods_path, section.replace("_", " "))
        self.problems += problems
        from_grid = bool(values.get("from_grid", (True, ()))[0]) if charge else None
        return Schedule(power=values["power"][0], stop_soc=values["stop_soc"][0],
                        periods=tuple(periods), from_grid=from_grid), windows

    def inverter(self, name: str, day: date) -> DesiredDevice | None:
        raw = self.data["inverters"][name]
        path: Path_ = ("inverters", name)
        ref = raw.get("profile")
        chosen, _ = profiles.choose(ref, day)
        names = self.profile_names(name, ref, chosen)
        sources = [profiles.Source(self.profiles[n], ("profiles", n)) for n in names
                   if n in self.profiles]
        merged = profiles.merge([*sources, profiles.Source(raw, path)])
        family = raw.get("type")
        self.problems += checks.family_problems(self.document, name, family,
                                                merged.section_paths, path)
        inferred = family or ("min" if "time_segments" in merged.lists else
                              "sph" if set(merged.maps) & {"ac_charge", "ac_discharge"}
                              else None)
        device = DesiredDevice(name=name, serial=raw["serial"], family=family, profiles=names,
                               location=self.location(path))
        if "time_segments" in merged.lists:
            items, items_path = merged.lists["time_segments"]
            device.time_segments, problems = checks.compile_segments(self.document, items,
                                                                     items_path)
            self.problems += problems
        device.ac_charge, charge_windows = self.schedule(merged, "ac_charge", True, path)
        device.ac_discharge, discharge_windows = self.schedule(merged, "ac_discharge", False,
                                                               path)
        if charge_windows and discharge_windows:
            self.problems += checks.overlap_problems(
                self.document, charge_windows + discharge_windows, "charge/discharge period")
        if "settings" in merged.maps:
            device.settings, problems = checks.normalize_settings(
                self.document, name, inferred, merged.maps["settings"])
            self.problems += problems
        switch = profiles.next_switch(ref, day)
        device.next_switch = switch.isoformat() if switch else None
        return device

    def location(self, path: Path_) -> str:
        line, column = self.document.place(path, key=True)
        return f"{self.document.file}:{line}:{column}"

    def dated_days(self, ref: Any, day: date) -> list[date]:
        """One day per dated entry, so every season is checked, not only today's."""
        if not profiles.has_dated(ref):
            return []
        days = []
        seen = {profiles.choose(ref, day)[1]}
        for offset in range(366):
            probe = date.fromordinal(day.toordinal() + offset)
            index = profiles.choose(ref, probe)[1]
            if index not in seen:
                seen.add(index)
                days.append(probe)
        return days

    def all_inverters(self, day: date) -> list[DesiredDevice]:
        devices = []
        serials: dict[str, Path_] = {}
        for name, raw in self.data["inverters"].items():
            path: Path_ = ("inverters", name)
            problem = checks.serial_problem(self.document, raw["serial"], (*path, "serial"))
            if problem:
                self.problems.append(problem)
            elif raw["serial"] in serials:
                line = self.document.place(serials[raw["serial"]])[0]
                self.problems.append(self.document.problem(
                    (*path, "serial"), f"serial {raw['serial']} is already used by the "
                    f"inverter at line {line}"))
            else:
                serials[raw["serial"]] = (*path, "serial")
            device = self.inverter(name, day)
            for other_day in self.dated_days(raw.get("profile"), day):
                self.inverter(name, other_day)  # problems of the other seasons count too
            if device:
                devices.append(device)
            gap = profiles.uncovered_day(raw.get("profile"))
            if gap:
                self.warnings.append(self.document.problem(
                    (*path, "profile"), f"no profile entry matches {gap} (and maybe other "
                    "days): on such days no profile applies; add an entry without dates as "
                    "a fallback", severity="warning"))
            for key in sorted(device.settings if device else {}):
                family = device.family if device and device.family else None
                registry = PARAMS.get(family or "", PARAMS["min"] if key in PARAMS["min"]
                                      else PARAMS["sph"])
                if key in registry and registry[key].dangerous:
                    self.warnings.append(self.document.problem(
                        (*path, "settings", key), f"{key} is dangerous (it can switch the "
                        "inverter off or change grid protection): apply needs "
                        "--allow-dangerous", key=True, severity="warning"))
        return devices


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.line, problem.column, problem.message), problem)
    return list(seen.values())


def load_config(path: Path, *, on_date: date | None = None) -> Config:
    """Load, validate and compile a config file; ConfigError lists every problem."""
    document = load_yaml(path)
    raw_bytes = path.read_bytes()
    problems = checks.token_problems(document)
    if not isinstance(document.data, dict):
        raise ConfigError([*problems, document.problem((), "the file must be a mapping with "
                                                       "version: 1 and inverters:")])
    try:
        model = ConfigModel.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError(_dedupe([*problems, *problems_from(document, exc)])) from None
    problems += account_problems(document, model.account)
    compiler = Compiler(document, document.data)
    day = on_date or (today(model.account) if not problems else date.today())
    devices = compiler.all_inverters(day)
    problems += compiler.problems
    if problems:
        raise ConfigError(_dedupe(problems))
    return Config(path=path, sha256=hashlib.sha256(raw_bytes).hexdigest(),
                  account=model.account, devices=devices, date=day,
                  warnings=_dedupe(compiler.warnings), document=document)
