"""The engine against the reference evaluator, and one regression test for each
durable-rules hazard the design works around."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator import Calculator, load_profile
from calculator.engine.compiling import MAX_RULES_PER_SHARD, TooComplex, compile_conditions
from calculator.engine.runner import Engine
from calculator.profiles.fields import FIELDS
from calculator.profiles.models import profile_values
from calculator.rules.conditions import All, Leaf, Node, Outcome, evaluate

from ..conftest import PROFILES
from ..strategies import trees, values


def _agree(kind: str, nodes: list[Node], profiles: list[dict[str, Any]]) -> None:
    items = [(f"c{i}", kind, node) for i, node in enumerate(nodes)]
    try:
        engine = Engine(compile_conditions(items))
    except TooComplex:
        return
    for vals in profiles:
        expected = {cid for cid, _, node in items if evaluate(node, vals) is Outcome.MET}
        assert engine.match(kind, vals) == expected, vals


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["company", "talent"]))
def test_engine_agrees_with_reference_on_random_trees(data: st.DataObject, kind: str) -> None:
    nodes = data.draw(st.lists(trees(kind), min_size=1, max_size=8))
    profiles = data.draw(st.lists(values(kind), min_size=1, max_size=6))
    _agree(kind, nodes, profiles)


def test_engine_agrees_on_corpus_for_every_example_profile(calc: Calculator) -> None:
    # evaluate() raises EvaluationError on any disagreement; check it directly as well.
    for path in sorted(PROFILES.glob("*.yaml")):
        profile = load_profile(path)
        vals = profile_values(profile, date(2025, 6, 30))
        rules = [r for r in calc.bundle.clauses if r.profile_kind == profile.kind]
        expected = {r.id for r in rules if evaluate(r.condition, vals) is Outcome.MET}
        assert calc._current.engine.match(profile.kind, vals) == expected, path.name
        calc.evaluate(profile, as_of=date(2025, 6, 30))


def _exists(name: str) -> Leaf:
    return Leaf(FIELDS["company"][name], "exists", None)


def test_every_matching_clause_fires_even_beyond_one_shard() -> None:
    # durable-rules fails with error 303 when ~64 rules of one ruleset fire for one fact.
    nodes: list[Node] = [_exists("revenue") for _ in range(MAX_RULES_PER_SHARD * 3 + 5)]
    engine = Engine(compile_conditions((f"c{i}", "company", n) for i, n in enumerate(nodes)))
    assert len(engine.match("company", {"revenue": Decimal(1)})) == len(nodes)


def test_any_of_many_true_branches_matches_once() -> None:
    # The engine fires once per true $or branch; clause ids must still come out once each.
    spec = FIELDS["company"]["qualifications"]
    node = Leaf(spec, "contains_any", spec.choices[:6])
    engine = Engine(compile_conditions([("c", "company", node)]))
    assert engine.match("company", {"qualifications": frozenset(spec.choices)}) == {"c"}


def test_empty_set_is_known_and_does_not_contain() -> None:
    spec = FIELDS["company"]["qualifications"]
    from calculator.rules.conditions import Not

    node: Node = Not(Leaf(spec, "contains", spec.choices[0]))
    engine = Engine(compile_conditions([("c", "company", node)]))
    assert engine.match("company", {"qualifications": frozenset()}) == {"c"}
    assert engine.match("company", {"qualifications": None}) == set()


def test_profiles_never_see_each_other_and_repeat_safely() -> None:
    node = All((_exists("revenue"), _exists("employees")))
    engine = Engine(compile_conditions([("c", "company", node)]))
    for _ in range(3):  # the same fact again must not raise "already observed"
        assert engine.match("company", {"revenue": Decimal(1)}) == set()
        assert engine.match("company", {"revenue": Decimal(1), "employees": 2}) == {"c"}
        assert engine.match("company", {"employees": 2}) == set()


def test_numbers_are_never_compared_as_text() -> None:
    # "99" >= 100 is true inside durable-rules; only typed values may reach it.
    spec = FIELDS["company"]["employees"]
    engine = Engine(compile_conditions([("c", "company", Leaf(spec, ">=", 100))]))
    assert engine.match("company", {"employees": 99}) == set()
    assert engine.match("company", {"employees": 100}) == {"c"}


def test_many_profiles_reuse_one_session() -> None:
    # More than 1024 sessions crash the process; one fixed session must serve them all.
    engine = Engine(compile_conditions([("c", "company", _exists("revenue"))]))
    for i in range(3000):
        assert engine.match("company", {"revenue": Decimal(i)}) == {"c"}


def test_concurrent_matches_equal_sequential() -> None:
    spec = FIELDS["company"]["employees"]
    engine = Engine(compile_conditions(
        [(f"c{t}", "company", Leaf(spec, ">=", t)) for t in (0, 50, 100, 150)]))
    inputs = [{"employees": i % 200} for i in range(400)]
    expected = [engine.match("company", v) for v in inputs]
    results: dict[int, list[frozenset[str]]] = {}

    def work(n: int) -> None:
        results[n] = [engine.match("company", v) for v in inputs]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


def test_in_is_one_engine_rule_that_matches_exactly_its_values() -> None:
    spec = FIELDS["company"]["industry"]
    chosen = spec.choices[:3]
    shards = compile_conditions([("c", "company", Leaf(spec, "in", chosen))])
    assert sum(len(shard.definition) for shard in shards) == 1
    engine = Engine(shards)
    for choice in spec.choices:
        assert engine.match("company", {"industry": choice}) == ({"c"} if choice in chosen else set())
    assert engine.match("company", {}) == frozenset()


def test_a_full_shard_of_in_rules_all_matching_one_fact() -> None:
    spec = FIELDS["company"]["industry"]
    nodes = [Leaf(spec, "in", (spec.choices[0], spec.choices[1 + i % 3]))
             for i in range(MAX_RULES_PER_SHARD * 2)]
    engine = Engine(compile_conditions((f"c{i}", "company", n) for i, n in enumerate(nodes)))
    assert len(engine.match("company", {"industry": spec.choices[0]})) == len(nodes)
