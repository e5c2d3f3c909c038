"""How far a near miss is: the relative shortfall of a number or a date, 1 for a choice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from calculator.batch.gaps import gap
from calculator.profiles.fields import FIELDS
from calculator.rules.conditions import All, Leaf, Not

COMPANY = FIELDS["company"]


def test_a_number_short_of_its_threshold_is_as_far_as_its_shortfall() -> None:
    revenue = Leaf(COMPANY["revenue"], ">=", Decimal(200_000_000))
    assert gap(revenue, {"revenue": Decimal(180_000_000)}) == 0.1
    assert gap(revenue, {"revenue": Decimal(20_000_000)}) == 0.9
    assert gap(revenue, {"revenue": Decimal(0)}) == 1.0


def test_a_choice_is_the_farthest_and_the_smallest_failed_gap_counts() -> None:
    district = Leaf(COMPANY["district"], "==", "苏州工业园区")
    employees = Leaf(COMPANY["employees"], ">=", 100)
    founded = Leaf(COMPANY["founded_on"], "<=", date(2020, 1, 1))
    values = {"district": "吴江区", "employees": 95, "founded_on": date(2021, 1, 1)}
    assert gap(district, values) == 1.0
    assert gap(All((district, employees)), values) == 0.05
    assert round(gap(founded, values), 3) == round(366 / 3652.5, 3)
    assert gap(Not(employees), {"employees": 200}) == 1.0  # a negation says nothing about distance
