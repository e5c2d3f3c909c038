"""Shared by the service tests: shipped profiles as the JSON a client would send, and the
report ``policycalc check --json`` prints for them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from calculator.base.yamlio import read_file
from cli import app

from .conftest import PROFILES

SHIPPED = sorted(PROFILES.glob("*.yaml"))
AS_OF = "2025-06-30"


def profile_json(path: Path) -> dict[str, Any]:
    """A YAML profile as JSON data: dates become ``"YYYY-MM-DD"`` strings."""
    data = read_file(path).data
    converted: dict[str, Any] = json.loads(json.dumps(data, default=date.isoformat))
    return converted


def check_json(path: Path, as_of: str = AS_OF) -> Any:
    """What ``policycalc check PATH --as-of AS_OF --json`` prints, parsed."""
    result = CliRunner().invoke(app, ["check", str(path), "--as-of", as_of, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
