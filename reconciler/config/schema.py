"""The JSON Schema of the file: the pydantic models, with each family's named settings
plugged in from the registry (reconciler.devices.params), so editors complete and check
`settings` per inverter type."""

from __future__ import annotations

from typing import Any

from reconciler.config.models import ConfigModel
from reconciler.devices.params import PARAMS, Param

DANGER = " Dangerous: planned as usual, applied only with --allow-dangerous."


def _entry(param: Param, families: list[str]) -> dict[str, Any]:
    danger = DANGER if param.dangerous else ""
    kinds = "/".join(f.upper() for f in families)
    entry = {**param.codec.schema, "description": f"{param.description} ({kinds}).{danger}"}
    if param.dangerous:
        entry["x-dangerous"] = True
    return entry


def settings_schema(families: list[str]) -> dict[str, Any]:
    """The `settings` mapping for inverters of `families` (all: type unknown)."""
    properties: dict[str, Any] = {}
    for name in sorted({name for family in families for name in PARAMS[family]}):
        having = [family for family in PARAMS if name in PARAMS[family]]
        param = next(PARAMS[family][name] for family in families if name in PARAMS[family])
        properties[name] = _entry(param, having)
    which = " and ".join(f.upper() for f in families)
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "description": f"named parameters of {which} inverters; only the ones listed are "
                           "managed"}


def _typed(family: str, others: list[str]) -> dict[str, Any]:
    """With `type: family`, the other family's sections are refused and settings narrow."""
    refused: dict[str, Any] = {section: False for section in others}
    return {"if": {"required": ["type"], "properties": {"type": {"const": family}}},
            "then": {"properties": {**refused, "settings": {"anyOf": [
                {"$ref": f"#/$defs/Settings{family.title()}"}, {"type": "null"}]}}}}


def json_schema() -> dict[str, Any]:
    schema = ConfigModel.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    defs["Settings"] = settings_schema(list(PARAMS))
    defs["SettingsMin"] = settings_schema(["min"])
    defs["SettingsSph"] = settings_schema(["sph"])
    for definition in defs.values():
        props = definition.get("properties", {})
        if "settings" in props:
            props["settings"] = {"anyOf": [{"$ref": "#/$defs/Settings"}, {"type": "null"}],
                                 "default": None, "description": "named parameters (which "
                                 "ones depends on the type); only the ones listed are managed"}
    defs["InverterModel"]["allOf"] = [_typed("min", ["ac_charge", "ac_discharge"]),
                                      _typed("sph", ["time_segments"])]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "growatt-reconcile inverters file (format version 1)"
    return schema
