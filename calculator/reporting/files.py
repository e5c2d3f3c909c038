"""Writing a report file, the format chosen by the file's extension."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..base.errors import CalculatorError, os_reason
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
    if not target.parent.is_dir():
        raise CalculatorError(f"{target}：目录 {target.parent} 不存在")
    summary = summarize(report, groups, include_all=include_all)
    if fmt == "xlsx":
        return write_summary(summary, target)
    text = render_summary(summary)
    try:
        handle, temporary = tempfile.mkstemp(suffix=".html", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as error:
        raise CalculatorError(f"{target}：无法写入报告：{os_reason(error)}") from None
    return target


__all__ = ["REPORT_FORMATS", "write_report"]
