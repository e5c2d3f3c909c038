"""Every quote in the rules must occur in the source text it cites, up to whitespace and
full-width/half-width forms; ``rules verify-citations`` reports where."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from calculator import Calculator
from calculator.rules.citations import normalise, verify
from cli import app

from ..conftest import SEEDS, shipped_calculator

runner = CliRunner()

SOURCE = ("第一行标题\n（一）支持创新。对首次入选\n“世界500强”的企业给予3000万元奖励(A类)。\n"
          "第三行：其他内容。\n")
RULE_FILE = """\
document:
  id: test-doc
  title: 测试文件
  issuer: 测试机关
  date: 2022-01-12
  status: issued
  source: source.txt

clauses:
  - id: spaced-fullwidth-quote
    title: 空白与全角不同的引文
    target: company
    support: funding
    scope: city
    benefit:
      kind: fixed
      amount: 3000万
      text: 给予3000万元奖励
    citation:
      article: 第一条
      quote: 对首次入选 “世界５００强”的企业给予３０００万元奖励（A类）
  - id: altered-quote
    title: 改动过的引文
    target: company
    support: funding
    scope: city
    benefit:
      kind: fixed
      amount: 1000万
      text: 给予1000万元奖励
    citation:
      article: 第一条
      quote: 对首次入选“世界500强”的企业给予1000万元奖励
"""


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A rules directory and a sources directory with one source file."""
    rules, sources = tmp_path / "rules", tmp_path / "sources"
    rules.mkdir()
    sources.mkdir()
    (rules / "test-doc.yaml").write_text(RULE_FILE, encoding="utf-8")
    (sources / "source.txt").write_text(SOURCE, encoding="utf-8")
    return rules, sources


def _seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"原文目录不存在：{SEEDS}")
    return SEEDS


def test_every_shipped_quote_is_found_in_the_seeds() -> None:
    checks = verify(shipped_calculator().bundle, _seeds())
    assert len(checks) == len(shipped_calculator().bundle.clauses)
    problems = [c.problem for c in checks if not c.found]
    assert not problems, "\n".join(str(p) for p in problems)
    assert all(c.source_line is not None and c.source_line >= 1 for c in checks)


def test_whitespace_and_fullwidth_differences_pass_an_altered_quote_fails(
        corpus: tuple[Path, Path]) -> None:
    rules, sources = corpus
    checks = {c.clause_id: c for c in verify(Calculator.load(rules).bundle, sources)}
    good, bad = checks["spaced-fullwidth-quote"], checks["altered-quote"]
    assert good.found and good.problem is None
    assert good.source_line == 2, "the match starts on line 2 and continues on line 3"
    assert not bad.found and bad.source_line is None
    assert bad.problem is not None and "altered-quote" in bad.problem
    assert bad.rule_file.endswith("test-doc.yaml") and bad.rule_line is not None


def test_a_missing_source_file_is_a_failed_check(corpus: tuple[Path, Path]) -> None:
    rules, sources = corpus
    (sources / "source.txt").unlink()
    checks = verify(Calculator.load(rules).bundle, sources)
    assert not any(c.found for c in checks)
    assert all(c.problem is not None and "原文文件不存在" in c.problem for c in checks)


def test_normalise_folds_only_whitespace_and_fullwidth_ascii() -> None:
    folded = normalise("Ａ１，\u3000b\n“c”。")
    assert folded.text == "A1,b“c”。"
    assert folded.lines == [1, 1, 1, 1, 2, 2, 2, 2]


def test_cli_fails_on_an_altered_quote(corpus: tuple[Path, Path]) -> None:
    rules, sources = corpus
    code, output = run("rules", "verify-citations", "--sources", str(sources),
                       "--rules", str(rules))
    assert code == 1
    assert "✓ spaced-fullwidth-quote  source.txt:2" in output
    assert "✗ altered-quote" in output and "引文在原文中未找到" in output
    assert "引文核对：2 条，通过 1 条，未找到 1 条" in output
    assert "Traceback" not in output


def test_cli_passes_on_the_seeds() -> None:
    code, output = run("rules", "verify-citations", "--sources", str(_seeds()))
    assert code == 0, output
    assert "未找到 0 条" in output


def test_cli_rejects_a_sources_path_that_is_not_a_directory(tmp_path: Path) -> None:
    code, output = run("rules", "verify-citations", "--sources", str(tmp_path / "nowhere"))
    assert code == 1
    assert "原文目录不存在或不是目录" in output and "Traceback" not in output
