"""Typed condition trees and their three-valued evaluation.

A condition is *met*, *failed* or *unknown* (the profile lacks a field it reads). This is
the reference semantics: the rules engine is compiled from the same tree and must agree
with ``evaluate`` on which clauses are met.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, Union
from weakref import WeakKeyDictionary

from ..profiles.absent import NONE
from ..profiles.fields import FieldSpec


class Outcome(str, Enum):
    MET = "met"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Leaf:
    field: FieldSpec
    op: str
    #: Typed operand: Decimal, int, date, bool, str, or a tuple of str for in/contains_*.
    value: Any


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Named:
    """A use of a named definition; keeps the name for explanations."""

    name: str
    child: Node


Node = Union[Leaf, All, Any_, Not, Named]

Scalar = Union[Decimal, int, date, bool, str]


def compare(op: str, actual: Any, expected: Any) -> bool:
    """Two-valued comparison of a present profile value with a typed operand."""
    if op == "==":
        return bool(actual == expected)
    if op == "!=":
        return bool(actual != expected)
    if op == "<":
        return bool(actual < expected)
    if op == "<=":
        return bool(actual <= expected)
    if op == ">":
        return bool(actual > expected)
    if op == ">=":
        return bool(actual >= expected)
    if op == "in":
        return actual in expected
    if op == "contains":
        return expected in actual
    if op == "contains_any":
        return any(item in actual for item in expected)
    if op == "contains_all":
        return all(item in actual for item in expected)
    raise ValueError(f"unknown operator {op}")


def leaf_outcome(leaf: Leaf, values: Mapping[str, Any]) -> Outcome:
    actual = values.get(leaf.field.name)
    if actual is NONE:
        # Answered "无": the fact is known not to exist, so nothing that needs it holds.
        return Outcome.FAILED
    if leaf.op == "exists":
        # A blank field says nothing about the world: "has a national lab" is unknown, not
        # false, until the profile says so. So exists is met or unknown; only 无 fails it.
        return Outcome.MET if actual is not None else Outcome.UNKNOWN
    if actual is None:
        return Outcome.UNKNOWN
    return Outcome.MET if compare(leaf.op, actual, leaf.value) else Outcome.FAILED


def evaluate(node: Node | None, values: Mapping[str, Any]) -> Outcome:
    """Kleene three-valued evaluation; ``None`` (no condition) is met."""
    if node is None:
        return Outcome.MET
    if isinstance(node, Leaf):
        return leaf_outcome(node, values)
    if isinstance(node, Named):
        return evaluate(node.child, values)
    if isinstance(node, Not):
        inner = evaluate(node.child, values)
        return {Outcome.MET: Outcome.FAILED, Outcome.FAILED: Outcome.MET}.get(inner, Outcome.UNKNOWN)
    outcomes = [evaluate(child, values) for child in node.children]
    decisive, other = ((Outcome.FAILED, Outcome.MET) if isinstance(node, All)
                       else (Outcome.MET, Outcome.FAILED))
    if decisive in outcomes:
        return decisive
    if Outcome.UNKNOWN in outcomes:
        return Outcome.UNKNOWN
    return other


def leaves(node: Node | None) -> list[Leaf]:
    """Every comparison in the tree, in order."""
    if node is None:
        return []
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, (Named, Not)):
        return leaves(node.child)
    return [leaf for child in node.children for leaf in leaves(child)]


def flips_needed(node: Node | None, values: Mapping[str, Any], want_met: bool = True) -> int:
    """The least number of comparisons whose outcome would have to change for ``node`` to
    become met (or failed, with ``want_met=False``). Unknown comparisons cost nothing:
    a near miss is about what fails, not about what is missing."""
    if node is None:
        return 0 if want_met else 1
    if isinstance(node, Leaf):
        outcome = leaf_outcome(node, values)
        bad = Outcome.FAILED if want_met else Outcome.MET
        return 1 if outcome is bad else 0
    if isinstance(node, Named):
        return flips_needed(node.child, values, want_met)
    if isinstance(node, Not):
        return flips_needed(node.child, values, not want_met)
    costs = [flips_needed(child, values, want_met) for child in node.children]
    conjunctive = isinstance(node, All) == want_met
    return sum(costs) if conjunctive else min(costs)


T = TypeVar("T")


def normal_form(node: Node | None, literal: Callable[[Leaf, bool], list[list[T]]],
                positive: bool = True, limit: int = 1024) -> list[list[T]]:
    """Disjunctive normal form of "``node`` is met" (or "failed" when not ``positive``),
    with each comparison expanded by ``literal(leaf, positive)`` into its own normal form.
    Raises ``OverflowError`` past ``limit`` conjunctions."""
    if node is None:
        return [[]] if positive else []
    if isinstance(node, Leaf):
        return literal(node, positive)
    if isinstance(node, Named):
        return normal_form(node.child, literal, positive, limit)
    if isinstance(node, Not):
        return normal_form(node.child, literal, not positive, limit)
    parts = [normal_form(child, literal, positive, limit) for child in node.children]
    if isinstance(node, All) == positive:
        result: list[list[T]] = [[]]
        for part in parts:
            result = [left + right for left in result for right in part]
            if len(result) > limit:
                raise OverflowError
        return result
    return [conj for part in parts for conj in part]


# Compiled forms. ``evaluate`` and ``flips_needed`` above define the semantics; these build
# the same functions once per clause as closures, because walking the tree for every clause
# of every profile is what a batch spends its time on. Property tests hold them equal.

Check = Callable[[Mapping[str, Any]], Outcome]
Count = Callable[[Mapping[str, Any]], int]

_MET, _FAILED, _UNKNOWN = Outcome.MET, Outcome.FAILED, Outcome.UNKNOWN
_NEGATED = {_MET: _FAILED, _FAILED: _MET, _UNKNOWN: _UNKNOWN}


def _leaf_test(leaf: Leaf) -> Callable[[Any], bool]:
    expected, op = leaf.value, leaf.op
    if op in ("in", "contains_any", "contains_all"):
        expected = frozenset(expected)
    if op == "==":
        return lambda a: bool(a == expected)
    if op == "!=":
        return lambda a: bool(a != expected)
    if op == "<":
        return lambda a: bool(a < expected)
    if op == "<=":
        return lambda a: bool(a <= expected)
    if op == ">":
        return lambda a: bool(a > expected)
    if op == ">=":
        return lambda a: bool(a >= expected)
    if op == "in":
        return lambda a: a in expected
    if op == "contains":
        return lambda a: expected in a
    if op == "contains_any":
        return lambda a: not expected.isdisjoint(a)
    if op == "contains_all":
        return lambda a: expected <= a
    raise KeyError(op)


def _exists(actual: Any) -> Outcome:
    if actual is None:
        return _UNKNOWN
    return _FAILED if actual is NONE else _MET


#: Equal comparisons share one compiled check (a clause's check, near-miss counts and
#: "meets something" all test the same leaves, and many clauses test the same things);
#: an entry lives as long as the leaf it was made for.
_LEAF_CHECKS: WeakKeyDictionary[Leaf, Check] = WeakKeyDictionary()


def _leaf_check(leaf: Leaf) -> Check:
    try:
        return _LEAF_CHECKS[leaf]
    except KeyError:
        return _LEAF_CHECKS.setdefault(leaf, _compile_leaf(leaf))


def compile_check(node: Node | None) -> Check:
    """``evaluate`` for one tree, as a function of the profile values."""
    if node is None:
        return lambda values: _MET
    if isinstance(node, Leaf):
        return _leaf_check(node)
    if isinstance(node, Named):
        return compile_check(node.child)
    if isinstance(node, Not):
        inner = compile_check(node.child)
        return lambda values: _NEGATED[inner(values)]
    children = tuple(compile_check(child) for child in node.children)
    decisive, other = (_FAILED, _MET) if isinstance(node, All) else (_MET, _FAILED)

    def combine(values: Mapping[str, Any]) -> Outcome:
        unknown = False
        for child in children:
            outcome = child(values)
            if outcome is decisive:
                return decisive
            if outcome is _UNKNOWN:
                unknown = True
        return _UNKNOWN if unknown else other
    return combine


def _compile_leaf(node: Leaf) -> Check:
    name = node.field.name
    if node.op == "exists":
        return lambda values: _exists(values.get(name))
    test = _leaf_test(node)

    def leaf(values: Mapping[str, Any]) -> Outcome:
        actual = values.get(name)
        if actual is None:
            return _UNKNOWN
        if actual is NONE:
            return _FAILED
        return _MET if test(actual) else _FAILED
    return leaf


def compile_flips(node: Node | None, want_met: bool = True,
                  cost: Callable[[Leaf], int] = lambda leaf: 1) -> Count:
    """``flips_needed`` for one tree, as a function of the profile values; ``cost`` weighs
    changing each comparison (1 everywhere gives exactly ``flips_needed``)."""
    if node is None:
        fixed = 0 if want_met else 1
        return lambda values: fixed
    if isinstance(node, Leaf):
        check = compile_check(node)
        bad = _FAILED if want_met else _MET
        weight = cost(node)
        return lambda values: weight if check(values) is bad else 0
    if isinstance(node, Named):
        return compile_flips(node.child, want_met, cost)
    if isinstance(node, Not):
        return compile_flips(node.child, not want_met, cost)
    children = tuple(compile_flips(child, want_met, cost) for child in node.children)
    if isinstance(node, All) == want_met:
        return lambda values: sum(child(values) for child in children)
    return lambda values: min(child(values) for child in children)


def compile_some(node: Node | None, want: Outcome = Outcome.MET,
                 counts: Callable[[Leaf], bool] = lambda leaf: True) -> Callable[[Mapping[str, Any]], bool]:
    """Whether some comparison of the tree for which ``counts`` holds, read through its
    negations, has outcome ``want`` (MET: the profile meets at least one requirement)."""
    if node is None or (isinstance(node, Leaf) and not counts(node)):
        return lambda values: False
    if isinstance(node, Leaf):
        check = compile_check(node)
        return lambda values: check(values) is want
    if isinstance(node, Named):
        return compile_some(node.child, want, counts)
    if isinstance(node, Not):
        return compile_some(node.child, _NEGATED[want], counts)
    children = tuple(compile_some(child, want, counts) for child in node.children)
    return lambda values: any(child(values) for child in children)
