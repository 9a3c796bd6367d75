"""Turning pydantic's validation errors into problems at YAML places, in plain words.

A pydantic location mixes real keys with the names of union branches it tried
("str", "list[str]", "DatedProfile"). The branches that cannot fit the value actually
written are noise; `_fits` drops them, so the problem reported is the one the person
meant to write.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.config import models
from reconciler.config.problems import Problem
from reconciler.config.yaml_loader import Document, Path_
from reconciler.devices.params import PARAMS

TYPE_WORDS = {"int_type": "a whole number", "int_parsing": "a whole number",
              "int_from_float": "a whole number", "bool_type": "true or false",
              "string_type": "text", "float_type": "a number", "dict_type": "a mapping",
              "list_type": "a list", "model_type": "a mapping",
              "model_attributes_type": "a mapping", "literal_error": "one of"}
UNION_HINTS = {"profile": "a profile name, or a list of names and {use, from, until} entries",
               "use": "a profile name or a list of names"}
BOUNDS = {"power": (0, 100), "stop_soc": (0, 100), "slot": (1, 9), "read_interval": (0, 86400)}
LIST_WORDS = {"time_segments": ("segments", "a MIN inverter has 9 slots"),
              "periods": ("periods", "an SPH holds 3")}
SETTING_NAMES = sorted({name for params in PARAMS.values() for name in params})


def real_path(data: Any, loc: tuple[Any, ...]) -> tuple[Path_, bool]:
    """(the part of a pydantic location that exists in the data, whether every union
    branch named on the way fits the value there)."""
    path: list[str | int] = []
    node = data
    fits = True
    for part in loc:
        key = "from" if part == "from_" else part
        in_map = isinstance(node, dict) and isinstance(key, str) and key in node
        if in_map or (isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)):
            path.append(key)
            node = node[key]
        elif isinstance(key, str):
            fits = fits and _fits(key, node)
    return tuple(path), fits


def _fits(branch: str, value: Any) -> bool:
    """Whether a union branch named `branch` could be meant for `value`."""
    if branch.startswith("function-"):  # a validated type: "function-after[f(), Type]"
        branch = branch.rsplit(",", 1)[-1].strip(" ]")
    if branch.startswith("list["):
        return isinstance(value, list)
    if branch.startswith("dict[") or branch[:1].isupper():
        return isinstance(value, dict)
    if branch == "str":
        return isinstance(value, str)
    if branch in ("int", "float"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True  # an error of the value itself, e.g. a missing key or extra key


def model_at(path: Path_) -> type[BaseModel] | None:
    """Which model describes the mapping at `path` (for "did you mean")."""
    if not path:
        return models.ConfigModel
    head, rest = path[0], path[2:]
    if head == "account" and len(path) == 1:
        return models.Account
    if head not in ("profiles", "inverters") or len(path) < 2:
        return None
    if not rest:
        return models.ProfileModel if head == "profiles" else models.InverterModel
    section = rest[0]
    if section == "time_segments" and len(rest) == 2:
        return models.SegmentModel
    if section in ("ac_charge", "ac_discharge"):
        if len(rest) == 1:
            return models.ChargeModel if section == "ac_charge" else models.DischargeModel
        return models.PeriodModel if len(rest) == 3 else None
    if section == "profile" and len(rest) == 2:
        return models.DatedProfile
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def suggestion(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (allowed here: {', '.join(choices)})" if choices else ""


def _shown(document: Document, path: Path_, value: Any) -> str:
    """The value as written in the file (YAML may have read 0123 as 123)."""
    if value is None:
        return "nothing"
    return document.texts.get(path, repr(value))


def _unknown_key(path: Path_) -> str:
    field = str(path[-1])
    model = model_at(path[:-1])
    if model in (models.InverterModel, models.ProfileModel) and field in SETTING_NAMES:
        return f"unknown key {field!r}: {field} is a setting, put it under settings:"
    choices = allowed_keys(model) if model else []
    return f"unknown key {field!r}{suggestion(field, choices)}"


def _message(document: Document, error: Any, path: Path_) -> str:
    kind = error["type"]
    field = _field(path)
    given = error.get("input")
    shown = _shown(document, path, given)
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"required key {str(error['loc'][-1]).rstrip('_')!r} is missing"
    if kind == "literal_error" and path == ("version",):
        return f"this tool reads format version 1; the file says version {shown}"
    if kind == "literal_error":
        options = [o.strip(" '") for o in str(ctx.get("expected", "")).replace(" or ", ",")
                   .split(",")]
        hint = suggestion(str(given), options) if isinstance(given, str) else ""
        hint = hint if hint.startswith(";") else ""
        if isinstance(given, str) and given.lower() in options:
            hint = f"; did you mean {given.lower()!r}?"
        return f"{field} must be {ctx.get('expected', '')}, not {shown}{hint}"
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = BOUNDS.get(field, (ctx.get("ge"), ctx.get("le")))
        return f"{field} must be from {low} to {high}, not {shown}"
    if kind == "finite_number":
        return f"{field} must be a finite number, not {shown}"
    if kind == "too_long":
        count = ctx.get("actual_length")
        if field in LIST_WORDS:
            noun, room = LIST_WORDS[field]
            return f"{field} lists {count} {noun}, but {room}"
        return f"{field} holds at most {ctx.get('max_length')} entries, not {count}"
    if kind == "too_short":
        return f"{field} needs at least one entry"
    if given is None and kind in TYPE_WORDS:
        return f"{field} has no value: it must be {_expected(field, kind)}"
    if kind == "string_type" and not isinstance(given, dict | list):
        return f"{field} must be text: write it in quotes, \"{shown}\""
    if kind in TYPE_WORDS:
        return f"{field} must be {_expected(field, kind)}, not {_brief(shown, given)}"
    return f"{field}: {error['msg']}"


def _field(path: Path_) -> str:
    if not path:
        return "the file"
    if isinstance(path[-1], int):
        return f"entry {path[-1] + 1} of {path[-2]}" if len(path) >= 2 else "the file"
    return str(path[-1])


def _union_hint(path: Path_) -> str:
    if path and isinstance(path[-1], int) and len(path) >= 2 and path[-2] == "profile":
        return "a profile name or a {use, from, until} entry"
    return UNION_HINTS.get(str(path[-1]) if path else "", "of another type")


def _expected(field: str, kind: str) -> str:
    return TYPE_WORDS[kind]


def _brief(shown: str, given: Any) -> str:
    if isinstance(given, dict):
        return "a mapping"
    if isinstance(given, list):
        return "a list"
    return shown


def problems_from(document: Document, error: ValidationError) -> list[Problem]:
    """One problem per place, in the person's words."""
    kept: dict[tuple[int, int, str], Problem] = {}
    kept_paths: list[Path_] = []
    unfit: list[Path_] = []
    errors = error.errors()
    misspelled = _misspelled(document, errors)
    for item in errors:
        loc = tuple(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            parent, fits = real_path(document.data, loc[:-1])
            path: Path_ = (*parent, "from" if loc[-1] == "from_" else str(loc[-1]))
        elif kind == "missing":
            path, fits = real_path(document.data, loc[:-1])
            if (path, str(loc[-1]).rstrip("_")) in misspelled:
                continue  # "unknown key 'mdoe'; did you mean 'mode'?" says it already
        else:
            path, fits = real_path(document.data, loc)
        if document.is_broken(path):
            continue  # loading reported it already
        if not fits:
            unfit.append(path)
            continue
        at_key = kind in ("extra_forbidden", "missing")
        message = _unknown_key(path) if kind == "extra_forbidden" else \
            _message(document, item, path)
        problem = document.problem(path, message, key=at_key)
        kept.setdefault((problem.line, problem.column, problem.message), problem)
        kept_paths.append(path)
    # A value no branch of a union can hold: say what the union takes.
    for path in sorted(unfit, key=len, reverse=True):  # the most precise first
        if not any(other[:len(path)] == path for other in kept_paths):
            problem = document.problem(path, f"{_field(path)} must be {_union_hint(path)}")
            kept.setdefault((problem.line, problem.column, problem.message), problem)
            kept_paths.append(path)
    return list(kept.values())


def _misspelled(document: Document, errors: list[Any]) -> set[tuple[Path_, str]]:
    """(mapping, key) pairs of required keys that an unknown sibling key looks like."""
    found = set()
    for item in errors:
        if item["type"] != "extra_forbidden":
            continue
        parent, _ = real_path(document.data, tuple(item["loc"])[:-1])
        model = model_at(parent)
        if model is None:
            continue
        close = difflib.get_close_matches(str(item["loc"][-1]), allowed_keys(model), n=1)
        if close:
            found.add((parent, close[0]))
    return found
