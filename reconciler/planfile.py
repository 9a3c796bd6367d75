"""The plan as plain data, and its versioned JSON file format.

A plan is made by `planner`, shown by `render`, and consumed by `applier`; apply reads
this data, never the rendered text. The token is never part of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.model import Operation
from reconciler.statedir import atomic_write_text

FORMAT_VERSION = 1

DeviceStatus = Literal["unchanged", "changes", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Change(_Strict):
    path: str = Field(description="what changes, e.g. settings.charge_power")
    before: Any = None
    after: Any = None
    action: Literal["create", "update", "delete"] = "update"


class PlannedOperation(_Strict):
    endpoint: str = Field(description="tlxSet or mixSet")
    type: str = Field(description="the write type, e.g. time_segment3")
    params: list[str] = Field(description="param1.. exactly as sent; later params are blank")
    path: str
    summary: str
    dangerous: bool = False

    @classmethod
    def of(cls, operation: Operation) -> PlannedOperation:
        return cls(endpoint=operation.endpoint, type=operation.type,
                   params=list(operation.params), path=operation.path,
                   summary=operation.summary, dangerous=operation.dangerous)

    def to_operation(self) -> Operation:
        return Operation(endpoint=self.endpoint, type=self.type, params=tuple(self.params),
                         path=self.path, summary=self.summary, dangerous=self.dangerous)


class DeviceError(_Strict):
    kind: str = Field(description="error class, e.g. DeviceOfflineError")
    message: str
    error_code: int | None = None


class DevicePlan(_Strict):
    name: str
    serial: str
    family: str | None
    status: DeviceStatus
    fingerprint: str | None = Field(None, description="sha256 of the normalized state read")
    read_at: str | None = Field(None, description="when the settings were read (ISO 8601)")
    read_from_cache: bool = False
    read_includes_unconfirmed_writes: bool = False
    profiles: list[str] = []
    next_switch: str | None = None
    current: dict[str, Any] | None = Field(None, description="managed part of the state read")
    expected: dict[str, Any] | None = Field(None, description="managed part after the writes")
    changes: list[Change] = []
    operations: list[PlannedOperation] = []
    warnings: list[str] = []
    error: DeviceError | None = None


class ApiCalls(_Strict):
    reads: int = 0
    writes: int = 0
    by_endpoint: dict[str, int] = {}


class Plan(_Strict):
    format_version: Literal[1] = 1
    tool_version: str
    created_at: str
    config_path: str
    config_sha256: str
    date: str = Field(description="the date profiles were chosen for (YYYY-MM-DD)")
    server: str = Field(description="server name or base URL (never the token)")
    targets: list[str] = []
    excludes: list[str] = []
    devices: list[DevicePlan]
    api_calls: ApiCalls
    apply_estimate_seconds: float = 0.0

    @property
    def writes(self) -> int:
        return sum(len(device.operations) for device in self.devices)


class PlanFileError(Exception):
    """A plan file that cannot be used: missing, truncated, edited or from another version."""


def save_plan(plan: Plan, path: Path) -> None:
    atomic_write_text(path, plan.model_dump_json(indent=2) + "\n")


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no saved plan; run `growatt-reconcile plan` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc}") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise PlanFileError(f"{path}: not a plan file (invalid JSON: {exc}); "
                            "make a new one with `growatt-reconcile plan`") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise PlanFileError(f"{path}: plan format version {version!r} is not supported "
                            f"(this tool reads version {FORMAT_VERSION}); "
                            "make a new plan with `growatt-reconcile plan`")
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"{path}: the plan file is damaged or was edited ({where}: "
                            f"{first['msg']}); make a new one with `growatt-reconcile plan`"
                            ) from None


def plan_json_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "growatt-reconcile plan"
    return schema
