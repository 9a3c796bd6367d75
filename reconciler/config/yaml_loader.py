"""Safe YAML loading that remembers where every key and value stands, within limits.

PyYAML's safe composer builds the node graph (aliases stay shared nodes; nesting is
refused past MAX_DEPTH before recursion can hurt), then `_Builder` turns nodes into
plain data, counting every node it builds so that an alias bomb stops early, and
recording the line and column of each key and value by path. Problems that leave the
rest of the file readable (duplicate keys, unknown tags, merge keys) are collected, so
one run reports them all; limits and syntax errors stop loading at once.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.config.problems import ConfigError, Problem, Severity

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000  # nodes built, aliases counted each time they are used
STANDARD_TAGS = {f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
MERGE_TAG = "tag:yaml.org,2002:merge"

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """The loaded data with the place of each value (and of each mapping key)."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    texts: dict[Path_, str] = field(default_factory=dict)  # source of non-text scalars
    problems: list[Problem] = field(default_factory=list)  # found while loading
    broken: set[Path_] = field(default_factory=set)  # values dropped by those problems

    def place(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Line and column of `path` (its key when `key`), or of its nearest ancestor."""
        probe = tuple(path)
        if key and probe in self.keys:
            return self.keys[probe]
        while probe:
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path_, message: str, key: bool = False,
                severity: Severity = "error") -> Problem:
        line, column = self.place(path, key)
        return Problem(self.file, line, column, message, severity)

    def is_broken(self, path: Path_) -> bool:
        """Whether `path` lies in a value that loading already reported and dropped."""
        return any(path[:len(bad)] == bad for bad in self.broken)


def _mark(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _DepthError(Exception):
    def __init__(self, mark: yaml.Mark, message: str = "") -> None:
        super().__init__(message or f"nesting deeper than {MAX_DEPTH} levels is refused")
        self.mark = mark


class _Composer(yaml.SafeLoader):
    """The safe composer, refusing deep nesting while it still can (no RecursionError)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.composed = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        self.composed += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _DepthError(self.peek_event().start_mark)
            if self.composed > MAX_NODES:
                # Stop while parsing: a flat list of a million values would otherwise be
                # parsed whole (seconds, hundreds of MB) before the builder counts it.
                raise _DepthError(self.peek_event().start_mark,
                                  f"the file holds more than {MAX_NODES} values: refused")
            alias = self.peek_event() if self.check_event(yaml.AliasEvent) else None
            node = super().compose_node(parent, index)
            if alias is not None and node is not None:
                # The anchored node is shared; a shallow copy carries the place where
                # this alias is used, so problems there point at the `*name`.
                node = copy.copy(node)
                node.start_mark, node.end_mark = alias.start_mark, alias.end_mark
            return node
        finally:
            self.depth -= 1


class _Builder:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def fatal(self, node: yaml.Node, message: str) -> ConfigError:
        line, column = _mark(node.start_mark)
        return ConfigError([*self.document.problems,
                            Problem(self.document.file, line, column, message)])

    def report(self, node: yaml.Node, message: str) -> None:
        line, column = _mark(node.start_mark)
        self.document.problems.append(Problem(self.document.file, line, column, message))

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fatal(node, f"the file expands to more than {MAX_NODES} values "
                             "(aliases count each time they are used): refused as a "
                             "possible alias bomb")
        if depth > MAX_DEPTH:
            raise self.fatal(node, f"nesting deeper than {MAX_DEPTH} levels (through "
                             "aliases) is refused")
        self.document.values.setdefault(path, _mark(node.start_mark))
        if node.tag not in STANDARD_TAGS:
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            self.report(node, f"the tag {tag} is not allowed: only plain YAML (text, "
                        "numbers, true/false, lists and mappings)")
            self.document.broken.add(path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index), depth + 1)
                    for index, item in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                self.report(key_node, "merge keys (<<) are not supported: share settings "
                            "through profiles instead")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in STANDARD_TAGS:
                self.report(key_node, "a key must be a plain word, not a list, a mapping "
                            "or a tagged value")
                continue
            # Keys are names: keep their text, so `on:` or `1:` stay the words written.
            key = str(key_node.value)
            if key in result or (*path, key) in self.document.broken:
                first = self.document.keys.get((*path, key), (0, 0))
                self.report(key_node, f"duplicate key {key!r} (first at line {first[0]}): "
                            "YAML would silently keep only the last one")
                continue
            self.document.keys[(*path, key)] = _mark(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        text = str(node.value)
        if node.tag == "tag:yaml.org,2002:timestamp":
            return text  # no field holds a timestamp; keep the text for the message
        if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in text:
            return text  # YAML 1.1 reads 23:30 as a base-60 number; here it is a time
        try:
            value = self.constructor.construct_object(node, deep=True)
        except Exception:  # any scalar a constructor chokes on stays text
            return text  # e.g. `0x_` looks like a number to YAML 1.1 but is none
        if not isinstance(value, str):
            self.document.texts[path] = text
        return value


def _syntax_problem(name: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else 0
        return Problem(name, 1, 1, f"the file holds a control character (U+{code:04X}) "
                       "that YAML does not allow")
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = str(exc.problem or "")
        # At the end of the file, the place worth showing is where the open thing began.
        at_end = "stream end" in problem or "end of stream" in problem
        line, column = _mark((exc.context_mark if at_end else None) or exc.problem_mark
                             or exc.context_mark)
        context = str(exc.context or "")
        if at_end and "quoted scalar" in context:
            text = "this quote is never closed"
        elif at_end and "flow" in context:
            text = "this [...] or {...} is never closed (a missing ] or }?)"
        elif "'\\t'" in problem:
            text = "a tab character here: YAML indents with spaces only"
        elif "mapping values are not allowed here" in problem:
            text = ("a colon followed by a space inside a value (or a key at the wrong "
                    "indentation): put the value in quotes or fix the indentation")
        elif "expected a single document" in problem or "but found another" in problem:
            text = "the file holds more than one YAML document (---): keep one"
        elif "expected <block end>" in problem:
            text = ("this line's indentation does not line up with the keys above it "
                    f"({problem})")
        elif "expected ',' or" in problem:
            text = (f"{problem} in this [...] or {{...}}: a missing comma, or an unclosed "
                    "quote before it?")
        else:
            text = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Problem(name, line, column, f"not valid YAML: {text}")
    return Problem(name, 1, 1, f"not valid YAML: {exc}")


LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # as YAML counts lines


def place_of(text: str, index: int) -> tuple[int, int]:
    """Line and column (from 1) of `text[index]`, counting lines the way YAML does."""
    breaks = list(LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def read_limited(path: Path, display: str | None = None) -> bytes:
    """The file's bytes; a file over MAX_BYTES is refused without reading it all."""
    name = display or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([Problem(name, 1, 1, "no such file")]) from None
    except OSError as exc:
        raise ConfigError([Problem(name, 1, 1, f"cannot read the file: "
                                   f"{exc.strerror or exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError([Problem(name, 1, 1, f"the file is larger than {MAX_BYTES} bytes "
                                   "(1 MiB): refused (a desired-state file is far smaller; "
                                   "split a fleet into several files)")])
    return raw


def load_yaml(path: Path, display: str | None = None) -> Document:
    return load_text(read_limited(path, display), display or str(path))


def load_text(raw: bytes | str, name: str) -> Document:
    """Parse YAML text into a Document; ConfigError when it cannot be read at all."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BYTES:
        raise ConfigError([Problem(name, 1, 1, f"the file is larger than {MAX_BYTES} bytes "
                                   "(1 MiB): refused")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        valid = raw[:exc.start].decode("utf-8")
        line, column = place_of(valid, len(valid))
        raise ConfigError([Problem(name, line, column, "the file is not UTF-8 text (byte "
                                   f"0x{raw[exc.start]:02x} here): save it as UTF-8")]
                          ) from None
    document = Document(file=name, data=None)
    loader: _Composer | None = None
    try:
        loader = _Composer(text)  # the reader checks for control characters right here
        node = loader.get_single_node()
    except _DepthError as exc:
        line, column = _mark(exc.mark)
        raise ConfigError([Problem(name, line, column, str(exc))]) from None
    except yaml.reader.ReaderError as exc:
        line, column = place_of(text, exc.position)
        problem = _syntax_problem(name, exc)
        raise ConfigError([Problem(name, line, column, problem.message)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([_syntax_problem(name, exc)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise ConfigError([Problem(name, 1, 1, "the file is empty: it needs at least "
                                   "`version: 1` and `inverters:`")])
    builder = _Builder(document)
    try:
        document.data = builder.build(node, (), 0)
    except yaml.YAMLError as exc:  # a scalar the safe constructor cannot read
        raise ConfigError([*document.problems, _syntax_problem(name, exc)]) from None
    return document
