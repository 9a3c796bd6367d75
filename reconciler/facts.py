"""Reading the facts a plan compares against: device types, settings reads, extra params.

Each device costs one settings read per run. Reads younger than the rate-limit window
are served from a cache in the state directory (the cloud would refuse to repeat them),
together with the writes we made since, which are replayed on top and marked unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from reconciler.devices import registry
from reconciler.devices.params import Param
from reconciler.model import DEVICE_TYPES, Operation
from reconciler.statedir import INVENTORY_FILE, READS_DIR, atomic_write_json, read_json


class Client(Protocol):
    """The part of `reconciler.growatt.OpenApiV1` that reading needs."""

    def plant_list(self) -> Any: ...
    def device_list(self, plant_id: Any) -> Any: ...


@dataclass
class SettingsRead:
    serial: str
    family: str
    raw: dict[str, Any]
    read_at: datetime
    from_cache: bool = False
    unconfirmed: list[Operation] = field(default_factory=list)  # our writes since the read
    extra: dict[str, str] = field(default_factory=dict)  # read_parameter answers by write type


def now_utc() -> datetime:
    return datetime.now(UTC)


def _age(read_at: datetime, now: datetime) -> float:
    return (now - read_at).total_seconds()


def _cache_path(state_dir: Path, serial: str) -> Path:
    return state_dir / READS_DIR / f"{serial}.json"


def _operation_dict(operation: Operation) -> dict[str, Any]:
    return {"endpoint": operation.endpoint, "type": operation.type,
            "params": list(operation.params), "path": operation.path,
            "summary": operation.summary, "dangerous": operation.dangerous}


def _operation_of(data: dict[str, Any]) -> Operation:
    return Operation(endpoint=data["endpoint"], type=data["type"],
                     params=tuple(data["params"]), path=data["path"],
                     summary=data["summary"], dangerous=bool(data.get("dangerous")))


def load_cached_read(state_dir: Path, serial: str) -> SettingsRead | None:
    data = read_json(_cache_path(state_dir, serial))
    if not isinstance(data, dict):
        return None
    try:
        return SettingsRead(
            serial=serial, family=data["family"], raw=dict(data["raw"]),
            read_at=datetime.fromisoformat(data["read_at"]), from_cache=True,
            unconfirmed=[_operation_of(op) for op in data.get("unconfirmed", [])],
            extra={str(k): str(v) for k, v in data.get("extra", {}).items()},
        )
    except (TypeError, KeyError, ValueError):
        return None  # a damaged cache is no cache


def save_read(state_dir: Path, read: SettingsRead) -> None:
    atomic_write_json(_cache_path(state_dir, read.serial), {
        "family": read.family, "raw": read.raw, "read_at": read.read_at.isoformat(),
        "unconfirmed": [_operation_dict(op) for op in read.unconfirmed], "extra": read.extra,
    }, durable=False)


def record_write(state_dir: Path, serial: str, operation: Operation) -> None:
    """After an accepted write: a cached read must not hide it from the next plan."""
    cached = load_cached_read(state_dir, serial)
    if cached is not None:
        cached.unconfirmed.append(operation)
        save_read(state_dir, cached)


def read_settings(client: Any, serial: str, family: str, *, state_dir: Path,
                  read_interval: float, extra_params: list[Param] | None = None,
                  now: datetime | None = None, fresh: bool = False) -> SettingsRead:
    """One settings read of a device (or its cached twin), plus any `read_parameter` reads
    for managed parameters the settings read does not carry."""
    now = now or now_utc()
    cached = None if fresh else load_cached_read(state_dir, serial)
    if cached and cached.family == family and _age(cached.read_at, now) < read_interval:
        read = cached
    else:
        module = registry()[family]
        raw = getattr(client, module.SETTINGS_READ)(serial)
        read = SettingsRead(serial=serial, family=family,
                            raw=raw if isinstance(raw, dict) else {}, read_at=now)
        if cached:  # read_parameter answers stay valid for their own window
            read.extra = cached.extra
    for param in extra_params or []:
        if param.write_type not in read.extra or not read.from_cache:
            value = getattr(client, f"{family}_read_parameter")(serial, param.write_type)
            read.extra[param.write_type] = "" if value is None else str(value)
    save_read(state_dir, read)
    return read


@dataclass
class Inventory:
    devices: dict[str, dict[str, Any]]  # serial -> device/list entry plus plant_id
    read_at: datetime
    from_cache: bool


def read_inventory(client: Client, *, state_dir: Path, needed: set[str],
                   refresh: bool = False, now: datetime | None = None) -> Inventory:
    """Plants and their devices, read once per run and cached: `plant/list` is capped at a
    few calls a day (spec 2.1), and device types do not change."""
    now = now or now_utc()
    path = state_dir / INVENTORY_FILE
    cached = read_json(path)
    if not refresh and isinstance(cached, dict) and isinstance(cached.get("devices"), dict):
        devices = cached["devices"]
        if needed <= set(devices):
            try:
                read_at = datetime.fromisoformat(cached["read_at"])
            except (KeyError, TypeError, ValueError):
                read_at = now
            return Inventory(devices=devices, read_at=read_at, from_cache=True)
    devices = {}
    plants = client.plant_list() or {}
    for plant in plants.get("plants", []) if isinstance(plants, dict) else []:
        plant_id = plant.get("plant_id")
        listing = client.device_list(plant_id) or {}
        for device in listing.get("devices", []) if isinstance(listing, dict) else []:
            if isinstance(device, dict) and device.get("device_sn"):
                devices[str(device["device_sn"])] = {**device, "plant_id": plant_id}
    atomic_write_json(path, {"read_at": now.isoformat(), "devices": devices})
    return Inventory(devices=devices, read_at=now, from_cache=False)


def family_of(entry: dict[str, Any]) -> str | None:
    try:
        return DEVICE_TYPES.get(int(entry.get("type")))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
