"""Writing a report file, the format chosen by the file's extension."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..base.errors import CalculatorError
from ..base.files import write_text
from ..results.report import Report
from ..rules.schema import StackingGroup
from .html import render_summary
from .summary import summarize
from .xlsx import write_summary

REPORT_FORMATS = {".html": "html", ".htm": "html", ".xlsx": "xlsx"}


def write_report(report: Report, path: str | Path, groups: Sequence[StackingGroup] = (), *,
                 include_all: bool = False) -> Path:
    """Write ``report`` as ``.html`` (a printable page) or ``.xlsx`` (a workbook)."""
    target = Path(path)
    fmt = REPORT_FORMATS.get(target.suffix.lower())
    if fmt is None:
        given = target.suffix or "无扩展名"
        raise CalculatorError(f"{target}：报告文件应以 .html 或 .xlsx 结尾（实际为“{given}”）")
    summary = summarize(report, groups, include_all=include_all)
    if fmt == "xlsx":
        return write_summary(summary, target)
    return write_text(target, render_summary(summary))


__all__ = ["REPORT_FORMATS", "write_report"]
