"""The answer first: totals, sections, facts to fill in, and what is left out."""

from __future__ import annotations

from decimal import Decimal

from calculator import Calculator, load_profile
from calculator.reporting.summary import Summary, summarize

from ..conftest import PROFILES

AS_OF = "2025-06-01"


def _global500(calc: Calculator, include_all: bool = False) -> Summary:
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF)
    return summarize(report, calc.bundle.groups, include_all=include_all)


def test_the_headline_says_what_is_certain_and_why_the_maximum_is_open(calc: Calculator) -> None:
    s = _global500(calc)
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF)
    assert s.certain == report.totals.min
    assert report.totals.max is None and s.highest is None
    assert s.open_awards > 0
    first = s.headline[0]
    assert first.startswith(f"确定可得 {s.certain // 10_000}万元")
    assert f"另有 {s.open_awards} 项一事一议或上不封顶" in first
    assert "无上限" not in "".join(s.headline)


def test_cash_with_a_stated_amount_comes_first_largest_first(calc: Calculator) -> None:
    s = _global500(calc)
    cash = s.sections[0]
    assert cash.key == "cash"
    assert cash.entries[0].clause_id == "global-500-first-entry-award"
    assert cash.entries[0].amount == "3000万元"
    amounts = [e.max for e in cash.entries]
    assert amounts == sorted(amounts, key=lambda a: -(a or Decimal(0)))
    assert cash.entries[0].citation.quote == "对首次入选 “世界500强”的企业给予3000万元奖励"
    assert s.stated_highest == sum(e.max or 0 for e in cash.entries if e.counted)


def test_every_fact_to_fill_in_is_listed_once_most_money_first(calc: Calculator) -> None:
    s = _global500(calc)
    fields = [f.field for f in s.facts]
    assert len(fields) == len(set(fields))
    pending = s.section("pending")
    assert pending is not None
    needed = {label for e in pending.entries for label in e.missing}
    assert needed == {f.label for f in s.facts}


def test_drafts_and_clauses_not_in_force_only_with_all(calc: Calculator) -> None:
    s = _global500(calc)
    keys = [sec.key for sec in s.sections]
    assert "not_in_force" not in keys and "ineligible" not in keys
    shown = {e.status for sec in s.sections for e in sec.entries}
    assert "not_in_force" not in shown
    assert s.hidden > 0
    full = _global500(calc, include_all=True)
    assert full.hidden == 0
    total = sum(len(sec.entries) for sec in full.sections)
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF)
    assert total == len(report.results)


def test_a_press_report_carries_a_caveat(calc: Calculator) -> None:
    s = _global500(calc)
    award = s.sections[0].entries[0]
    assert award.citation.status == "press_report"
    assert any("新闻报道" in c for c in award.caveats)
