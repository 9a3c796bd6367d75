"""Benchmarks: API calls against the minimum and the naive way, fleet wall time against
the bound, our own CPU per device, and start-up time. Prints a table; exits 0.

    python bench/run.py            # the standard run (a few minutes)
    python bench/run.py --quick    # a tiny fleet, for the test suite
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import make_fleet
from bench.minimum import minimum_writes
from reconciler.applier import ApplyOptions, apply_plan
from reconciler.config import load_config
from reconciler.devices import registry
from reconciler.growatt import OpenApiV1
from reconciler.journal import Journal
from reconciler.planner import PlanOptions, changes_between, make_plan
from reconciler.render.plan_text import render_plan
from reconciler.render.style import Style
from reconciler.sim.server import SimOptions, start_server

ROWS: list[tuple[str, str, str, str]] = []


def row(figure: str, measured: str, target: str, note: str = "") -> None:
    ROWS.append((figure, measured, target, note))
    print(f"  {figure}: {measured} (target {target}) {note}", flush=True)


def naive_counts(config: Any) -> tuple[int, int]:
    """Reads and writes of the naive way: one read per helper call, and writing all nine
    segments and both SPH schedules (and every managed setting) every time."""
    reads = writes = 0
    for device in config.devices:
        settings = len(device.settings)
        if device.family == "min":
            reads += 1 + settings
            writes += (9 if device.time_segments is not None else 0) + settings
        else:
            reads += 2 + settings
            writes += 2 + settings
    return reads, writes


def independent_minimum(plan: Any, config: Any) -> tuple[int, int, int]:
    """(devices checked by brute force, their planned writes, their minimum writes)."""
    desired = {d.serial: d for d in config.devices}
    module = registry()["min"]
    checked = planned = minimum = 0
    for device in plan.devices:
        wanted = desired[device.serial]
        slot_ops = [op for op in device.operations if op.path.startswith("time_segments.")]
        if device.family != "min" or wanted.time_segments is None or len(slot_ops) > 6:
            continue
        from reconciler.facts import load_cached_read

        read = load_cached_read(plan_state_dir, device.serial)
        if read is None:
            continue
        state = module.parse(device.serial, read.raw)
        found = minimum_writes(state.slots, wanted.time_segments, len(slot_ops))
        checked += 1
        planned += len(slot_ops)
        minimum += found if found is not None else len(slot_ops) + 1
    return checked, planned, minimum


plan_state_dir = Path()


def api_calls(size: int, folder: Path) -> None:
    global plan_state_dir
    fixture, config_path = make_fleet(size, seed=size, folder=folder)
    config = load_config(config_path)
    server = start_server(SimOptions(fixture=fixture))
    plan_state_dir = folder / f"state-{size}"
    client = OpenApiV1("bench", server=server.url, read_interval=0, state_dir=plan_state_dir)
    options = PlanOptions(state_dir=plan_state_dir, read_interval=0, server="sim",
                          parallelism=8)
    plan = make_plan(config, client, options)
    reads = client.stats["reads"]
    checked, planned, minimum = independent_minimum(plan, config)  # before apply reads again
    journal = Journal(plan_state_dir / "journal.jsonl")
    import threading

    before = client.stats["writes"]
    apply_plan(plan, {d.serial: d for d in config.devices}, client,
               ApplyOptions(state_dir=plan_state_dir, parallelism=8, verify_interval=0),
               journal, threading.Event())
    applied = client.stats["writes"] - before
    naive_reads, naive_writes = naive_counts(config)
    row(f"plan reads, {size} inverters", f"{reads}", f"= {size} (one per device)",
        f"naive {naive_reads} ({naive_reads / max(1, reads):.1f}x ours)")
    row(f"apply writes, {size} inverters", f"{applied} (plan said {plan.writes})",
        "= planned, minimal", f"naive {naive_writes} ({naive_writes / max(1, applied):.1f}x)")
    row(f"MIN slot writes vs brute force, {size}", f"{planned} vs {minimum} on {checked} "
        "devices", "equal", "ok" if planned == minimum else "MISMATCH")
    again = make_plan(config, client, options)
    row(f"writes on a second plan, {size}", f"{again.writes}", "0")
    client.close()
    server.stop()


def sim_process(*args: str) -> tuple[subprocess.Popen[str], str]:
    """The simulator in a process of its own, so it does not share our interpreter."""
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "sim", "serve", *args],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    return process, first.removeprefix("serving ")


def wall_time(size: int, folder: Path, latency_ms: float, parallelism: int,
              window: float) -> None:
    fixture, config_path = make_fleet(size, seed=size + 7, folder=folder)
    config = load_config(config_path)
    process, url = sim_process("--fixture", str(fixture), "--latency", str(latency_ms),
                               "--rate-limit", f"request:{window}")
    state = folder / f"wall-{size}"
    client = OpenApiV1("bench", server=url, read_interval=window, state_dir=state)
    options = PlanOptions(state_dir=state, read_interval=window, server="sim",
                          parallelism=parallelism)
    started = time.perf_counter()
    plan = make_plan(config, client, options)
    plan_seconds = time.perf_counter() - started
    latency = latency_ms / 1000
    plan_bound = math.ceil(size / parallelism) * latency
    row(f"plan wall time, {size} inverters, {latency_ms:.0f} ms latency",
        f"{plan_seconds:.1f} s", f"<= 1.2x bound {plan_bound:.1f} s",
        f"ratio {plan_seconds / plan_bound:.2f}")
    import threading

    per_device = [len(d.operations) for d in plan.devices if d.operations]
    started = time.perf_counter()
    apply_plan(plan, {d.serial: d for d in config.devices}, client,
               ApplyOptions(state_dir=state, parallelism=parallelism, verify_interval=window),
               Journal(state / "journal.jsonl"), threading.Event())
    apply_seconds = time.perf_counter() - started
    # Bound: writes of the busiest worker, then each device's verifying read, which may not
    # come before the window since its plan read has passed.
    rounds = math.ceil(len(per_device) / parallelism)
    busiest = sum(sorted(per_device, reverse=True)[::parallelism][:rounds])
    since_plan = apply_seconds  # lower estimate of time already passed per device
    wait = max(0.0, window - plan_seconds - latency * busiest)
    apply_bound = busiest * latency + wait + rounds * latency
    row(f"apply wall time, {size} inverters ({sum(per_device)} writes)",
        f"{apply_seconds:.1f} s", f"<= 1.2x bound {apply_bound:.1f} s",
        f"ratio {apply_seconds / apply_bound:.2f} (window {window:g} s)")
    del since_plan
    client.close()
    process.terminate()
    process.wait()


def cpu(size: int, folder: Path) -> None:
    fixture, config_path = make_fleet(size, seed=3, folder=folder)
    import json

    from reconciler.config import yaml_loader

    devices = json.loads(fixture.read_text())["plants"][0]["devices"]
    # One file of 10,000 inverters is over the loader's limits for hostile input (1 MiB,
    # 100,000 values); loading is not what this measures.
    yaml_loader.MAX_BYTES, yaml_loader.MAX_NODES = 2**30, 10**8
    config = load_config(config_path)
    desired = {d.serial: d for d in config.devices}
    families = registry()
    seconds = plan_in_memory(devices, desired, families)
    tracemalloc.start()
    plan_in_memory(devices, desired, families)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row(f"CPU parse+plan+diff+render, {size} devices", f"{seconds / size * 1e6:.0f} µs/device",
        "< 1000 µs/device", f"peak {peak / 2**20:.0f} MiB ({peak / size / 1024:.1f} KiB/device)")


def plan_in_memory(devices: list[dict[str, Any]], desired: dict[str, Any],
                   families: dict[str, Any]) -> float:
    """Seconds to parse, plan, diff and render every device (no HTTP)."""
    from reconciler.planfile import ApiCalls, DevicePlan, Plan, PlannedOperation

    started = time.perf_counter()
    results = []
    for device in devices:
        module = families["min" if device["type"] == 7 else "sph"]
        want = desired[device["device_sn"]]
        state = module.parse(device["device_sn"], device["settings"])
        operations = module.plan(state, want)
        current = module.view(state, want)
        after = state
        for op in operations:
            after = module.apply(after, op)
        expected = module.view(after, want)
        results.append(DevicePlan(name=want.name, serial=want.serial, family=module.NAME,
                                  status="changes" if operations else "unchanged",
                                  current=current, expected=expected,
                                  changes=changes_between(current, expected),
                                  operations=[PlannedOperation.of(o) for o in operations]))
    plan = Plan(tool_version="bench", created_at="", config_path="", config_sha256="",
                date="", server="", devices=results, api_calls=ApiCalls())
    render_plan(plan, Style(False))
    return time.perf_counter() - started


def startup() -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "home-min.yaml"
    for label, args in (("--help", ["--help"]), ("validate", ["validate", str(example)])):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                           check=True)
            times.append(time.perf_counter() - started)
        row(f"start-up, {label}", f"{statistics.median(times) * 1000:.0f} ms (median of 5)",
            "< 300 ms" if label == "--help" else "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (for tests)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("API calls (plan and apply on generated fleets)")
        for size in ([5] if args.quick else [10, 100, 1000]):
            api_calls(size, folder)
        print("Fleet wall time (simulator latency, rate limiting on)")
        if args.quick:
            wall_time(6, folder, latency_ms=20, parallelism=4, window=0.5)
        else:
            wall_time(100, folder, latency_ms=100, parallelism=8, window=5)
            wall_time(1000, folder, latency_ms=100, parallelism=8, window=5)
        print("Our own CPU (in memory, no HTTP)")
        for size in ([50] if args.quick else [1000, 10000]):
            cpu(size, folder)
        print("Start-up (whole process)")
        startup()
    print()
    print("| figure | measured | target | note |")
    print("|---|---|---|---|")
    for figure, measured, target, note in ROWS:
        print(f"| {figure} | {measured} | {target} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
