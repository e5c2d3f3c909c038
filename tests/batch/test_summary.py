"""The per-clause summary's total row says when it overstates."""

from __future__ import annotations

from datetime import date

from calculator import Calculator
from calculator.batch.summary import Summary

from ..conftest import ROOT


def test_total_row_warns_when_a_highest_group_makes_the_sum_an_upper_bound(calc: Calculator) -> None:
    fixtures = Calculator.load(ROOT / "tests" / "fixtures" / "rules")
    with_group = Summary(fixtures.bundle, date(2025, 6, 30)).rows()[-1]
    assert with_group[0] == "合计" and "未按就高不重复扣除" in with_group[3]
    only_one_member = Summary(fixtures.bundle, date(2025, 6, 30), selected={"rank-a"}).rows()[-1]
    assert only_one_member[3] == ""
    assert Summary(calc.bundle, date(2025, 6, 30)).rows()[-1][3] == ""
