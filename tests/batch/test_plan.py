"""A screening as asked: clause words resolved, --keep read, the runner chosen."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from calculator import RuleFileError
from calculator.batch.plan import keep_columns, plan_screen

AS_OF = date(2026, 11, 21)


@pytest.mark.parametrize(("text", "columns"), [
    (None, None), ("", []), ("申请编号", ["申请编号"]),
    (" 申请编号 ，备注,, 部门 ", ["申请编号", "备注", "部门"]),
])
def test_keep_takes_half_and_full_width_commas(text: str | None, columns: list[str] | None) -> None:
    assert keep_columns(text) == columns


def test_clause_words_resolve_to_ids_before_anything_is_read(tmp_path: Path) -> None:
    plan = plan_screen(tmp_path / "没有.csv", tmp_path / "out.csv", as_of=AS_OF,
                       clauses=["首次入选“世界500强”"])
    assert plan.clauses == ["global-500-first-entry-award"] and plan.local
    with pytest.raises(RuleFileError):
        plan_screen(tmp_path / "没有.csv", tmp_path / "out.csv", as_of=AS_OF, clauses=["没有这种条款"])
    assert plan_screen(tmp_path / "in", tmp_path / "out", as_of=AS_OF, dask="local").local is False


def test_a_local_plan_screens_the_table_with_the_columns_kept(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("申请编号,姓名,学历\nA-1,张三,博士\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    result = plan_screen(source, target, as_of=AS_OF, keep="申请编号").run()
    assert result.line == "读取 1 行，输出 1 行，其中 0 行有错误" and result.passthrough == ("申请编号",)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["行号", "申请编号", "名称"] and rows[1][:3] == ["2", "A-1", "张三"]
