"""Problems in a config file, each with its place (file:line:column) and a sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# error: the file cannot be used; warning: probably a mistake; note: worth knowing.
Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}:{self.column}: {label}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def in_order(problems: list[Problem]) -> list[Problem]:
    """File order, each (place, message) once."""
    unique = {(p.file, p.line, p.column, p.message): p for p in reversed(problems)}
    return sorted(unique.values(), key=lambda p: (p.file, p.line, p.column,
                                                  p.severity != "error", p.message))


class ConfigError(Exception):
    """The file cannot be used. `problems` lists every reason found in file order, with the
    warnings and notes of the same run; `str()` renders them one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = in_order(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]
