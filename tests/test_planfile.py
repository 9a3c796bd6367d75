"""The plan file: round trip, refusal of damaged or foreign files, committed schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.planfile import (
    ApiCalls,
    DevicePlan,
    Plan,
    PlanFileError,
    PlannedOperation,
    load_plan,
    plan_json_schema,
    save_plan,
)

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "plan.schema.json"


def sample_plan() -> Plan:
    op = PlannedOperation(endpoint="tlxSet", type="charge_power", params=["80"],
                          path="settings.charge_power", summary="charge_power: 100 -> 80")
    device = DevicePlan(name="garage", serial="MIN1234567", family="min", status="changes",
                        current={"settings": {"charge_power": 100}},
                        expected={"settings": {"charge_power": 80}}, operations=[op])
    return Plan(tool_version="0", created_at="2026-11-24T09:00:00+00:00",
                config_path="inverters.yaml", config_sha256="ab" * 32, date="2026-11-24",
                server="sim", devices=[device], api_calls=ApiCalls(reads=1))


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    assert load_plan(path) == sample_plan()
    assert load_plan(path).writes == 1


@pytest.mark.parametrize("damage, fragment", [
    (lambda text: text[: len(text) // 2], "invalid JSON"),
    (lambda text: text.replace('"format_version": 1', '"format_version": 9'), "version 9"),
    (lambda text: text.replace('"status": "changes"', '"status": "maybe"'), "edited"),
    (lambda text: text.replace('"params": [', '"parms": ['), "edited"),
])
def test_damaged_plans_are_refused(tmp_path: Path, damage, fragment) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    path.write_text(damage(path.read_text()))
    with pytest.raises(PlanFileError) as info:
        load_plan(path)
    assert fragment in str(info.value)
    assert "growatt-reconcile plan" in str(info.value)


def test_missing_plan_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="run `growatt-reconcile plan` first"):
        load_plan(tmp_path / "nope.json")


def test_committed_plan_schema_is_current() -> None:
    assert json.loads(SCHEMA.read_text()) == plan_json_schema(), (
        "schemas/plan.schema.json is stale: regenerate it with "
        "python -c 'from reconciler.planfile import plan_json_schema; import json; "
        "print(json.dumps(plan_json_schema(), indent=2))' > schemas/plan.schema.json")
