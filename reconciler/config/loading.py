"""The public entry points: read a file, check everything, compile it for a date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from reconciler.config import checks
from reconciler.config.compile import Compiler
from reconciler.config.errors_map import problems_from, real_path
from reconciler.config.models import Account, ConfigModel
from reconciler.config.problems import ConfigError, Problem
from reconciler.config.yaml_loader import Document, Path_, load_text, read_limited
from reconciler.model import DesiredDevice


@dataclass
class Config:
    """A valid file, compiled for `date`."""

    path: Path
    sha256: str  # of the file's bytes
    account: Account
    devices: list[DesiredDevice]
    date: date
    warnings: list[Problem] = field(default_factory=list)  # warnings and notes
    document: Document | None = None


def today(account: Account | None) -> date:
    """Today where the inverters are (account.timezone), else where this machine is."""
    zone = ZoneInfo(account.timezone) if account and account.timezone else None
    return datetime.now(zone).date()


def load_config(path: Path, *, on_date: date | None = None) -> Config:
    """Load, validate and compile a config file; ConfigError lists every problem."""
    return compile_config(read_limited(path), path=path, on_date=on_date)


def compile_config(raw: bytes | str, *, path: Path | str = Path("inverters.yaml"),
                   on_date: date | None = None) -> Config:
    """`load_config` for text already in memory (`path` names it in problems)."""
    path = Path(path)
    name = str(path)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    document = load_text(raw, name)
    problems = [*document.problems, *checks.token_problems(document, raw.decode("utf-8"))]
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError([*problems, document.problem((), "the file must be a mapping "
                                                       "with version: 1 and inverters:")])
    account, model_problems, bad, bad_paths = _validate(document)
    token_places = {(p.line, p.column) for p in problems}
    problems += [p for p in model_problems if (p.line, p.column) not in token_places]
    compiler = Compiler(document, bad["inverters"], bad["profiles"], bad_paths)
    day = on_date or today(account)
    devices = compiler.all_inverters(day)
    problems += compiler.problems
    if any(problem.severity == "error" for problem in problems):
        raise ConfigError([*problems, *compiler.warnings])
    return Config(path=path, sha256=hashlib.sha256(raw).hexdigest(),
                  account=account or Account(), devices=devices, date=day,
                  warnings=ConfigError(compiler.warnings).problems, document=document)


def _validate(document: Document) -> tuple[Account | None, list[Problem],
                                            dict[str, set[str]], set[Path_]]:
    """(the account if valid, problems, names of inverters/profiles whose keys are bad,
    paths of the bad values)."""
    data: dict[str, Any] = document.data
    bad: dict[str, set[str]] = {"inverters": set(), "profiles": set()}
    bad_paths: set[Path_] = set(document.broken)
    for path in document.broken:
        if len(path) >= 2 and path[0] in bad:
            bad[str(path[0])].add(str(path[1]))
    try:
        return ConfigModel.model_validate(data).account, [], bad, bad_paths
    except ValidationError as exc:
        for item in exc.errors():
            path, _ = real_path(data, tuple(item["loc"]))
            bad_paths.add(path)
            if path and path[0] in bad:
                if len(path) == 1:  # `inverters:` itself is unusable
                    bad[str(path[0])].update(map(str, data.get(str(path[0])) or ()))
                else:
                    bad[str(path[0])].add(str(path[1]))
        problems = problems_from(document, exc)
    try:
        account: Account | None = Account.model_validate(data.get("account") or {})
    except ValidationError:
        account = None
    return account, problems, bad, bad_paths
