"""The per-clause summary's total row says when it overstates."""

from __future__ import annotations

from datetime import date

from calculator import Calculator, load_profile
from calculator.batch.summary import Summary

from ..conftest import ROOT


def test_total_row_warns_when_a_highest_group_makes_the_sum_an_upper_bound(calc: Calculator) -> None:
    fixtures = Calculator.load(ROOT / "tests" / "fixtures" / "rules")
    with_group = Summary(fixtures.bundle, date(2025, 6, 30)).rows()[-1]
    assert with_group[0] == "合计" and "未按就高不重复扣除" in with_group[3]
    only_one_member = Summary(fixtures.bundle, date(2025, 6, 30), selected={"rank-a"}).rows()[-1]
    assert only_one_member[3] == ""
    assert Summary(calc.bundle, date(2025, 6, 30)).rows()[-1][3] == ""


def test_the_overview_leaves_out_clauses_not_in_force_and_keeps_the_total(calc: Calculator) -> None:
    as_of = date(2025, 6, 30)
    summary = Summary(calc.bundle, as_of)
    summary.add(calc.screen(load_profile(ROOT / "profiles" / "global500-first-entry.yaml"), as_of))
    rows = summary.rows()
    shown, apart, total = summary.overview(limit=len(summary.tallies))
    assert total == rows[-1]
    assert all(str(row[3]) == "施行中" for row in shown)
    assert len(shown) + apart == len(rows) - 1 and apart > 0
    # over the limit, only the clauses someone qualifies for, waits for or is one short of
    reached = summary.overview(limit=0)[0]
    assert reached == [row for row in shown if row[6] or row[7] or row[8]]
    assert "global-500-first-entry-award" in [row[0] for row in reached] and len(reached) < len(shown)
