"""The report as a workbook: a 摘要 sheet with the answer first, a 支持明细 sheet with every
support (amount, status, reasons, caveats and the full citation), a 待补充信息 sheet, and
the evaluation date and rules version on each.

Amounts are written as numbers of yuan (formatted ``#,##0``) next to their Chinese text,
so the figures can be summed; no cell starts with a formula character.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..base.files import replace_file
from ..results.report import Report
from ..rules.schema import StackingGroup
from .summary import Summary, summarize

DETAIL_HEADERS = ("分类", "条款", "编号", "状态", "支持类型", "金额", "最高金额（元）", "支持内容",
                  "判断理由", "需补充", "注意事项", "其他说明", "文件", "文号", "发文机关", "发文日期",
                  "条目", "原文引文", "文件状态")
_WIDTHS = (18, 30, 34, 10, 10, 18, 14, 40, 50, 20, 30, 30, 40, 18, 20, 12, 14, 60, 10)
_FORMULA_START = ("=", "+", "-", "@")


def _cell(value: Any) -> Any:
    """Text never starts a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _append(sheet: Worksheet, row: Sequence[Any]) -> None:
    sheet.append([_cell(v) for v in row])


def _summary_sheet(sheet: Worksheet, s: Summary) -> None:
    sheet.title = "摘要"
    _append(sheet, [f"{s.name} 政策自查报告"])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [f"{s.kind_label}；评估日期 {s.as_of.isoformat()}；规则版本 {s.rules_version}；"
                    f"政策计算器 {s.engine_version}"])
    _append(sheet, [])
    for line in s.headline:
        _append(sheet, [line])
    _append(sheet, [])
    _append(sheet, ["项目", "金额（元）"])
    _append(sheet, ["确定可得", s.certain])
    _append(sheet, ["已明确金额的最高", s.stated_highest])
    _append(sheet, ["一事一议或上不封顶（项）", s.open_awards])
    _append(sheet, ["非资金支持（项）", s.non_cash])
    _append(sheet, ["待补充信息（项）", s.pending])
    for row in sheet.iter_rows(min_row=7, max_row=11, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "#,##0"
    _append(sheet, [])
    _append(sheet, ["金额为政策文件写明的标准；能否获得、实际金额以主管部门审核为准。"
                    "未填写的信息不视为“否”。"])
    sheet.column_dimensions["A"].width = 90
    sheet.column_dimensions["B"].width = 18


def _detail_sheet(sheet: Worksheet, s: Summary) -> None:
    _append(sheet, DETAIL_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for section in s.sections:
        for e in section.entries:
            c = e.citation
            _append(sheet, [section.title, e.title, e.clause_id, e.status_label, e.support_label,
                            e.amount, e.max, e.benefit_text, "\n".join(e.reasons),
                            "、".join(e.missing), "\n".join(e.caveats), "\n".join(e.notes),
                            c.document, c.doc_number or "", c.issuer, c.date.isoformat(), c.article,
                            c.quote, e.citation_status_label])
    for index, width in enumerate(_WIDTHS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
        row[6].number_format = "#,##0"
    sheet.freeze_panes = "C2"


def _facts_sheet(sheet: Worksheet, s: Summary) -> None:
    _append(sheet, ["信息", "字段", "可能决定", "可能决定的最高金额（元）", "怎么填", "相关条款"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for f in s.facts:
        clauses = "\n".join(f"{title}（{cid}）" for cid, title in f.clauses)
        _append(sheet, [f.label, f.field, f.at_stake_text, f.at_stake_max, f.help, clauses])
    for letter, width in zip("ABCDEF", (28, 26, 40, 16, 50, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[3].number_format = "#,##0"


def write_summary(summary: Summary, path: str | Path) -> Path:
    target = Path(path)
    book = Workbook()
    _summary_sheet(book.active, summary)  # type: ignore[arg-type]
    _detail_sheet(book.create_sheet("支持明细"), summary)
    _facts_sheet(book.create_sheet("待补充信息"), summary)
    return replace_file(target, lambda temporary: book.save(temporary))


def write_xlsx(report: Report, path: str | Path, groups: Sequence[StackingGroup] = (), *,
               include_all: bool = False) -> Path:
    """Write the report workbook to ``path``; ``CalculatorError`` when it cannot be written."""
    return write_summary(summarize(report, groups, include_all=include_all), path)


__all__ = ["write_summary", "write_xlsx"]
