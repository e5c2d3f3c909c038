"""Writing a report file, the format chosen by the file's extension, and which file a
person's answer asks for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..base.errors import CalculatorError
from ..base.files import file_stem, free_path, write_text
from ..results.report import Report
from ..rules.schema import StackingGroup
from .html import render_summary
from .summary import summarize
from .xlsx import write_summary

REPORT_FORMATS = {".html": "html", ".htm": "html", ".xlsx": "xlsx"}
#: Answers to "write a report?" that mean no, and those that mean the file offered.
DECLINED = frozenset({"否", "不", "no", "n", "跳过"})
ACCEPTED = frozenset({"是", "好", "y", "yes"})


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


def offered_report(name: str) -> Path:
    """The report file offered for ``name``: ``<name>-自查报告.html``, under a name not yet taken."""
    return free_path(f"{file_stem(name)}-自查报告", ".html")


def chosen_report(answer: str | None, offered: Path) -> Path | None:
    """The report file an answer to "write a report?" asks for: none (no answer, or no),
    ``offered`` (an empty answer, or yes), or the file named."""
    if answer is None or answer in DECLINED:
        return None
    return Path(answer) if answer and answer not in ACCEPTED else offered


__all__ = ["REPORT_FORMATS", "chosen_report", "offered_report", "write_report"]
