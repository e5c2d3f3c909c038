"""The layer contracts in pyproject.toml hold for the tree, and each one really fails when
a module breaks it (a check that cannot fail checks nothing)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT, "--no-cache"], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


VIOLATIONS = {
    # a lower stage importing a higher one
    "rules/loading.py": ("from ..results import report as _report  # noqa: F401",
                         "Stages import only the stages below them"),
    # terminal styling outside cli.py
    "results/explaining.py": ("import rich as _rich  # noqa: F401", "Terminal output belongs to cli.py"),
    # the web framework outside the service
    "batch/summary.py": ("import fastapi as _fastapi  # noqa: F401",
                         "FastAPI and uvicorn belong to the service stage"),
    # a cycle between two modules of one stage
    "batch/tabular.py": ("from . import run as _run  # noqa: F401", "No import cycles inside a stage"),
}


@pytest.mark.parametrize("module", sorted(VIOLATIONS))
def test_a_violating_import_breaks_its_contract(tmp_path: Path, module: str) -> None:
    line, contract = VIOLATIONS[module]
    shutil.copytree(ROOT / "calculator", tmp_path / "calculator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "calculator" / module
    target.write_text(target.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout
