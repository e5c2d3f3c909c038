"""The translation of condition trees into GoRules ZEN decisions, checked as data: the
expressions written for known trees, the JDM graph around them and the profile context.
(The benchmark runs the decisions in ZEN and checks every answer against the reference
evaluator; these tests need no ZEN.)"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from bench import zen_jdm
from calculator.profiles.absent import NONE
from calculator.profiles.fields import FIELDS
from calculator.rules.conditions import All, Any_, Leaf, Named, Not

F = FIELDS["company"]
REVENUE = Leaf(F["revenue"], ">=", Decimal("20000000.50"))
DISTRICT = Leaf(F["district"], "in", ("姑苏区", "苏州高新区"))
HIGH_TECH = Leaf(F["qualifications"], "contains", "高新技术企业")
FIRST_ENTRY = Leaf(F["global500_first_entry_year"], ">=", 2020)  # may be answered 无
INSTITUTION = Leaf(F["national_institution"], "exists", None)    # may be answered 无
FOUNDED = Leaf(F["founded_on"], "<=", date(2020, 1, 1))


def test_a_comparison_is_met_only_when_present_and_fails_only_when_present_or_none() -> None:
    assert zen_jdm.leaf_met(REVENUE) == "((p.revenue != null) and (p.revenue >= 20000000.50))"
    assert zen_jdm.leaf_failed(REVENUE) == "((p.revenue != null) and not (p.revenue >= 20000000.50))"
    assert zen_jdm.leaf_failed(FIRST_ENTRY) == (
        "((none.global500_first_entry_year == true) or "
        "((p.global500_first_entry_year != null) and not (p.global500_first_entry_year >= 2020)))")


def test_exists_is_met_when_present_and_failed_only_by_an_answered_none() -> None:
    assert zen_jdm.leaf_met(INSTITUTION) == "(p.national_institution != null)"
    assert zen_jdm.leaf_failed(INSTITUTION) == "(none.national_institution == true)"
    # A field that cannot be answered 无: a blank is unknown, so exists never fails.
    assert zen_jdm.leaf_failed(Leaf(F["name"], "exists", None)) == "false"


def test_each_operator_and_operand_type_is_written_as_zen_states_it() -> None:
    met = zen_jdm.leaf_met
    assert met(DISTRICT) == '((p.district != null) and (p.district in ["姑苏区", "苏州高新区"]))'
    assert met(HIGH_TECH) == '((p.qualifications != null) and ("高新技术企业" in p.qualifications))'
    assert met(FOUNDED) == '((p.founded_on != null) and (d(p.founded_on) <= d("2020-01-01")))'
    some = Leaf(F["qualifications"], "contains_any", ("专精特新", "高新技术企业"))
    every = Leaf(F["qualifications"], "contains_all", ("专精特新", "高新技术企业"))
    assert met(some) == ('((p.qualifications != null) and '
                         'some(p.qualifications, # in ["专精特新", "高新技术企业"]))')
    assert met(every) == ('((p.qualifications != null) and '
                          'all(["专精特新", "高新技术企业"], # in p.qualifications))')
    assert met(Leaf(F["foreign_invested"], "==", True)) == (
        "((p.foreign_invested != null) and (p.foreign_invested == true))")


def test_connectives_follow_kleene_logic_through_met_and_failed() -> None:
    tree = All((REVENUE, Any_((DISTRICT, Not(HIGH_TECH)))))
    m, f = zen_jdm.leaf_met, zen_jdm.leaf_failed
    assert zen_jdm.met(tree) == f"({m(REVENUE)} and ({m(DISTRICT)} or {f(HIGH_TECH)}))"
    assert zen_jdm.failed(tree) == f"({f(REVENUE)} or ({f(DISTRICT)} and {m(HIGH_TECH)}))"
    assert zen_jdm.three_valued(Named("定义", tree)) == (
        f'({zen_jdm.met(tree)}) ? "met" : (({zen_jdm.failed(tree)}) ? "failed" : "unknown")')
    assert zen_jdm.three_valued(None) == '(true) ? "met" : ((false) ? "failed" : "unknown")'


def test_the_first_draft_translation_keeps_the_bare_comparisons() -> None:
    tree = All((REVENUE, Not(DISTRICT)))
    assert zen_jdm.naive(tree) == (
        '((p.revenue >= 20000000.50) and (not (p.district in ["姑苏区", "苏州高新区"])))')


def test_a_decision_is_one_expression_node_between_request_and_response() -> None:
    graph = zen_jdm.decision({"c0": "true", "c1": "false"})
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert [node["type"] for node in graph["nodes"]] == ["inputNode", "expressionNode", "outputNode"]
    assert [(e["sourceId"], e["targetId"]) for e in graph["edges"]] == [
        ("request", "clauses"), ("clauses", "response")]
    assert nodes["clauses"]["content"]["expressions"] == [
        {"id": "c0", "key": "c0", "value": "true"}, {"id": "c1", "key": "c1", "value": "false"}]
    assert nodes["clauses"]["content"]["passThrough"] is False
    json.dumps(graph)  # plain data, as a JDM file holds it


def test_the_context_keeps_blanks_out_flags_none_and_writes_exact_values() -> None:
    values = {"revenue": Decimal("12345678901234.56"), "employees": 12, "founded_on": date(2019, 3, 4),
              "qualifications": frozenset({"专精特新", "高新技术企业"}), "foreign_invested": False,
              "district": "姑苏区", "global500_first_entry_year": NONE, "industry": None}
    text = zen_jdm.context("company", values)
    data = json.loads(text, parse_float=Decimal)
    assert data["none"] == {"global500_first_entry_year": True}
    assert data["p"] == {"district": "姑苏区", "founded_on": "2019-03-04",
                         "revenue": Decimal("12345678901234.56"), "employees": 12,
                         "qualifications": ["专精特新", "高新技术企业"],
                         "foreign_invested": False}
    only = json.loads(zen_jdm.context("company", values, only={"employees", "industry"}))
    assert only == {"p": {"employees": 12}, "none": {}}


def test_fields_read_are_the_compared_fields() -> None:
    assert zen_jdm.fields_read([All((REVENUE, Not(DISTRICT))), None, FOUNDED]) == {
        "revenue", "district", "founded_on"}


def test_what_zen_cannot_state_exactly_is_refused() -> None:
    with pytest.raises(zen_jdm.Untranslatable):
        zen_jdm.leaf_met(Leaf(F["name"], "==", 'say "hi"'))
    with pytest.raises(zen_jdm.Untranslatable):
        zen_jdm.leaf_met(Leaf(F["revenue"], ">=", Decimal("1e30")))
