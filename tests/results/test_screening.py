"""Screening keeps what a batch needs of a report: it must agree with the full report on
every clause's status, missing fields, near misses and totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.synthetic import applicants
from calculator import Calculator, CompanyProfile, Report, load_profile
from calculator.profiles.models import PROFILE_MODELS
from calculator.results.screening import Screening

from ..conftest import PROFILES

AS_OF = date(2025, 6, 30)


def _agree(report: Report, screening: Screening) -> None:
    assert [h.clause_id for h in screening.eligible] == [r.clause_id for r in report.supports("eligible")]
    needs = {r.clause_id: tuple(m.label for m in r.missing) for r in report.supports("needs_info")}
    assert {h.clause_id: h.missing for h in screening.needs_info} == needs
    near = [r.clause_id for r in report.supports() if r.near_miss]
    assert [h.clause_id for h in screening.near_misses] == near
    directions = [r.clause_id for r in report.directions() if r.status == "eligible"]
    assert [h.clause_id for h in screening.directions] == directions
    assert (screening.total_min, screening.total_max) == (report.totals.min, report.totals.max)


def test_screening_agrees_with_the_report_for_every_example_profile(calc: Calculator) -> None:
    for path in sorted(PROFILES.glob("*.yaml")):
        profile = load_profile(path)
        _agree(calc.evaluate(profile, AS_OF), calc.screen(profile, AS_OF))


@pytest.mark.parametrize("kind", ["company", "talent"])
def test_screening_agrees_with_the_report_for_synthetic_applicants(calc: Calculator, kind: str) -> None:
    for data in applicants(kind, 150, seed=11):
        profile = PROFILE_MODELS[kind].model_validate(data)
        _agree(calc.evaluate(profile, AS_OF), calc.screen(profile, AS_OF))  # type: ignore[arg-type]


def test_screening_can_be_limited_to_some_clauses(calc: Calculator) -> None:
    profile = load_profile(PROFILES / "global500-first-entry.yaml")
    full = calc.screen(profile, AS_OF)
    only = calc.screen(profile, AS_OF, clauses={"global-500-first-entry-award"})
    assert [h.clause_id for h in only.eligible] == ["global-500-first-entry-award"]
    assert "global-500-first-entry-award" in [h.clause_id for h in full.eligible]
    assert only.eligible[0].min == only.eligible[0].max == 30_000_000


NEAR_RULES = """
document: {id: near, title: 测试文件, issuer: 测试机关, date: 2024-01-01, status: issued, source: t.txt}
clauses:
  - id: threshold
    title: 营收门槛
    target: company
    support: funding
    scope: city
    when: {field: revenue, op: ">=", value: 2亿}
    benefit: {kind: fixed, amount: 100万, text: 奖励100万元}
    citation: {article: 一、, quote: 奖励}
  - id: one-flag
    title: 拥有知识产权
    target: company
    support: funding
    scope: city
    when: {field: owns_ip, op: "==", value: true}
    benefit: {kind: non_monetary, text: 服务}
    citation: {article: 二、, quote: 服务}
  - id: flag-and-more
    title: 拥有知识产权的高企
    target: company
    support: funding
    scope: city
    when: {all: [{field: owns_ip, op: "==", value: true},
                 {field: qualifications, op: contains, value: 高新技术企业}]}
    benefit: {kind: non_monetary, text: 服务}
    citation: {article: 三、, quote: 服务}
  - id: fixed-fact-and-more
    title: 外资高企
    target: company
    support: funding
    scope: city
    when: {all: [{field: foreign_invested, op: "==", value: true},
                 {field: qualifications, op: contains, value: 高新技术企业}]}
    benefit: {kind: non_monetary, text: 服务}
    citation: {article: 五、, quote: 服务}
  - id: district-only-gap
    title: 昆山高企
    target: company
    support: funding
    scope: city
    when: {all: [{field: district, op: "==", value: 昆山市},
                 {field: qualifications, op: contains, value: 高新技术企业}]}
    benefit: {kind: non_monetary, text: 服务}
    citation: {article: 四、, quote: 服务}
"""


def test_near_miss_means_a_gap_or_the_last_unmet_requirement(tmp_path: Path) -> None:
    (tmp_path / "near.yaml").write_text(NEAR_RULES, encoding="utf-8")
    calc = Calculator.load(tmp_path)
    firm = CompanyProfile(kind="company", name="某企业", revenue="1.8亿", foreign_invested=False,
                          owns_ip=False, district="吴江区", qualifications=["高新技术企业"])
    report = calc.evaluate(firm, AS_OF)
    near = {r.clause_id for r in report.results if r.near_miss}
    # 1.8亿 against 2亿 is a gap; a one-condition clause the firm is simply not the target of
    # is not "nearly" met; being a 高企 without IP is; being in another district, or not being
    # foreign-invested (a fact the firm cannot change by acting), is not.
    assert near == {"threshold", "flag-and-more"}
    assert {h.clause_id for h in calc.screen(firm, AS_OF).near_misses} == near
    assert report.result("district-only-gap").status == "ineligible"
