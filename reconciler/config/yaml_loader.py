"""Safe YAML loading that remembers where every key and value stands, within limits.

The node graph is composed by PyYAML's safe loader (aliases stay shared nodes), then
built here, counting every node built so that an alias bomb stops early, and refusing
duplicate keys, deep nesting and tags other than the standard ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.config.problems import ConfigError, Problem

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000  # nodes built, aliases counted each time they are used
STANDARD_TAGS = {f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
TIME_LIKE = re.compile(r"^\d{1,2}:\d{2}$")

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """The loaded data with the place of each value (and of each mapping key)."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def place(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path_, message: str, key: bool = False,
                severity: str = "error") -> Problem:
        line, column = self.place(path, key)
        return Problem(self.file, line, column, message, severity)  # type: ignore[arg-type]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.count = 0
        self.loader = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, message: str) -> ConfigError:
        line, column = _mark(node)
        return ConfigError([Problem(self.document.file, line, column, message)])

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"the file expands to more than {MAX_NODES} values (an "
                            "alias bomb?); it is refused")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels is refused")
        if node.tag not in STANDARD_TAGS:
            raise self.fail(node, f"the tag {node.tag} is not allowed (only plain YAML: "
                            "strings, numbers, booleans, lists and mappings)")
        self.document.values.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "merge keys (<<) are not supported; use profiles")
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if not isinstance(key, str | int | bool) or key is None:
                    raise self.fail(key_node, "a mapping key must be a plain word")
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.document.keys.get((*path, key), (0, 0))
                    raise self.fail(key_node, f"duplicate key {key!r} (first at line "
                                    f"{first[0]}); YAML would silently keep only the last")
                self.document.keys[(*path, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index), depth + 1)
                    for index, item in enumerate(node.value)]
        if (node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
                and TIME_LIKE.match(str(node.value))
                and getattr(node, "style", None) is None):
            return str(node.value)  # YAML 1.1 reads 23:30 as a base-60 number; it is a time
        return self.loader.construct_object(node, deep=True)


def load_yaml(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(name, 1, 1, "no such file")]) from None
    except OSError as exc:
        raise ConfigError([Problem(name, 1, 1, f"cannot read the file: {exc.strerror}")]
                          ) from None
    return load_text(raw, name)


def load_text(raw: bytes, name: str) -> Document:
    if len(raw) > MAX_BYTES:
        raise ConfigError([Problem(name, 1, 1, f"the file is {len(raw)} bytes; files over "
                                   f"{MAX_BYTES} bytes (1 MiB) are refused")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError([Problem(name, line, column, "the file is not UTF-8 text "
                                   f"(byte 0x{raw[exc.start]:02x})")]) from None
    document = Document(file=name, data=None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError([Problem(name, line, column,
                                   f"not valid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, 1, 1, f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem(name, 1, 1, "nesting too deep to read")]) from None
    if node is None:
        raise ConfigError([Problem(name, 1, 1, "the file is empty; it needs at least "
                                   "`version: 1` and `inverters:`")])
    builder = _Builder(document)
    try:
        document.data = builder.build(node, (), 0)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError([Problem(name, line, column, f"cannot read value: {exc.problem}")]
                          ) from None
    except RecursionError:
        raise ConfigError([Problem(name, 1, 1, "nesting too deep to read")]) from None
    return document
