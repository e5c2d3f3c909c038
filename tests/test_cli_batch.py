"""``policycalc template`` and ``policycalc screen`` as a user runs them: exit codes, the
printed summary and closing line, Chinese errors without tracebacks."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

import cli
from cli import app

from .batch.test_batch import CLAUSE, CLAUSE_ROWS, SMALL, SMALL_HEADER, talent_rows, write_csv

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "申请人.csv", SMALL_HEADER, SMALL)


def test_template_writes_each_kind(tmp_path: Path) -> None:
    for kind, first in (("company", "企业名称"), ("talent", "姓名")):
        path = tmp_path / f"{kind}.xlsx"
        code, output = run("template", kind, str(path))
        assert code == 0 and output.strip() == f"已生成模板：{path}"
        book = load_workbook(path)
        assert book.sheetnames[1] == "填写说明" and book.worksheets[0]["A1"].value == first
    code, output = run("template", "talent", str(tmp_path / "t.csv"))
    assert code == 0 and (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("姓名,")


def test_template_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "filled.xlsx"
    assert run("template", "talent", str(path))[0] == 0
    filled = path.read_bytes()
    code, output = run("template", "company", str(path))
    assert code == 1 and output.startswith("错误：") and "--force" in output
    assert len(output.strip().splitlines()) == 1 and path.read_bytes() == filled
    code, _ = run("template", "company", str(path), "--force")
    assert code == 0 and load_workbook(path).worksheets[0]["A1"].value == "企业名称"


def test_screen_refuses_to_write_over_its_input(tmp_path: Path, small: Path) -> None:
    before = small.read_bytes()
    code, output = run("screen", str(small), "-o", str(small))
    assert code == 1 and output.startswith("错误：输出文件") and "就是输入文件" in output
    assert small.read_bytes() == before


def test_screen_options_for_office_sheets(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("2026年申报名单\n申请编号,姓名,学历,身份证号\nA-1,张三,博士研究生,3205\n",
                      encoding="utf-8")
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.csv"), "--keep", "申请编号",
                       "--as-of", "2026-11-21")
    assert code == 0 and "列名在第 2 行" in output
    assert "注意：列“身份证号”不是档案字段，已忽略" in output
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["行号", "申请编号", "名称"] and rows[1][:3] == ["3", "A-1", "张三"]
    code, output = run("screen", str(source), "-o", str(tmp_path / "out2.csv"), "--header-row", "1")
    assert code == 1 and "无法从列名判断档案类型" in output


def test_template_refuses_a_bad_kind_or_format(tmp_path: Path) -> None:
    code, output = run("template", "firm", str(tmp_path / "t.xlsx"))
    assert code == 1 and output.startswith("错误：档案类型应为 company（企业/机构）或 talent（人才）")
    code, output = run("template", "company", str(tmp_path / "t.jsonl"))
    assert code == 1 and "模板只能写成 .xlsx 或 .csv" in output
    assert list(tmp_path.iterdir()) == []


def test_screen_with_bad_rows_succeeds_and_says_how_many(tmp_path: Path, small: Path) -> None:
    target = tmp_path / "结果.xlsx"
    code, output = run("screen", str(small), "-o", str(target), "--as-of", "2025-06-30")
    assert code == 0
    lines = output.strip().splitlines()
    assert lines[-1] == "读取 4 行，输出 4 行，其中 2 行有错误"
    assert lines[-2] == f"输出：{target}"
    assert "已处理 4 行" in output  # plain progress lines when not on a terminal
    assert "汇总（2 名有效申请人）" in output
    # the clause id is shown beside each title (rich must not take it for markup)
    assert re.search(r"个人人才最高5000万元支持\s*│.*\n.*\[individual-talent-support\]", output)
    # 张三 is eligible for up to 5000万; 王五 may be for that and for the 1亿 team award
    assert re.search(r"│ 个人人才最高5000万元支持 +│ +1 │ +1 │ +0 │ +0元 │ +5000万元 │ +1亿元 │", output)
    assert re.search(r"│ 合计 +│ +│ +│ +│ +0元 │ +5000万元 │ +2亿元 │", output)
    rows = list(load_workbook(target, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [2, 3, 4, 5]


def test_all_rows_bad_is_still_a_successful_run(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", ["姓名", "出生日期"], [["甲", "1990-02-30"], ["乙", "明天"]])
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.csv"))
    assert code == 0 and output.strip().endswith("读取 2 行，输出 2 行，其中 2 行有错误")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[2][rows[0].index("错误")] == (
        "列“出生日期”，值“明天”：应为日期，如 2021-03-05 或 2021年3月5日；应填：日期，如 2021-03-05")
    # the first refused rows are named on the terminal, all of them in the errors table
    assert "第 2 行，列“出生日期”，值“1990-02-30”：日期不存在" in output
    assert "第 3 行，列“出生日期”，值“明天”" in output
    with (tmp_path / "out.errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        errors = list(csv.reader(handle))
    assert errors[0] == ["行号", "列", "值", "问题", "应填"]
    assert errors[2] == ["3", "出生日期", "明天", "应为日期，如 2021-03-05 或 2021年3月5日",
                         "日期，如 2021-03-05"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.csv", None, "文件不存在"),
    ("old.xls", b"\xd0\xcf\x11\xe0",
     "不支持的文件类型“.xls”，支持 .csv、.xlsx、.jsonl；.xls 请先在 Excel 中另存为 .xlsx"),
    ("fake.xlsx", b"not a zip", "无法读取"),
    ("twice.csv", "姓名,姓名\n甲,甲\n".encode(), "第 1 行的列名“姓名”出现了两次"),
    ("vague.csv", "名称,所属产业\n甲,其他\n".encode(), "无法从列名判断档案类型"),
    ("empty.csv", b"", "第 1 行应为列名"),
])
def test_unreadable_input_exits_1_with_one_chinese_message(
        tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert code == 1
    assert output.startswith("错误：") and message in output
    assert not re.search(r"读取 \d+ 行", output) and len(output.strip().splitlines()) == 1


def test_clause_lists_the_closest_applicants(tmp_path: Path) -> None:
    rows = [[f"候选人{n}", "1990-02-30" if n == 9 else "1990-01-01", role, programmes, "吴中区", 2023]
            for n, (role, programmes) in enumerate(CLAUSE_ROWS, start=2)]
    source = write_csv(tmp_path / "in.csv", ["姓名", "出生日期", "申报角色", "人才计划", "工作所在板块",
                                             "入选人才计划年份"], rows)
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.csv"), "--clause", CLAUSE,
                       "--as-of", "2025-06-30")
    assert code == 0
    assert f"{CLAUSE}：符合或接近符合的 7 名（按接近程度排序）" in output
    listed = re.findall(r"^  第 (\d+) 行 (\S+)  (\S+)  ", output, flags=re.M)
    assert listed == [("4", "候选人4", "符合"), ("7", "候选人7", "符合"), ("6", "候选人6", "待补充信息"),
                      ("8", "候选人8", "待补充信息"), ("3", "候选人3", "待补充信息"),
                      ("2", "候选人2", "差一项"), ("10", "候选人10", "差一项")]
    assert "需补充：申报角色、人才计划" in output
    outputs = output.strip().splitlines()[-2]
    assert outputs == (f"输出：{tmp_path / 'out.csv'}、{tmp_path / 'out.summary.csv'}、"
                       f"{tmp_path / 'out.clauses.csv'}、{tmp_path / 'out.errors.csv'}")


def test_clause_shows_the_first_twenty_and_points_to_the_file(tmp_path: Path) -> None:
    header, rows = talent_rows(200, seed=8)
    source = write_csv(tmp_path / "in.csv", header, rows)
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.csv"), "--clause",
                       "guideline-high-level-talent-one-stop-service", "--as-of", "2025-06-30")
    assert code == 0
    total = int(re.search(r"符合或接近符合的 (\d+) 名", output).group(1))  # type: ignore[union-attr]
    assert total > 20
    assert len(re.findall(r"^  第 \d+ 行 ", output, flags=re.M)) == 20
    assert f"…… 其余 {total - 20} 名见输出文件" in output
    with (tmp_path / "out.clauses.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) == total + 1


def test_unknown_clause_exits_1_with_a_did_you_mean(tmp_path: Path, small: Path) -> None:
    code, output = run("screen", str(small), "-o", str(tmp_path / "out.csv"), "--clause", "individual-talent")
    assert code == 1 and "是否想写 individual-talent-support" in output


def test_unknown_columns_are_a_warning_not_an_error(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", ["姓名", "出生日其"], [["甲", "1990-01-01"]])
    code, output = run("screen", str(source), "-o", str(tmp_path / "out.csv"))
    assert code == 0
    assert "注意：列“出生日其”不是档案字段，已原样带到输出；是否想写 出生日期？" in output
    assert output.strip().endswith("其中 0 行有错误")


def test_bad_options(tmp_path: Path, small: Path) -> None:
    code, output = run("screen", str(small), "-o", str(tmp_path / "o.csv"), "--kind", "firm")
    assert code == 2 and "--kind 应为 company 或 talent" in output
    code, output = run("screen", str(small), "-o", str(tmp_path / "o.csv"), "--as-of", "2026-02-30")
    assert code == 2 and "--as-of" in output
    code, output = run("screen", str(small), "-o", str(tmp_path / "o.csv"), "--workers", "0")
    assert code == 2
    assert not (tmp_path / "o.csv").exists()


def test_workers_and_kind_through_the_command_line(tmp_path: Path, small: Path) -> None:
    code, output = run("screen", str(small), "-o", str(tmp_path / "a.jsonl"), "--workers", "2",
                       "--kind", "talent", "--as-of", "2025-06-30")
    assert code == 0 and output.strip().endswith("读取 4 行，输出 4 行，其中 2 行有错误")
    code, _ = run("screen", str(small), "-o", str(tmp_path / "b.jsonl"), "--as-of", "2025-06-30")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_a_terminal_gets_a_progress_bar_instead_of_lines(
        tmp_path: Path, small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=screen, force_terminal=True, width=100))
    code, output = run("screen", str(small), "-o", str(tmp_path / "out.csv"))
    assert code == 0 and "已处理" not in output and "已处理" not in screen.getvalue()
    assert "筛查" in screen.getvalue()  # the bar, drawn and then cleared
