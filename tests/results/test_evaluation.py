"""Statuses, reasons, amounts, stacking and validity, on a fixture bundle that exercises
every benefit kind (tests/fixtures/rules) and on the shipped corpus."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from calculator import Calculator, CompanyProfile, TalentProfile

FIXTURE = Path(__file__).parents[1] / "fixtures" / "rules"
AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def fx() -> Calculator:
    return Calculator.load(FIXTURE)


# In Suzhou unless a test says otherwise: every clause applies only there.
def company(**fields: object) -> CompanyProfile:
    return CompanyProfile.model_validate({"kind": "company", "name": "测试企业", "district": "姑苏区",
                                          **fields})


def talent(**fields: object) -> TalentProfile:
    return TalentProfile.model_validate({"kind": "talent", "name": "测试人才", "district": "姑苏区",
                                         **fields})


def test_missing_birth_date_is_needs_info_naming_it(fx: Calculator) -> None:
    result = fx.evaluate(talent(education="博士"), as_of=AS_OF).result("young-talent")
    assert result.status == "needs_info"
    assert [m.label for m in result.missing] == ["出生日期"]
    assert any("出生日期未填写" in r.text for r in result.reasons)


def test_age_is_derived_as_of_the_evaluation_date(fx: Calculator) -> None:
    person = talent(education="博士", birth_date="1990-07-01")
    assert fx.evaluate(person, as_of=date(2025, 6, 30)).result("young-talent").status == "eligible"
    assert fx.evaluate(person, as_of=date(2025, 7, 1)).result("young-talent").status == "eligible"
    assert fx.evaluate(person, as_of=date(2026, 7, 1)).result("young-talent").status == "ineligible"


def test_failed_condition_wins_over_unknown(fx: Calculator) -> None:
    result = fx.evaluate(talent(education="硕士"), as_of=AS_OF).result("young-talent")
    assert result.status == "ineligible"
    assert result.missing == []


def test_reason_states_value_threshold_and_gap(fx: Calculator) -> None:
    result = fx.evaluate(company(revenue="1.8亿"), as_of=AS_OF).result("revenue-award")
    assert result.status == "ineligible"
    assert result.reasons[0].text == "✗ 营业收入 1.8亿元，要求 ≥ 2亿元，差 2000万元"
    assert result.near_miss


def test_missing_set_field_is_not_a_near_miss(fx: Calculator) -> None:
    result = fx.evaluate(company(), as_of=AS_OF).result("revenue-award")
    assert result.status == "needs_info" and not result.near_miss
    assert [m.field for m in result.missing] == ["revenue"]


def test_highest_only_group_counts_the_higher_award(fx: Calculator) -> None:
    report = fx.evaluate(company(qualifications=["瞪羚", "小巨人"]), as_of=AS_OF)
    a, b = report.result("rank-a"), report.result("rank-b")
    assert a.status == b.status == "eligible"
    assert b.counted and not a.counted
    assert a.suppressed_by == "rank-b" and b.suppressed_by is None
    # Receiving the higher of 500万 and up-to-1000万: at least 500万, at most 1000万.
    assert report.totals.min == Decimal(5_000_000)
    assert report.totals.max == Decimal(10_000_000)


def test_ratio_is_capped_and_split_recorded(fx: Calculator) -> None:
    report = fx.evaluate(company(national_institution_new=True, national_funding="2亿"), as_of=AS_OF)
    benefit = report.result("matching").benefit
    assert (benefit.min, benefit.max, benefit.cap) == (Decimal(50_000_000),) * 3


def test_tiers_per_unit_and_tax(fx: Calculator) -> None:
    report = fx.evaluate(company(revenue="12亿", employees=800, rd_expense="3000万",
                                 qualifications=["科技型中小企业"]), as_of=AS_OF)
    assert report.result("tiered").benefit.max == Decimal(2_000_000)
    assert report.result("per-head").benefit.max == Decimal(500_000)  # capped: 800 × 1000 > 50万
    tax = report.result("rd-deduction").benefit
    assert tax.deduction_base == Decimal(30_000_000) and tax.min is None and tax.max is None


def test_case_by_case_makes_the_total_unbounded(fx: Calculator) -> None:
    report = fx.evaluate(talent(education="博士", birth_date="1995-01-01"), as_of=AS_OF)
    result = report.result("young-talent")
    assert result.benefit.min is None and result.benefit.max is None
    assert report.totals.max is None


def test_non_monetary_adds_nothing_to_totals(fx: Calculator) -> None:
    report = fx.evaluate(talent(nationality="德国"), as_of=AS_OF)
    assert report.result("green-channel").status == "eligible"
    assert report.totals.min == 0 and report.totals.max == 0


def test_drafts_are_never_in_force(fx: Calculator) -> None:
    result = fx.evaluate(company(revenue="1亿"), as_of=AS_OF).result("draft-award")
    assert result.status == "not_in_force"
    assert "征求意见稿" in (result.validity or "")
    assert not result.counted


def test_effective_period_is_applied(fx: Calculator) -> None:
    firm = company(revenue="3亿")
    assert fx.evaluate(firm, as_of=date(2026, 12, 31)).result("revenue-award").status == "eligible"
    late = fx.evaluate(firm, as_of=date(2027, 1, 1)).result("revenue-award")
    assert late.status == "not_in_force" and "2026-12-31" in (late.validity or "")
    early = fx.evaluate(firm, as_of=date(2023, 12, 31)).result("revenue-award")
    assert early.status == "not_in_force" and "2024-01-01" in (early.validity or "")


def test_report_follows_the_json_contract(calc: Calculator) -> None:
    # inside the 2022–2025 period of the report that states the award
    report = calc.evaluate(company(global500_first_entry_year=2024), as_of=date(2025, 6, 30))
    data = report.model_dump(mode="json")
    assert set(data) >= {"profile", "as_of", "rules_version", "engine_version", "results", "totals"}
    assert data["profile"] == {"kind": "company", "name": "测试企业"}
    assert data["as_of"] == "2025-06-30"
    result = next(r for r in data["results"] if r["clause_id"] == "global-500-first-entry-award")
    assert set(result) >= {"clause_id", "title", "status", "benefit", "citation", "reasons", "missing"}
    benefit = {k: result["benefit"][k] for k in ("kind", "min", "max", "currency")}
    assert benefit == {"kind": "fixed", "min": "30000000", "max": "30000000", "currency": "CNY"}
    assert "text" in result["benefit"]
    assert set(result["citation"]) >= {"document", "doc_number", "issuer", "date", "article", "quote",
                                       "source", "status"}
    assert data["totals"]["min"] == "30000000"
