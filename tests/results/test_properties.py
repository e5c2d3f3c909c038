"""Properties of amounts, stacking and three-valued evaluation, over random inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.results.amounts import compute
from calculator.results.explaining import reasons, wordings
from calculator.results.report import BenefitOut, CitationOut, ClauseResult
from calculator.results.stacking import apply, cash_range
from calculator.rules.conditions import (
    Outcome,
    compile_check,
    compile_flips,
    compile_some,
    evaluate,
    flips_needed,
)
from calculator.rules.schema import PerUnit, Ratio, StackingGroup, Tiers, UpTo

from ..strategies import trees, values

money = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


@given(base=money, cap=st.none() | money, ratio=st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2)]),
       up_to=st.booleans())
def test_ratio_amount_is_bounded(base: Decimal, cap: Decimal | None, ratio: Decimal, up_to: bool) -> None:
    benefit = Ratio(kind="ratio", base="national_funding", ratio=ratio, max=cap, uncapped=cap is None,
                    up_to=up_to, text="配套")
    out = compute(benefit, "company", {"national_funding": base})
    assert out.min is not None and out.max is not None
    assert 0 <= out.min <= out.max
    if cap is not None:
        assert out.max <= cap


@given(low=money, high=money, ratio=st.sampled_from([Decimal("0.3"), Decimal(1)]),
       cap=st.none() | money)
def test_ratio_amount_is_monotone_in_its_base(low: Decimal, high: Decimal, ratio: Decimal,
                                              cap: Decimal | None) -> None:
    low, high = sorted((low, high))
    benefit = Ratio(kind="ratio", base="national_funding", ratio=ratio, max=cap, uncapped=cap is None,
                    text="配套")
    a = compute(benefit, "company", {"national_funding": low})
    b = compute(benefit, "company", {"national_funding": high})
    assert a.max is not None and b.max is not None and a.max <= b.max


@given(units=st.integers(0, 10**6), unit=money, cap=st.none() | money)
def test_per_unit_amount_is_bounded(units: int, unit: Decimal, cap: Decimal | None) -> None:
    benefit = PerUnit(kind="per_unit", field="employees", unit_amount=unit, unit="人", max=cap,
                      uncapped=cap is None, text="每人")
    out = compute(benefit, "company", {"employees": units})
    assert out.max is not None and out.min is not None and 0 <= out.min <= out.max
    assert cap is None or out.max <= cap


@given(revenue=st.none() | money)
def test_tier_amount_is_one_of_the_tiers(revenue: Decimal | None) -> None:
    benefit = Tiers(kind="tiers", field="revenue", text="分档",
                    tiers=[{"at_least": "1亿", "amount": "50万"}, {"at_least": "10亿", "amount": "200万"}])
    thresholds = (Decimal(100_000_000), Decimal(1_000_000_000))
    out = compute(benefit, "company", {"revenue": revenue}, thresholds)
    assert out.max in (Decimal(0), Decimal(500_000), Decimal(2_000_000))
    assert out.min is not None and 0 <= out.min <= out.max


def _result(cid: str, benefit: BenefitOut) -> ClauseResult:
    cite = CitationOut(document="d", doc_number=None, issuer="i", date=date(2022, 1, 1), article="a",
                       quote="q", source="s", status="issued")
    return ClauseResult(clause_id=cid, title=cid, target="企业", support="funding", support_label="资金奖补",
                        scope="苏州市（全市）", status="eligible", benefit=benefit,
                        citation=cite, reasons=[], missing=[])


@st.composite
def benefits(draw: st.DrawFn) -> BenefitOut:
    if draw(st.booleans()):
        amount = draw(money)
        return BenefitOut(kind="fixed", min=amount, max=amount, text="定额")
    cap = draw(st.none() | money)
    return BenefitOut(kind="up_to" if cap is not None else "case_by_case", min=Decimal(0) if cap else None,
                      max=cap, text="最高")


@settings(max_examples=200)
@given(items=st.lists(benefits(), min_size=1, max_size=6), grouped=st.integers(0, 6),
       policy=st.sampled_from(["highest", "sum"]))
def test_stacked_total_never_exceeds_the_plain_sum(items: list[BenefitOut], grouped: int,
                                                   policy: str) -> None:
    results = [_result(f"c{i}", b) for i, b in enumerate(items)]
    members = [r.clause_id for r in results[:grouped]]
    groups = [StackingGroup(id="g", title="组", policy=policy, clauses=members,  # type: ignore[arg-type]
                            citation={"article": "a", "quote": "q"})] if len(members) >= 2 else []
    totals = apply(results, groups)
    plain_min = sum((cash_range(b)[0] for b in items), Decimal(0))
    maxes = [cash_range(b)[1] for b in items]
    assert totals.min <= plain_min
    if None not in maxes:
        assert totals.max is not None and totals.max <= sum(m for m in maxes if m is not None)
    if totals.max is not None:
        assert totals.min <= totals.max
    if policy == "highest" and groups:
        assert sum(1 for r in results[:grouped] if r.counted) == 1


def test_up_to_is_zero_to_cap() -> None:
    out = compute(UpTo(kind="up_to", max=Decimal(100_000_000), text="最高1亿元"), "company", {})
    assert (out.min, out.max) == (0, 100_000_000)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), kind=st.sampled_from(["company", "talent"]))
def test_filling_in_a_missing_field_never_rescues_an_ineligible_clause(data: st.DataObject,
                                                                      kind: str) -> None:
    node = data.draw(trees(kind))
    partial: dict[str, Any] = data.draw(values(kind))
    full: dict[str, Any] = data.draw(values(kind))
    completed = {k: (v if v is not None else full[k]) for k, v in partial.items()}
    before, after = evaluate(node, partial), evaluate(node, completed)
    if before is Outcome.FAILED:
        assert after is Outcome.FAILED
    if before is Outcome.MET:
        assert after is Outcome.MET


@settings(max_examples=300)
@given(data=st.data(), kind=st.sampled_from(["company", "talent"]))
def test_compiled_conditions_equal_the_tree_walkers(data: st.DataObject, kind: str) -> None:
    tree = data.draw(st.none() | trees(kind))
    vals = data.draw(values(kind))
    assert compile_check(tree)(vals) is evaluate(tree, vals)
    assert compile_flips(tree)(vals) == flips_needed(tree, vals)
    assert compile_flips(tree, want_met=False)(vals) == flips_needed(tree, vals, want_met=False)


@given(data=st.data(), kind=st.sampled_from(["company", "talent"]))
def test_some_met_agrees_with_the_reasons(data: st.DataObject, kind: str) -> None:
    tree = data.draw(trees(kind))
    vals = data.draw(values(kind))
    assert compile_some(tree)(vals) == any(r.outcome == "met" for r in reasons(wordings(tree), vals))
