"""The columnar evaluator against the reference evaluator and the rules engine: random
condition trees over random tables with blanks, three answers that must be one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.engine.columnar import Plan, frame, outcomes, representable
from calculator.engine.compiling import TooComplex, compile_conditions
from calculator.engine.runner import Engine
from calculator.profiles.absent import NONE
from calculator.profiles.fields import FIELDS
from calculator.rules.conditions import (
    All,
    Any_,
    Leaf,
    Node,
    Not,
    Outcome,
    compile_flips,
    compile_some,
    evaluate,
)

from ..strategies import trees, values

_AS_BOOL = {Outcome.MET: True, Outcome.FAILED: False, Outcome.UNKNOWN: None}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["company", "talent"]))
def test_columnar_equals_reference_and_engine(data: st.DataObject, kind: str) -> None:
    nodes = data.draw(st.lists(trees(kind), min_size=1, max_size=6))
    rows = data.draw(st.lists(values(kind), min_size=1, max_size=8))
    named = {f"c{i}": node for i, node in enumerate(nodes)}
    got = outcomes(kind, named, rows)
    for name, node in named.items():
        assert got[name] == [_AS_BOOL[evaluate(node, row)] for row in rows], name
    try:
        engine = Engine(compile_conditions((name, kind, node) for name, node in named.items()))
    except TooComplex:
        return
    for i, row in enumerate(rows):
        met = {name for name in named if got[name][i] is True}
        assert engine.match(kind, row) == met


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["company", "talent"]),
       want_met=st.booleans())
def test_columnar_flips_and_some_equal_the_compiled_closures(data: st.DataObject, kind: str,
                                                             want_met: bool) -> None:
    node = data.draw(trees(kind))
    rows = data.draw(st.lists(values(kind), min_size=1, max_size=8))

    def cost(leaf: Leaf) -> int:
        return 2 if leaf.field.name in ("district", "zones") else 1

    plan = Plan(kind)
    plan.output("flips", plan.flips(node, want_met, cost))
    def counts(leaf: Leaf) -> bool:
        return leaf.field.name != "district"

    plan.output("some", plan.some(node, want_met, counts))
    result = plan.run(frame(kind, rows, plan.fields()))
    flips = compile_flips(node, want_met, cost)
    want = Outcome.MET if want_met else Outcome.FAILED
    some = compile_some(node, want, counts)
    assert result.get_column("flips").to_list() == [flips(row) for row in rows]
    assert result.get_column("some").to_list() == [some(row) for row in rows]


def _leaf(kind: str, name: str, op: str, value: Any) -> Leaf:
    return Leaf(FIELDS[kind][name], op, value)


def test_blank_is_unknown_and_kleene_decides_around_it() -> None:
    revenue = _leaf("company", "revenue", ">=", Decimal(100))
    ip = _leaf("company", "owns_ip", "==", True)
    trees_: dict[str, Node | None] = {
        "and": All((revenue, ip)), "or": Any_((revenue, ip)), "not": Not(revenue), "none": None}
    rows = [{"revenue": None, "owns_ip": False}, {"revenue": None, "owns_ip": True},
            {"revenue": Decimal(100), "owns_ip": None}]
    got = outcomes("company", trees_, rows)
    assert got["and"] == [False, None, None]
    assert got["or"] == [None, True, True]
    assert got["not"] == [None, None, False]
    assert got["none"] == [True, True, True]


def test_empty_set_is_known_and_contains_nothing() -> None:
    quals = _leaf("company", "qualifications", "contains_any", ("高新技术企业", "专精特新"))
    exists = _leaf("company", "qualifications", "exists", None)
    rows = [{"qualifications": frozenset()}, {"qualifications": None},
            {"qualifications": frozenset({"专精特新"})}]
    got = outcomes("company", {"q": quals, "e": exists}, rows)
    assert got["q"] == [False, None, True]
    assert got["e"] == [True, None, True]


def test_money_compares_exactly_at_the_cent() -> None:
    leaf = _leaf("company", "revenue", ">", Decimal("0.01"))
    rows = [{"revenue": Decimal(0)}, {"revenue": Decimal("0.01")}, {"revenue": Decimal("0.02")},
            {"revenue": Decimal(10) ** 20}]
    assert outcomes("company", {"r": leaf}, rows)["r"] == [False, False, True, True]


def test_integers_beyond_64_bits_are_not_representable() -> None:
    spec = FIELDS["company"]["employees"]
    assert representable(spec, 2**63 - 1)
    assert not representable(spec, 2**63)
    assert representable(spec, NONE)


def test_an_answered_none_fails_every_comparison_even_negated_ones_turn_met() -> None:
    year = FIELDS["company"]["global500_first_entry_year"]
    assert year.accepts_none
    trees_: dict[str, Node | None] = {"ge": Leaf(year, ">=", 2020), "exists": Leaf(year, "exists", None),
                                      "not": Not(Leaf(year, "exists", None))}
    rows = [{"global500_first_entry_year": NONE}, {"global500_first_entry_year": None},
            {"global500_first_entry_year": 2021}]
    got = outcomes("company", trees_, rows)
    assert got == {"ge": [False, None, True], "exists": [False, None, True], "not": [True, None, False]}
    for name, tree in trees_.items():
        assert got[name] == [_AS_BOOL[evaluate(tree, row)] for row in rows]
