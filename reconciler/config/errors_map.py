"""Turning pydantic's validation errors into problems at YAML places, in plain words."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.config import models
from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_

FRIENDLY_TYPES = {"int_type": "a whole number", "int_parsing": "a whole number",
                  "bool_type": "true or false", "string_type": "text",
                  "float_type": "a number", "dict_type": "a mapping (key: value)",
                  "list_type": "a list", "model_type": "a mapping (key: value)",
                  "model_attributes_type": "a mapping (key: value)"}
UNION_HINTS = {"profile": "a profile name, or a list of names and {use, from, until} entries",
               "use": "a profile name or a list of names"}


def real_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of a pydantic location that exists in the data (drops union branch tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        key = "from" if part == "from_" else part
        in_map = isinstance(node, dict) and isinstance(key, str) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if in_map or in_list:
            path.append(key)
            node = node[key]
    return tuple(path)


def model_at(path: Path_) -> type[BaseModel] | None:
    """Which model describes the mapping at `path` (for "did you mean")."""
    if not path:
        return models.ConfigModel
    head = path[0]
    if head == "account" and len(path) == 1:
        return models.Account
    if head in ("profiles", "inverters") and len(path) >= 2:
        rest = path[2:]
        base: type[BaseModel] = models.ProfileModel if head == "profiles" else \
            models.InverterModel
        if not rest:
            return base
        if rest[0] == "time_segments" and len(rest) == 2:
            return models.SegmentModel
        if rest[0] == "ac_charge":
            return models.ChargeModel if len(rest) == 1 else models.PeriodModel
        if rest[0] == "ac_discharge":
            return models.DischargeModel if len(rest) == 1 else models.PeriodModel
        if rest[0] == "profile" and len(rest) == 2:
            return models.DatedProfile
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def suggestion(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(choices)})"


def _message(error: Any, path: Path_) -> tuple[str, bool]:
    """(message, point at the key rather than the value)."""
    kind = error["type"]
    field = str(path[-1]) if path else "the file"
    given = error.get("input")
    if kind == "extra_forbidden":
        model = model_at(path[:-1])
        choices = allowed_keys(model) if model else []
        return f"unknown key {field!r}{suggestion(field, choices)}", True
    if kind == "missing":
        missing = str(error["loc"][-1]).rstrip("_")
        return f"{missing} is missing here", False
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{field} must be {expected}, not {given!r}", False
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), False
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{field} is out of range: {error['msg'].lower()}, not {given}", False
    if kind == "too_long":
        return f"{field} holds at most {error.get('ctx', {}).get('max_length')} entries", False
    if field in UNION_HINTS:
        return f"{field} must be {UNION_HINTS[field]}", False
    if kind in FRIENDLY_TYPES:
        return f"{field} must be {FRIENDLY_TYPES[kind]}, not {given!r}", False
    return f"{field}: {error['msg']}", False


def problems_from(document: Document, error: ValidationError) -> list[Problem]:
    seen: dict[Path_, Problem] = {}
    for item in error.errors():
        path = real_path(document.data, tuple(item["loc"]))
        if item["type"] == "extra_forbidden" or item["type"] == "missing":
            path = real_path(document.data, tuple(item["loc"])[:-1]) + (
                (str(item["loc"][-1]),) if item["type"] == "extra_forbidden" else ())
        message, at_key = _message(item, path)
        if item["type"] == "missing":
            problem = document.problem(path, message, key=True)
        else:
            problem = document.problem(path, message, key=at_key)
        # A value that fits no branch of a union errs once per branch: keep the first.
        seen.setdefault((*path, item["type"] == "extra_forbidden", message if item["type"]
                         in ("extra_forbidden", "missing") else ""), problem)
    unique: dict[tuple[int, int, str], Problem] = {}
    for problem in seen.values():
        unique.setdefault((problem.line, problem.column, problem.message), problem)
    by_place: dict[tuple[int, int], Problem] = {}
    for problem in unique.values():
        by_place.setdefault((problem.line, problem.column), problem)
    return list(by_place.values())
