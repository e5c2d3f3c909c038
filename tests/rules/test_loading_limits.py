"""Size limits of rule files: a file far larger than other input loads, and a file or a
folder over its limit is refused with the file, the size and the limit named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calculator.base import yamlio
from calculator.base.errors import RuleFileError
from calculator.rules import loading

from ..conftest import RULES


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _pad(path: Path, size: int) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(("# " + "x" * 98 + "\n") * (size // 100))


def test_a_rule_file_larger_than_other_input_loads(rules: Path) -> None:
    path = sorted(rules.glob("*.yaml"))[0]
    _pad(path, yamlio.MAX_INPUT_BYTES + 1024 * 1024)
    assert path.stat().st_size > yamlio.MAX_INPUT_BYTES
    assert loading.MAX_RULE_FILE_BYTES > 3 * 1024 * 1024  # a 7000-clause file is about 3.5 MB
    bundle = loading.load_bundle(rules)
    assert any(r.file == str(path) for r in bundle.clauses)


def test_a_rule_file_over_its_limit_is_named(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = sorted(rules.glob("*.yaml"))[0]
    monkeypatch.setattr(loading, "MAX_RULE_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(RuleFileError) as info:
        loading.load_bundle(rules)
    text = str(info.value)
    assert str(path) in text and "文件过大" in text and f"上限 {path.stat().st_size - 1} 字节" in text


def test_all_rule_files_together_have_a_limit(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    total = sum(p.stat().st_size for p in rules.rglob("*.yaml"))
    monkeypatch.setattr(loading, "MAX_BUNDLE_BYTES", total - 1)
    with pytest.raises(RuleFileError) as info:
        loading.load_bundle(rules)
    text = str(info.value)
    assert f"规则目录 {rules} 的规则文件共 {total} 字节" in text and f"上限 {total - 1} 字节" in text
    assert loading.content_digest(rules) is None
