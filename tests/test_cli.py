"""The command line as a user runs it: exit codes, Chinese output, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

from .conftest import PROFILES, RULES

runner = CliRunner()
GLOBAL500 = str(PROFILES / "global500-first-entry.yaml")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_check_lists_the_global_500_award_with_its_citation() -> None:
    code, output = run("check", GLOBAL500, "--as-of", "2025-06-30")
    assert code == 0
    assert "首次入选“世界500强”企业奖励" in output
    assert "符合" in output and "3000万元" in output
    assert "对首次入选 “世界500强”的企业给予3000万元奖励" in output
    # ids are text, never read as markup, and stand on a line of their own to be copied
    assert "global-500-first-entry-award" in [line.strip() for line in output.splitlines()]


def test_check_json_follows_the_contract() -> None:
    code, output = run("check", GLOBAL500, "--as-of", "2025-06-30", "--json")
    assert code == 0
    report = json.loads(output)
    assert report["as_of"] == "2025-06-30"
    assert report["profile"]["kind"] == "company"
    award = next(r for r in report["results"] if r["clause_id"] == "global-500-first-entry-award")
    assert award["status"] == "eligible"
    assert award["benefit"]["min"] == award["benefit"]["max"] == "30000000"
    assert award["citation"]["quote"] == "对首次入选 “世界500强”的企业给予3000万元奖励"
    assert award["citation"]["status"] == "press_report"


def test_bad_profile_is_one_clear_error_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: company\nname: 示例\nrevnue: 2亿\n", encoding="utf-8")
    code, output = run("check", str(bad))
    assert code == 1
    assert "bad.yaml:3" in output and "是否想写 revenue" in output
    assert "Traceback" not in output


def test_missing_profile_file_is_reported() -> None:
    code, output = run("check", "no-such-profile.yaml")
    assert code != 0 and "Traceback" not in output


def test_bad_as_of_date_is_reported() -> None:
    code, output = run("check", GLOBAL500, "--as-of", "2026-13-01")
    assert code == 2 and "--as-of" in output


def test_explain_prints_every_condition_and_the_source() -> None:
    code, output = run("explain", str(PROFILES / "national-lab-institute.yaml"),
                       "new-national-research-institution-matching", "--as-of", "2025-06-30")
    assert code == 0
    assert "上不封顶" in output and "2亿元" in output
    assert "市级财政、区（县级市）级财政" in output
    assert "✓" in output and "出处" in output


def test_explain_unknown_clause_suggests_the_close_one() -> None:
    code, output = run("explain", GLOBAL500, "global-500-first-entry-awrd")
    assert code == 1 and "是否想写 global-500-first-entry-award" in output


def test_rules_list_show_and_validate() -> None:
    code, output = run("rules", "list")
    assert code == 0 and "global-500-first-entry-award" in output and "条条款" in output
    code, output = run("rules", "show", "major-innovation-team-funding")
    assert code == 0 and "对重大创新团队最高给予1亿元项目资助" in output
    code, output = run("rules", "validate")
    assert code == 0 and "规则校验通过" in output


def test_rules_validate_reports_a_broken_directory(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("document: {id: x}\nclauses: []\n", encoding="utf-8")
    code, output = run("rules", "validate", str(tmp_path))
    assert code == 1 and "x.yaml" in output and "缺少必填项" in output


def test_no_cache_reads_the_rule_files_and_writes_no_cache(tmp_path: Path) -> None:
    store = tmp_path / "cache"
    args = ["rules", "list", "--rules", str(RULES)]
    plain = runner.invoke(app, ["--no-cache", *args], env={"COLUMNS": "300", "POLICYCALC_CACHE": str(store)})
    assert plain.exit_code == 0 and not list(store.glob("bundle-*"))
    cached = runner.invoke(app, args, env={"COLUMNS": "300", "POLICYCALC_CACHE": str(store)})
    assert cached.exit_code == 0 and len(list(store.glob("bundle-*"))) == 1
    assert cached.output == plain.output
