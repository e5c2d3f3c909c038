"""policycalc screen --engine and Parquet output from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from calculator.batch.parquet import read_rows
from cli import app

from .conftest import PROFILES


def test_engines_write_the_same_parquet(tmp_path: Path) -> None:
    runner = CliRunner()
    source = PROFILES / "talent-applicants.csv"
    for engine in ("columnar", "rows"):
        result = runner.invoke(app, ["screen", str(source), "-o", str(tmp_path / f"{engine}.parquet"),
                                     "--engine", engine, "--as-of", "2025-06-30"])
        assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "rows.parquet")
    assert rows == read_rows(tmp_path / "columnar.parquet")
    assert len(rows) == 8 and any(r["错误"] for r in rows)
    assert read_rows(tmp_path / "rows.summary.parquet") == read_rows(tmp_path / "columnar.summary.parquet")


def test_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["screen", str(PROFILES / "talent-applicants.csv"), "-o",
                                      str(tmp_path / "out.csv"), "--engine", "fast"])
    assert result.exit_code == 2
    assert "--engine 应为 columnar 或 rows" in result.output
