"""The desired-state file: loading with places, validation, profiles, compiling."""

from __future__ import annotations

from reconciler.config.loading import Config, compile_config, load_config
from reconciler.config.problems import ConfigError, Problem
from reconciler.config.schema import json_schema

__all__ = ["Config", "ConfigError", "Problem", "compile_config", "json_schema", "load_config"]
