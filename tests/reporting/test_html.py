"""The HTML report: self-contained, printable, escaped, and saying what the summary says."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from calculator import Calculator, CalculatorError, load_profile
from calculator.reporting.files import write_report
from calculator.reporting.html import render_html

from ..conftest import PROFILES

AS_OF = "2025-06-01"


def _page(calc: Calculator, include_all: bool = False) -> str:
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF)
    return render_html(report, calc.bundle.groups, include_all=include_all)


class _Refs(HTMLParser):
    """Every tag that could load something, and every attribute naming a URL."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "data", "action")]


def test_the_page_loads_nothing_from_outside(calc: Calculator) -> None:
    page = _page(calc)
    refs = _Refs()
    refs.feed(page)
    assert not set(refs.tags) & {"script", "link", "img", "iframe", "object", "embed"}
    assert refs.urls == []
    assert "url(" not in page and "@import" not in page
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_print_css_names_chinese_fonts(calc: Calculator) -> None:
    page = _page(calc)
    printing = page[page.index("@media print"):]
    assert '"Noto Serif CJK SC"' in printing and '"SimSun"' in printing
    assert "@page" in page and "page-break-inside: avoid" in page
    assert '"Microsoft YaHei"' in page


def test_the_page_has_the_answer_and_the_full_citation(calc: Calculator) -> None:
    page = _page(calc)
    answer = page[page.index('id="answer"'):page.index("</section>")]
    assert "确定可得 3000万元" in answer
    award = page[page.index('id="clause-global-500-first-entry-award"'):]
    award = award[:award.index("</article>")]
    assert "3000万元" in award
    assert "“对首次入选 “世界500强”的企业给予3000万元奖励”" in award
    assert "新闻报道" in award  # the document status, and the caveat it carries
    assert re.search(r"出处：.*《.*》", award)
    assert "评估日期 2025-06-01" in page and "规则版本" in page
    assert "需要补充的信息" in page


def test_policy_text_cannot_become_markup(calc: Calculator) -> None:
    report = calc.evaluate({"kind": "company", "name": "<script>alert(1)</script>公司"}, AS_OF)
    page = render_html(report, calc.bundle.groups)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in page


def test_all_adds_the_clauses_left_out(calc: Calculator) -> None:
    short, full = _page(calc), _page(calc, include_all=True)
    assert 'id="not_in_force"' in full and 'id="not_in_force"' not in short
    assert "征求意见稿" in full


def test_report_files_by_extension(calc: Calculator, tmp_path: Path) -> None:
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF)
    html = write_report(report, tmp_path / "报告.html", calc.bundle.groups)
    assert "3000万元" in html.read_text(encoding="utf-8")
    book = load_workbook(write_report(report, tmp_path / "报告.xlsx", calc.bundle.groups))
    assert book.sheetnames == ["摘要", "支持明细", "待补充信息"]
    summary = [row[0] for row in book["摘要"].iter_rows(values_only=True)]
    assert any(str(v).startswith("确定可得 3000万元") for v in summary)
    rows = list(book["支持明细"].iter_rows(values_only=True))
    header = rows[0]
    award = next(r for r in rows if r[header.index("编号")] == "global-500-first-entry-award")
    assert award[header.index("金额")] == "3000万元"
    assert award[header.index("最高金额（元）")] == 30_000_000
    assert award[header.index("原文引文")] == "对首次入选 “世界500强”的企业给予3000万元奖励"
    assert award[header.index("条目")] and award[header.index("文件")]
    assert "新闻报道" in award[header.index("注意事项")]
    facts = list(book["待补充信息"].iter_rows(values_only=True))
    assert len(facts) > 1 and facts[0][0] == "信息"
    with pytest.raises(CalculatorError, match=r"应以 \.html 或 \.xlsx 结尾"):
        write_report(report, tmp_path / "报告.pdf")
    with pytest.raises(CalculatorError, match="不存在"):
        write_report(report, tmp_path / "no" / "报告.html")
