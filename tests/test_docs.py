"""The documentation is executed: every ```python block of README.md and docs/*.md runs
(blocks of one file share a namespace, in order), and every ``$ policycalc`` line of a
```console block must exit 0."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

from .conftest import ROOT, SEEDS

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(python|console)\n(.*?)```", re.S)


def _blocks(path: Path, lang: str) -> list[str]:
    return [body for kind, body in BLOCK.findall(path.read_text(encoding="utf-8")) if kind == lang]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_examples_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for block in _blocks(path, "python"):
        exec(compile(block, str(path), "exec"), namespace)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_console_examples_succeed(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Commands run in a scratch copy of the checkout's layout, so the files they write
    # (screening results, templates) never land in the checkout.
    work = tmp_path / "checkout"
    work.mkdir()
    for name in ("profiles", "rules", "docs", "tests"):
        (work / name).symlink_to(ROOT / name)
    if SEEDS.is_dir():
        (tmp_path / "shared").symlink_to(SEEDS.parent)
    monkeypatch.chdir(work)
    commands = [line[2:] for block in _blocks(path, "console") for line in block.splitlines()
                if line.startswith("$ policycalc ")]
    for command in commands:
        if "../shared/" in command and not SEEDS.is_dir():
            continue  # the policy source texts sit beside the checkout only where provided
        args = shlex.split(command)[1:]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200", **os.environ})
        assert result.exit_code == 0, f"{path.name}: {command}\n{result.output}"
