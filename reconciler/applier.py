"""Executing a plan: checks first, then per device the planned writes in order, a journal
line before and after each, a verifying read, and convergence rounds.

Devices run in parallel (bounded); within a device, one write at a time, because the
inverter does not take concurrent writes (spec 3.8). Every write in this API sets absolute
values, so writing again after an unclear outcome is safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.devices import registry
from reconciler.exporter import config_document, device_entry, to_yaml
from reconciler.facts import load_cached_read, read_settings, record_write
from reconciler.growatt.errors import GrowattError
from reconciler.journal import Journal, is_fight, past_writes
from reconciler.model import DesiredDevice, Operation
from reconciler.planfile import Change, DeviceError, DevicePlan, Plan
from reconciler.planner import apply_all, changes_between, extra_params, state_of
from reconciler.render.plan_text import lookup
from reconciler.statedir import RESTORE_DIR, atomic_write_text

OUTCOMES = ("unchanged", "converged", "applied-unconfirmed", "not-converged", "failed",
            "interrupted")


class ApplyRefused(Exception):
    """The plan must not be applied as it is; the message says what to run instead."""


@dataclass
class ApplyOptions:
    state_dir: Path
    parallelism: int = 4
    allow_dangerous: bool = False
    max_writes: int | None = None
    wait_verify: bool = True
    max_rounds: int = 2
    verify_interval: float = 1.0  # seconds between verification reads when a read lags
    settle_reads: int = 2  # reads that may still show the old value before we write again
    timezone: str | None = None


@dataclass
class DeviceOutcome:
    name: str
    serial: str
    family: str | None
    outcome: str
    planned: int = 0
    writes: int = 0
    rounds: int = 0
    error: DeviceError | None = None
    remaining: list[Change] = field(default_factory=list)
    fights: list[str] = field(default_factory=list)
    restore_point: str | None = None
    message: str = ""


# ---- checks before anything is written ------------------------------------------------

def check_fresh(plan: Plan, config_sha256: str | None, max_age: float,
                now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if config_sha256 is None:
        raise ApplyRefused(f"the plan's config file {plan.config_path} is gone; "
                           "run `growatt-reconcile plan` again")
    if config_sha256 != plan.config_sha256:
        raise ApplyRefused(f"{plan.config_path} changed since this plan was made; "
                           "run `growatt-reconcile plan` again and review the new plan")
    age = (now - datetime.fromisoformat(plan.created_at)).total_seconds()
    if age > max_age:
        raise ApplyRefused(f"the plan is {age / 60:.0f} min old (limit {max_age / 60:.0f} min, "
                           "--max-plan-age); the inverters may have changed since: run "
                           "`growatt-reconcile plan` again")


def check_limits(devices: list[DevicePlan], options: ApplyOptions) -> None:
    writes = sum(len(device.operations) for device in devices)
    if options.max_writes is not None and writes > options.max_writes:
        raise ApplyRefused(f"the plan makes {writes} writes, more than --max-writes "
                           f"{options.max_writes}; every write is a command to an inverter's "
                           "flash: check the plan, or raise the limit")
    dangerous = [f"{d.name}: {op.summary}" for d in devices for op in d.operations
                 if op.dangerous]
    if dangerous and not options.allow_dangerous:
        raise ApplyRefused("the plan has dangerous writes (they can switch an inverter off or "
                           "change grid protection); pass --allow-dangerous to apply them:\n  "
                           + "\n  ".join(dangerous))


# ---- one device ---------------------------------------------------------------------

def save_restore_point(state_dir: Path, device: DevicePlan) -> str | None:
    """The observed state in the file format, so going back is `apply` of this file."""
    read = load_cached_read(state_dir, device.serial)
    if read is None or device.family is None:
        return None
    module = registry()[device.family]
    state = module.parse(device.serial, read.raw)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = state_dir / RESTORE_DIR / f"{device.serial}-{stamp}.yaml"
    document = config_document({device.name: device_entry(state, pin_slots=True)})
    when = read.read_at.strftime("%Y-%m-%d %H:%M:%S")
    header = (f"Restore point for {device.name} ({device.serial}), read {when} UTC,\n"
              f"saved before growatt-reconcile wrote to it. To go back:\n"
              f"  growatt-reconcile apply {path} --auto-approve")
    atomic_write_text(path, to_yaml(document, header))
    return str(path)


class DeviceRun:
    """Applies one device's operations; all the state of that work in one place."""

    def __init__(self, device: DevicePlan, desired: DesiredDevice, client: Any,
                 options: ApplyOptions, journal: Journal, stop: threading.Event,
                 report: Callable[[str], None]) -> None:
        self.device, self.desired, self.client = device, desired, client
        self.options, self.journal, self.stop, self.report = options, journal, stop, report
        self.module = registry()[str(device.family)]  # devices without a family never run
        self.result = DeviceOutcome(name=device.name, serial=device.serial,
                                    family=device.family, outcome="unchanged",
                                    planned=len(device.operations))
        self.history = past_writes(journal.path, device.serial)

    def log(self, event: str, **fields: Any) -> None:
        self.journal.write(event, device=self.device.name, serial=self.device.serial, **fields)

    def write_all(self, operations: list[Operation], current: dict[str, Any],
                  expected: dict[str, Any]) -> bool:
        """The writes of one round, in order; False when the device must stop here."""
        for operation in operations:
            if self.stop.is_set():
                self.result.outcome = "interrupted"
                self.result.message = "stopped before all writes were made"
                return False
            after = lookup(expected, operation.path)
            if is_fight(self.history, operation.path, after):
                self.result.fights.append(operation.path)
                self.log("fight", path=operation.path, after=after)
                continue
            fields = {"path": operation.path, "type": operation.type,
                      "endpoint": operation.endpoint, "params": list(operation.params),
                      "before": lookup(current, operation.path), "after": after,
                      "summary": operation.summary, "round": self.result.rounds}
            self.log("write-start", **fields)
            self.report(f"{self.device.name}: {operation.summary}")
            try:
                # A retried write is safe: every write sets absolute values.
                self.client.write(operation.endpoint, self.device.serial, operation.type,
                                  operation.params)
            except Exception as exc:
                code = getattr(exc, "error_code", None)
                self.log("write-done", result="failed", error=type(exc).__name__,
                         error_code=code, message=str(exc), **fields)
                self.result.outcome = "failed"
                self.result.error = DeviceError(kind=type(exc).__name__, message=str(exc),
                                                error_code=code)
                return False
            self.log("write-done", result="ok", **fields)
            record_write(self.options.state_dir, self.device.serial, operation)
            self.result.writes += 1
        return True

    def verify(self) -> tuple[Any, dict[str, Any]] | None:
        """A fresh read (waiting for the rate-limit window), repeated while it may still
        show the old values; None when stopped. Returns (state, view)."""
        state, view = None, {}
        extra = extra_params(self.module, self.desired)
        for attempt in range(max(1, self.options.settle_reads)):
            if attempt and self.stop.wait(self.options.verify_interval):
                return None
            if self.stop.is_set():
                return None
            read = read_settings(self.client, self.device.serial, self.module.NAME,
                                 state_dir=self.options.state_dir, read_interval=0,
                                 extra_params=extra, fresh=True)
            state = state_of(self.module, read, extra)
            view = self.module.view(state, self.desired)
            if not self.module.plan(state, self.desired):
                break
        return state, view

    def start(self) -> None:
        """Before the first write: the restore point, and the first round's writes."""
        self.result.restore_point = save_restore_point(self.options.state_dir, self.device)
        self.operations = [op.to_operation() for op in self.device.operations]
        self.current = self.device.current or {}
        self.expected = self.device.expected or {}

    def write_round(self) -> bool:
        """One round of writes; True when a verifying read should follow."""
        if self.result.rounds == 0:
            self.start()
        self.result.rounds += 1
        if not self.write_all(self.operations, self.current, self.expected):
            return False
        if not self.options.wait_verify:
            self.result.outcome = "applied-unconfirmed"
            return False
        return True

    def verify_round(self) -> bool:
        """Read the device again; True when another round of writes is needed."""
        self.report(f"{self.device.name}: verifying")
        try:
            verified = self.verify()
        except GrowattError as exc:
            # The writes were accepted; only the proof is missing. The journal keeps the
            # expectation so the next plan checks it.
            self.result.outcome = "applied-unconfirmed"
            self.result.message = f"could not verify: {exc}"
            return False
        if verified is None:
            self.result.outcome = "interrupted"
            self.result.message = "stopped before verification"
            return False
        state, view = verified
        wanted = self.module.plan(state, self.desired)
        operations = [op for op in wanted if op.path not in self.result.fights]
        if not operations or self.result.rounds >= self.options.max_rounds:
            converged = not operations and not self.result.fights
            self.result.outcome = "converged" if converged else "not-converged"
            if not converged:
                self.result.remaining = changes_between(
                    view, self.module.view(apply_all(self.module, state, wanted),
                                           self.desired))
            return False
        self.operations, self.current = operations, view
        self.expected = self.module.view(apply_all(self.module, state, operations),
                                         self.desired)
        return True

    def finish(self) -> DeviceOutcome:
        if self.result.fights:
            self.result.message = ("not written a third time, because it was changed back "
                                   "after each of our last two applies: " +
                                   ", ".join(self.result.fights) +
                                   " (someone or something keeps changing it; please look)")
        unconfirmed = self.result.outcome == "applied-unconfirmed"
        self.log("device-result", outcome=self.result.outcome, writes=self.result.writes,
                 rounds=self.result.rounds, fights=self.result.fights,
                 expected=self.expected if unconfirmed else None,
                 error=self.result.error.model_dump() if self.result.error else None)
        return self.result


# ---- the fleet ----------------------------------------------------------------------

def failed_in_planning(device: DevicePlan) -> DeviceOutcome:
    return DeviceOutcome(name=device.name, serial=device.serial, family=device.family,
                         outcome="failed", error=device.error,
                         message="could not be planned")


def run_all(pool: ThreadPoolExecutor, runs: list[DeviceRun], step: str, client: Any,
            stop: threading.Event, report: Callable[[str], None]) -> list[DeviceRun]:
    """Run one step (`write_round` or `verify_round`) of every device in parallel; the
    devices whose step asks for more. Ctrl-C: no new write starts, in-flight ones finish."""
    futures = {pool.submit(getattr(run, step)): run for run in runs}
    waiting = set(futures)
    more = []
    while waiting:
        try:
            done, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
        except KeyboardInterrupt:
            stop.set()
            interrupt = getattr(client, "interrupt", None)
            if interrupt:
                interrupt()  # and rate-limit waits end now
            report("interrupted: finishing the writes under way, starting no new ones")
            continue
        for future in done:
            run = futures[future]
            try:
                if future.result():
                    more.append(run)
            except Exception as exc:  # a bug must not hide the other devices' results
                run.result.outcome = "failed"
                run.result.error = DeviceError(kind=type(exc).__name__, message=str(exc))
    return [run for run in runs if run in more]


def apply_plan(plan: Plan, desired: dict[str, DesiredDevice], client: Any,
               options: ApplyOptions, journal: Journal, stop: threading.Event,
               report: Callable[[str], None] = lambda line: None) -> list[DeviceOutcome]:
    """Apply every device of `plan`; returns one outcome per device, in plan order.

    Rounds go fleet-wide: every device's writes, then every device's verifying read.
    A verifying read may have to wait for the rate-limit window since the plan's read;
    waiting for all devices at once costs that window once, not once per worker.
    """
    journal.write("run-start", devices=len(plan.devices), writes=plan.writes,
                  config=plan.config_path)
    outcomes: dict[str, DeviceOutcome] = {}
    runs = []
    for device in plan.devices:
        if device.status == "error":
            outcomes[device.serial] = failed_in_planning(device)
        elif not device.operations:
            outcomes[device.serial] = DeviceOutcome(device.name, device.serial,
                                                    device.family, "unchanged")
        else:
            runs.append(DeviceRun(device, desired[device.serial], client, options, journal,
                                  stop, report))
    with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:
        pending = runs
        while pending and not stop.is_set():
            to_verify = run_all(pool, pending, "write_round", client, stop, report)
            pending = run_all(pool, to_verify, "verify_round", client, stop, report)
    for run in runs:
        if stop.is_set() and run.result.outcome == "unchanged":
            run.result.outcome = "interrupted"
            run.result.message = run.result.message or "stopped before all writes were made"
        outcomes[run.device.serial] = run.finish()
    results = [outcomes[device.serial] for device in plan.devices]
    journal.write("run-end", outcomes={r.serial: r.outcome for r in results},
                  interrupted=stop.is_set())
    return results
