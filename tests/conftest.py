"""Shared fixtures, and the plugin that runs policy scenarios written as YAML.

Each ``tests/scenarios/*.yaml`` file holds ``scenarios:``, each with a profile, an as-of
date and the expected status (and optionally min/max amount) per clause. Every scenario
is its own test item, reported as ``file::scenario name``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from calculator import Calculator, parse_profile
from calculator.base.money import parse_money
from calculator.base.yamlio import Document, read_file

# Every load in the suite (and in the commands it runs) goes through a bundle cache of its
# own: never the user's, and every bundle after the first load of a corpus is a cached one.
_CACHE = tempfile.mkdtemp(prefix="policycalc-test-cache-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["POLICYCALC_CACHE"] = _CACHE

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
PROFILES = ROOT / "profiles"
SEEDS = ROOT.parent / "shared" / "seeds"
_CALCULATOR: dict[str, Calculator] = {}


def shipped_calculator() -> Calculator:
    if "shipped" not in _CALCULATOR:
        _CALCULATOR["shipped"] = Calculator.load(RULES)
    return _CALCULATOR["shipped"]


@pytest.fixture(scope="session")
def calc() -> Calculator:
    return shipped_calculator()


@pytest.fixture(autouse=True)
def _verify_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """In tests the columnar batch engine screens every row again row by row and stops on
    any difference, so every batch test is also a differential test of the two paths."""
    monkeypatch.setattr("calculator.batch.columnar.VERIFY_RATE", 1.0)


class ScenarioFailure(Exception):
    pass


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        doc = read_file(self.path)
        scenarios = (doc.data or {}).get("scenarios") or []
        if not scenarios:
            raise ScenarioFailure(f"{self.path}: 没有 scenarios")
        names: set[str] = set()
        for index, spec in enumerate(scenarios):
            name = str(spec.get("name") or f"#{index}")
            if name in names:
                raise ScenarioFailure(f"{self.path}: 场景名重复 {name}")
            names.add(name)
            yield ScenarioItem.from_parent(self, name=name, spec=spec, doc=doc, index=index)


class ScenarioItem(pytest.Item):
    def __init__(self, *, spec: dict[str, Any], doc: Document, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.doc = doc
        self.index = index

    def runtest(self) -> None:
        spec = self.spec
        unknown = set(spec) - {"name", "as_of", "profile", "profile_file", "expect", "notes"}
        if unknown:
            raise ScenarioFailure(f"未知的键 {sorted(unknown)}")
        if "profile_file" in spec:
            from calculator import load_profile

            profile = load_profile(ROOT / spec["profile_file"])
        else:
            profile = parse_profile(spec["profile"], self.doc)
        as_of = spec.get("as_of") or date(2025, 6, 30)
        report = shipped_calculator().evaluate(profile, as_of=as_of)
        expect = spec.get("expect") or {}
        if not expect:
            raise ScenarioFailure("expect 为空：场景必须断言至少一个条款")
        problems = []
        for clause_id, wanted in expect.items():
            try:
                result = report.result(clause_id)
            except KeyError:
                problems.append(f"{clause_id}: 报告中没有该条款")
                continue
            if isinstance(wanted, str):
                wanted = {"status": wanted}
            if result.status != wanted["status"]:
                reasons = "; ".join(r.text for r in result.reasons)
                problems.append(f"{clause_id}: 状态应为 {wanted['status']}，实际 {result.status}"
                                f"（{reasons}{'; ' + result.validity if result.validity else ''}）")
            for bound in ("min", "max"):
                if bound in wanted:
                    expected = None if wanted[bound] is None else parse_money(wanted[bound])
                    actual: Decimal | None = getattr(result.benefit, bound)
                    if actual != expected:
                        problems.append(f"{clause_id}: {bound} 应为 {expected}，实际 {actual}")
        if problems:
            raise ScenarioFailure("\n".join(problems))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            line = self.doc.line_of(["scenarios", self.index])
            return f"{self.path}:{line} 场景「{self.name}」失败：\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.doc.line_of(["scenarios", self.index])
        return self.path, (line or 1) - 1, f"场景: {self.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
