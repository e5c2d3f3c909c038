"""The self-check as a new user meets it: the answer first in 80 columns, the interview,
templates and examples, reports, and Chinese help and errors throughout."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from typer.testing import CliRunner

from calculator import load_profile
from cli import app

from .conftest import PROFILES

runner = CliRunner()
GLOBAL500 = str(PROFILES / "global500-first-entry.yaml")
AS_OF = "2025-06-01"


def run(*args: str, columns: int = 80, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)}, input=stdin,
                           prog_name="policycalc")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_first_screen_shows_the_award_and_its_source() -> None:
    code, output = run("check", GLOBAL500, "--as-of", AS_OF)
    assert code == 0
    first = "\n".join(output.splitlines()[:25])
    assert first.startswith("苏州恒远新材料集团有限公司")
    assert "确定可得 3000万元" in first
    assert "首次入选“世界500强”企业奖励  3000万元" in first
    assert "《2022苏州“新年第一会”聚焦创新集群》" in first
    assert "原文：“对首次入选 “世界500强”的企业给予3000万元奖励”" in first
    assert "global-500-first-entry-award" in [line.strip() for line in first.splitlines()]
    assert "无上限" not in output


def test_lines_fit_80_columns_and_ids_stand_whole() -> None:
    code, output = run("check", GLOBAL500, "--as-of", AS_OF, "--all")
    assert code == 0
    lines = output.splitlines()
    for line in lines:
        if not line.startswith("    policycalc "):  # commands to copy stand on lines of their own
            assert cell_len(line) <= 80, line
    from calculator import Calculator
    ids = [r.id for r in Calculator.load().bundle.clauses if r.profile_kind == "company"]
    stripped = {line.strip() for line in lines}
    for clause_id in ids:
        assert clause_id in stripped, clause_id
    # No id is broken across lines: no line ends with a part of one and the next starts the rest.
    for line in lines:
        for clause_id in ids:
            assert not (clause_id not in line and line.strip() and clause_id.startswith(line.strip())
                        and len(line.strip()) > 8), line


def test_the_sections_come_in_order() -> None:
    _, output = run("check", GLOBAL500, "--as-of", AS_OF)
    order = ["资金支持（已符合，按金额从高到低）", "资金支持（已符合，金额未明确", "其他支持",
             "需要补充的信息", "差一项"]
    present = [title for title in order if title in output]
    assert present[0] == order[0] and "需要补充的信息" in present
    positions = [output.index(title) for title in present]
    assert positions == sorted(positions)
    assert output.index("3000万元") < output.index("1000万元")
    assert "未施行（征求意见稿" not in output and "征求意见稿）》" not in output
    from calculator import Calculator
    report = Calculator.load().evaluate(load_profile(GLOBAL500), AS_OF)
    left_out = [r for r in report.results
                if not r.is_support or (r.status in ("ineligible", "not_in_force") and not r.near_miss)]
    assert f"另有 {len(left_out)} 条不符合、未施行（含征求意见稿）或属于政策导向的条款未列出" in output


def test_all_shows_drafts_and_clauses_that_do_not_apply() -> None:
    _, output = run("check", GLOBAL500, "--as-of", AS_OF, "--all")
    assert "未施行（征求意见稿、尚未生效或已失效）" in output
    assert "不符合：" in output and "［征求意见稿］" in output
    assert "可能符合（待补充信息）" in output


def test_check_writes_a_report(tmp_path: Path) -> None:
    html = tmp_path / "报告.html"
    code, output = run("check", GLOBAL500, "--as-of", AS_OF, "--report", str(html))
    assert code == 0 and f"已生成报告：{html}" in output
    page = html.read_text(encoding="utf-8")
    assert "3000万元" in page and "评估日期 2025-06-01" in page
    book = tmp_path / "报告.xlsx"
    code, _ = run("check", GLOBAL500, "--as-of", AS_OF, "--report", str(book))
    assert code == 0 and load_workbook(book).sheetnames == ["摘要", "支持明细", "待补充信息"]
    code, output = run("check", GLOBAL500, "--report", str(tmp_path / "报告.pdf"))
    assert code == 1 and "应以 .html 或 .xlsx 结尾" in output


def test_ask_on_plain_stdin_saves_the_profile_and_the_report(tmp_path: Path) -> None:
    profile, report = tmp_path / "甲.yaml", tmp_path / "甲.html"
    # company; name; district by a short name; 500强 year: a bad answer, then 2024; 资质 by
    # number; 中国500强: skip; end.
    lines = ["1", "苏州甲科技有限公司", "吴江", "很多", "2024", "1、3", "不知道", "结束"]
    code, output = run("ask", "--as-of", AS_OF, "-o", str(profile), "--report", str(report),
                       stdin="\n".join(lines) + "\n")
    assert code == 0, output
    assert output.index("第 1 问") < output.index("所在板块是哪一项？")
    assert output.index("第 2 问") < output.index("首次入选世界500强年份是哪一年？")
    assert "可能决定：最高 3000万元" in output
    assert "没能识别" in output and "请再输入一次" in output
    assert "目前：确定可得 3000万元" in output
    assert "已跳过。" in output
    assert f"档案已保存：{profile}" in output and f"报告已生成：{report}" in output
    saved = load_profile(profile)
    assert saved.kind == "company" and saved.name == "苏州甲科技有限公司"
    assert saved.district == "吴江区"  # type: ignore[union-attr]
    assert saved.global500_first_entry_year == 2024  # type: ignore[union-attr]
    assert saved.qualifications == frozenset({"高新技术企业", "专精特新"})  # type: ignore[union-attr]
    assert saved.china500_first_entry_year is None  # type: ignore[union-attr]
    assert "3000万元" in report.read_text(encoding="utf-8")


def test_ask_ends_cleanly_when_input_ends(tmp_path: Path) -> None:
    profile = tmp_path / "张三.yaml"
    code, output = run("ask", "--kind", "talent", "--as-of", AS_OF, "-o", str(profile), stdin="张三\n博士\n")
    assert code == 0, output
    assert load_profile(profile).name == "张三"
    assert "档案已保存" in output


def test_ask_without_input_says_nothing_was_saved(tmp_path: Path) -> None:
    code, output = run("ask", "-o", str(tmp_path / "x.yaml"), stdin="")
    assert code == 1 and "还没有可保存的内容" in output
    assert not (tmp_path / "x.yaml").exists()


def test_init_writes_a_template_and_copies_examples(tmp_path: Path) -> None:
    target = tmp_path / "档案.yaml"
    code, output = run("init", "company", str(target))
    assert code == 0 and "已生成档案模板" in output
    text = target.read_text(encoding="utf-8")
    assert "营业收入:" in text and "例如 3000万" in text
    code, output = run("init", "company", str(target))
    assert code == 1 and "已存在" in output
    example = tmp_path / "g.yaml"
    code, output = run("init", "--example", "global500", str(example))
    assert code == 0 and load_profile(example).name == "苏州恒远新材料集团有限公司"
    code, output = run("init", "--example", "global5OO")
    assert code == 1 and "可用的示例" in output
    code, output = run("init", "--list")
    assert code == 0 and "global500-first-entry" in output


def test_check_points_a_spreadsheet_to_screen(tmp_path: Path) -> None:
    table = tmp_path / "申请人.xlsx"
    table.write_bytes(b"PK\x03\x04rest")
    code, output = run("check", str(table))
    assert code == 1 and "policycalc screen" in output and "UTF-8" not in output


def test_explain_and_rules_show_accept_a_title() -> None:
    code, output = run("explain", GLOBAL500, "世界500强", "--as-of", AS_OF)
    assert code == 0 and "global-500-first-entry-award" in output and "注意：报道未写明" in output
    code, output = run("explain", GLOBAL500, "奖励", "--as-of", AS_OF)
    assert code == 1 and "请写出编号" in output
    code, output = run("rules", "show", "世界500强")
    assert code == 0 and "给予3000万元奖励（固定金额）" in output


def test_rules_list_filters() -> None:
    code, output = run("rules", "list", "--target", "企业", "--search", "500强")
    assert code == 0
    assert "global-500-first-entry-award" in output and "china-500-first-entry-award" in output
    assert "共 2 条条款" in output
    _, talent = run("rules", "list", "--target", "人才")
    assert "个人人才" in talent and "人才团队" in talent and "· 企业" not in talent
    _, tax = run("rules", "list", "--support", "税收")
    assert "税收优惠" in tax and "资金支持" not in tax
    code, output = run("rules", "list", "--target", "公司")
    assert code == 1 and "可选：company（企业）" in output


def test_version() -> None:
    code, output = run("--version")
    assert code == 0 and re.match(r"政策计算器 policycalc \S+（规则版本 [0-9a-f]+）", output)


# ---- Chinese chrome ---------------------------------------------------------------------

#: Words that may appear in help and errors: names of things, not chrome.
ALLOWED = {"policycalc", "YAML", "JSON", "Schema", "HTTP", "POST", "company", "talent", "profile",
           "report", "jsonl", "xlsx", "csv", "html", "yaml", "docs", "embedding", "md", "durable",
           "rules", "YYYY", "MM", "DD", "evaluate", "help", "version", "check", "explain", "screen",
           "template", "schema", "serve", "list", "show", "validate", "verify", "citations", "lint",
           "ask", "init", "funding", "global500", "sources", "source", "document", "host", "port",
           "workers", "clause", "kind", "output", "as", "of", "json", "all", "target", "support",
           "search", "example", "force", "id", "pdf", "xls", "parquet", "columnar", "rows", "Dask",
           "local", "tcp"}


def _english(text: str) -> set[str]:
    text = re.sub(r"/[\w./-]+", " ", text)                 # paths
    text = re.sub(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b", " ", text)  # clause ids and file names
    text = re.sub(r"--?[a-z][a-z0-9-]*", " ", text)       # option names
    words = re.findall(r"[A-Za-z][A-Za-z0-9]+", text)
    return {w for w in words if w not in ALLOWED and not any(c.isdigit() for c in w)}


COMMANDS = [[], ["check"], ["explain"], ["ask"], ["init"], ["screen"], ["template"], ["schema"],
            ["serve"], ["rules"], ["rules", "list"], ["rules", "show"], ["rules", "validate"],
            ["rules", "verify-citations"], ["rules", "lint"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "policycalc")
def test_help_is_chinese(command: list[str]) -> None:
    code, output = run(*command, "--help", columns=100)
    assert code == 0
    assert output.startswith("用法：policycalc")
    assert "显示本帮助并退出" in output
    assert _english(output) == set(), output
    _, narrow = run(*command, "--help", columns=80)
    assert all(cell_len(line) <= 80 for line in narrow.splitlines()), narrow


@pytest.mark.parametrize(("args", "expected"), [
    (["check"], "缺少参数 <档案>"),
    (["screen", "a.xlsx"], "缺少选项 '-o' / '--output'"),
    (["check", GLOBAL500, "--foo"], "没有选项 --foo"),
    (["chek"], "没有命令 chek；是否想写 'check'"),
    (["check", GLOBAL500, "extra", "more"], "多余的参数：extra more"),
    (["check", GLOBAL500, "--as-of"], "选项 --as-of 后面需要写一个值"),
    (["screen", "a.xlsx", "-o", "b.xlsx", "--workers", "x"], "'--workers' 的取值无效：应为整数"),
    (["serve", "--port", "0"], "'--port' 的取值无效：应 ≥ 1"),
    (["check", "no-such-file.yaml"], "文件或目录不存在"),
])
def test_usage_errors_are_chinese(args: list[str], expected: str) -> None:
    code, output = run(*args, columns=100)
    assert code != 0
    assert expected in output, output
    assert "Traceback" not in output
    assert _english(output) <= {"extra", "more", "foo", "chek", "x", "a", "b"}, output


def test_screen_clause_accepts_a_title(tmp_path: Path) -> None:
    source = str(PROFILES / "talent-applicants.csv")
    code, output = run("screen", source, "-o", str(tmp_path / "r.csv"), "--clause", "重大创新团队项目资助")
    assert code == 0, output
    assert "major-innovation-team-funding" in output
    code, output = run("screen", source, "-o", str(tmp_path / "r.csv"),
                       "--clause", "major-innovation-tem-funding")
    assert code == 1 and "是否想写 major-innovation-team-funding" in output


def test_wrapping_follows_chinese_typesetting() -> None:
    from rich.text import Text

    from cli import wrap_chinese

    text = Text("注意：本计算器只计政策发布后至“十四五”末（2022—2025年榜单）首次入选的企业，金额3000万元。")
    for width in range(8, 60):
        lines = [line.plain for line in wrap_chinese(text, width)]
        assert "".join(lines) == text.plain
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert not any(line[:1] in "）。，”" for line in lines), (width, lines)
        assert not any(line[-1:] in "（“" for line in lines), (width, lines)
        for first, second in pairwise(lines):
            assert not (first[-1].isdigit() and second[0].isdigit()), (width, lines)
    choices = Text("1. 姑苏区  2. 苏州工业园区  11. 苏州市外")
    for width in range(16, 30):  # the longest choice is 15 cells
        lines = [line.plain for line in wrap_chinese(choices, width, at_spaces=True)]
        assert all(line.rstrip() in ("1. 姑苏区", "2. 苏州工业园区", "11. 苏州市外")
                   or "  " in line for line in lines), (width, lines)
