"""The JSON Schema of the file, from the models plus each named setting's own schema."""

from __future__ import annotations

from typing import Any

from reconciler.config.models import ConfigModel
from reconciler.devices.params import PARAMS


def settings_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for family, params in PARAMS.items():
        for name, param in params.items():
            entry = properties.setdefault(name, {**param.codec.schema, "description": ""})
            families = entry.setdefault("x-families", [])
            families.append(family)
            danger = " Dangerous: apply needs --allow-dangerous." if param.dangerous else ""
            entry["description"] = (f"{param.description} ({', '.join(families).upper()})"
                                    f"{danger}")
    return {"type": "object", "additionalProperties": False,
            "description": "named parameters; only the ones listed are managed",
            "properties": dict(sorted(properties.items()))}


def json_schema() -> dict[str, Any]:
    schema = ConfigModel.model_json_schema(by_alias=True)
    settings = settings_schema()
    for definition in schema.get("$defs", {}).values():
        props = definition.get("properties", {})
        if "settings" in props:
            props["settings"] = {"anyOf": [settings, {"type": "null"}], "default": None}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "growatt-reconcile inverters file (format version 1)"
    return schema
