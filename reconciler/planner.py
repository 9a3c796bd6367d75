"""Making a plan: read each device once, let its family decide the writes, keep it as data."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from deepdiff import DeepDiff

from reconciler import __version__
from reconciler.devices import registry
from reconciler.devices.params import Param
from reconciler.facts import SettingsRead, family_of, now_utc, read_inventory, read_settings
from reconciler.model import DesiredDevice, DeviceState, Operation
from reconciler.planfile import ApiCalls, Change, DeviceError, DevicePlan, Plan, PlannedOperation
from reconciler.statedir import JOURNAL_FILE

CLOCK_SKEW_WARNING = 300  # seconds; every window shifts with the inverter's clock


class SelectionError(ValueError):
    """--target / --exclude names that the file does not have."""


@dataclass
class PlanOptions:
    state_dir: Path
    read_interval: float
    server: str
    targets: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    parallelism: int = 8
    timezone: str | None = None
    fresh: bool = False  # ignore cached reads (apply's verification)


def select(devices: list[DesiredDevice], targets: Iterable[str],
           excludes: Iterable[str]) -> list[DesiredDevice]:
    targets, excludes = list(targets), list(excludes)
    known = {device.name for device in devices} | {device.serial for device in devices}
    unknown = [name for name in targets + excludes if name not in known]
    if unknown:
        raise SelectionError(f"no inverter named {', '.join(unknown)} in the file "
                             f"(names: {', '.join(sorted(d.name for d in devices))})")
    chosen = [d for d in devices if not targets or d.name in targets or d.serial in targets]
    return [d for d in chosen if d.name not in excludes and d.serial not in excludes]


def apply_all(module: Any, state: DeviceState, operations: Iterable[Operation]) -> DeviceState:
    for operation in operations:
        state = module.apply(state, operation)
    return state


def fingerprint(view: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


def _dotted(path: list[Any]) -> str:
    return ".".join(str(part) for part in path)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The human-facing change list: one entry per leaf that differs."""
    changes: list[Change] = []
    for prefix, old, new in _differing(before, after, ()):
        changes += _deep_changes(prefix, old, new)
    return sorted(changes, key=lambda change: change.path)


def _differing(before: Any, after: Any, prefix: tuple[str, ...]
               ) -> list[tuple[tuple[str, ...], Any, Any]]:
    """The smallest subtrees that differ, found with plain equality (cheap), so that
    DeepDiff (thorough but slow) only looks at what changed."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            if key in before and key in after:
                found += _differing(before[key], after[key], (*prefix, str(key)))
            else:
                found.append(((*prefix, str(key)), before.get(key), after.get(key)))
        return found
    return [(prefix, before, after)]


def _deep_changes(prefix: tuple[str, ...], before: Any, after: Any) -> list[Change]:
    base = list(prefix)
    if before is None or after is None or not isinstance(before, dict | list):
        action = "create" if before is None else "delete" if after is None else "update"
        return [Change(path=_dotted(base), before=before, after=after,
                       action=action)]
    diff = DeepDiff(before, after, verbose_level=2, ignore_numeric_type_changes=True)
    changes: list[Change] = []
    for kind, items in diff.tree.items():
        for item in items:
            path = _dotted(base + item.path(output_format="list"))
            if kind == "dictionary_item_added" or kind == "iterable_item_added":
                changes.append(Change(path=path, before=None, after=item.t2, action="create"))
            elif kind == "dictionary_item_removed" or kind == "iterable_item_removed":
                changes.append(Change(path=path, before=item.t1, after=None, action="delete"))
            else:
                changes.append(Change(path=path, before=item.t1, after=item.t2))
    return changes


def _local_zone(name: str | None) -> tzinfo | None:
    return ZoneInfo(name) if name else datetime.now().astimezone().tzinfo


def clock_warning(clock: str | None, read_at: datetime, timezone: str | None) -> str | None:
    if not clock:
        return None
    try:
        inverter = datetime.strptime(clock.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    local = read_at.astimezone(_local_zone(timezone)).replace(tzinfo=None)
    skew = (inverter - local).total_seconds()
    if abs(skew) <= CLOCK_SKEW_WARNING:
        return None
    direction = "ahead of" if skew > 0 else "behind"
    return (f"the inverter's clock ({clock}) is {abs(skew) / 60:.0f} min {direction} the "
            f"time of the read; every window shifts with it (set the clock in ShinePhone)")


def extra_params(module: Any, desired: DesiredDevice) -> list[Param]:
    """Managed settings the settings read does not carry: read with read_parameter."""
    params: dict[str, Param] = module.PARAMS
    return [params[name] for name in desired.settings if name in params
            and not params[name].read_keys]


def state_of(module: Any, read: SettingsRead, extra_params: list[Param]) -> DeviceState:
    """Parse a read, add the read_parameter answers, replay our unconfirmed writes."""
    from reconciler.devices.settings import decode_read_parameter

    state = module.parse(read.serial, read.raw)
    for param in extra_params:
        if param.write_type in read.extra:
            try:
                value = decode_read_parameter(param, read.extra[param.write_type])
            except ValueError as exc:
                state.warnings.append(f"{param.name}: {exc}")
                continue
            if value is not None:
                state.settings[param.name] = value
    return apply_all(module, state, read.unconfirmed)


def journal_notes(journal: Path, serial: str, current: dict[str, Any]) -> list[str]:
    """What an earlier apply tells about this read: drift in fields we wrote, and whether
    writes left unconfirmed are visible now."""
    from reconciler.journal import last_write_per_path, unconfirmed_expectations
    from reconciler.render.plan_text import lookup

    notes = []
    for path, write in sorted(last_write_per_path(journal, serial).items()):
        now = lookup(current, path)
        if path.split(".")[0] in current and now is not None and now != write.after:
            notes.append(f"drift: {path} changed outside growatt-reconcile since our apply at "
                         f"{write.time[:19]} (we wrote {write.after}, it is now {now})")
    pending = unconfirmed_expectations(journal, serial)
    if pending:
        differences = changes_between(current, pending["expected"])
        when = str(pending["time"])[:19]
        if differences:
            paths = ", ".join(change.path for change in differences)
            notes.append(f"our apply at {when} is not visible in this read ({paths})")
        else:
            notes.append(f"our apply at {when} is confirmed by this read")
    return notes


def plan_device(client: Any, desired: DesiredDevice, family: str,
                options: PlanOptions) -> DevicePlan:
    """Read one device and decide its writes; errors stay on this device."""
    from reconciler.growatt.errors import GrowattError

    module = registry()[family]
    result = DevicePlan(name=desired.name, serial=desired.serial, family=family,
                        status="unchanged", profiles=list(desired.profiles),
                        next_switch=desired.next_switch)
    extra = extra_params(module, desired)
    try:
        read = read_settings(client, desired.serial, family, state_dir=options.state_dir,
                             read_interval=options.read_interval, extra_params=extra,
                             fresh=options.fresh)
    except GrowattError as exc:
        result.status = "error"
        result.error = DeviceError(kind=type(exc).__name__, message=str(exc),
                                   error_code=getattr(exc, "error_code", None))
        return result
    state = state_of(module, read, extra)
    try:
        operations = module.plan(state, desired)
    except ValueError as exc:  # e.g. more segments than known slots
        result.status = "error"
        result.error = DeviceError(kind="CannotPlan", message=str(exc))
        result.warnings = list(state.warnings)
        return result
    current = module.view(state, desired)
    expected = module.view(apply_all(module, state, operations), desired)
    result.read_at = read.read_at.isoformat()
    result.read_from_cache = read.from_cache
    result.read_includes_unconfirmed_writes = bool(read.unconfirmed)
    result.fingerprint = fingerprint(current)
    result.current, result.expected = current, expected
    result.changes = changes_between(current, expected)
    result.operations = [PlannedOperation.of(op) for op in operations]
    result.warnings = list(state.warnings)
    result.warnings.extend(journal_notes(options.state_dir / JOURNAL_FILE, desired.serial,
                                         current))
    skew = clock_warning(state.clock, read.read_at, options.timezone)
    if skew:
        result.warnings.append(skew)
    if read.from_cache:
        age = (now_utc() - read.read_at).total_seconds()
        note = f"state read {age / 60:.0f} min ago (cached: the cloud refuses repeated reads)"
        if read.unconfirmed:
            note += f", with {len(read.unconfirmed)} unconfirmed write(s) of ours replayed"
        result.warnings.append(note)
    result.status = "changes" if operations else "unchanged"
    return result


def resolve_families(client: Any, devices: list[DesiredDevice],
                     options: PlanOptions) -> dict[str, str | DeviceError]:
    """serial -> family, from the file or else from the account's device list."""
    families: dict[str, str | DeviceError] = {d.serial: d.family for d in devices if d.family}
    unresolved = {d.serial for d in devices if not d.family}
    if not unresolved:
        return families
    from reconciler.growatt.errors import GrowattError

    try:
        inventory = read_inventory(client, state_dir=options.state_dir, needed=unresolved)
    except GrowattError as exc:
        error = DeviceError(kind=type(exc).__name__, message=f"cannot list devices: {exc}",
                            error_code=getattr(exc, "error_code", None))
        return families | {serial: error for serial in unresolved}
    for serial in unresolved:
        entry = inventory.devices.get(serial)
        family = family_of(entry) if entry else None
        if family:
            families[serial] = family
        elif entry:
            families[serial] = DeviceError(
                kind="UnsupportedDevice",
                message=f"device type {entry.get('type')} is not MIN (7) or SPH (5)")
        else:
            families[serial] = DeviceError(
                kind="DeviceNotFound", message="not in any plant of this account; "
                "check the serial, or set `type:` in the file")
    return families


def make_plan(config: Any, client: Any, options: PlanOptions,
              progress: Callable[[DevicePlan], None] | None = None) -> Plan:
    devices = select(config.devices, options.targets, options.excludes)
    started = time.monotonic()
    families = resolve_families(client, devices, options)

    def one(desired: DesiredDevice) -> DevicePlan:
        family = families.get(desired.serial)
        if isinstance(family, DeviceError) or family is None:
            error = family or DeviceError(kind="DeviceNotFound", message="unknown device type")
            result = DevicePlan(name=desired.name, serial=desired.serial, family=None,
                                status="error", error=error, profiles=list(desired.profiles),
                                next_switch=desired.next_switch)
        else:
            result = plan_device(client, desired, family, options)
        if progress:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:
        results = list(pool.map(one, devices))
    stats = client.stats
    elapsed = time.monotonic() - started
    calls = max(1, stats.get("reads", 0))
    per_call = elapsed / calls if stats.get("reads") else 1.0
    writes_per_device = [len(r.operations) for r in results if r.operations]
    rounds = -(-len(writes_per_device) // max(1, options.parallelism)) if writes_per_device else 0
    estimate = (max(writes_per_device, default=0) * rounds * per_call
                + (options.read_interval if writes_per_device else 0.0))
    return Plan(
        tool_version=__version__, created_at=now_utc().isoformat(),
        config_path=str(config.path), config_sha256=config.sha256,
        date=config.date.isoformat(), server=options.server,
        targets=options.targets, excludes=options.excludes, devices=results,
        api_calls=ApiCalls(reads=stats.get("reads", 0), writes=stats.get("writes", 0),
                           by_endpoint=dict(stats.get("by_endpoint", {}))),
        apply_estimate_seconds=round(estimate, 1),
    )
