"""Hypothesis strategies: random typed condition trees and random profile values over the
real field catalogue, with operands and values drawn from the same small pools so that
equalities and boundaries are hit often."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from calculator.profiles.absent import NONE
from calculator.profiles.fields import FIELDS, FieldSpec
from calculator.rules.conditions import All, Any_, Leaf, Named, Node, Not
from calculator.rules.loading import OP_TYPES

POOLS: dict[str, list[Any]] = {
    "int": [0, 1, 35, 36, 2024, -1],
    "number": [Decimal(0), Decimal("10.5"), Decimal(35), Decimal(100)],
    "money": [Decimal(0), Decimal("0.01"), Decimal(10_000_000), Decimal(200_000_000)],
    "date": [date(1990, 1, 1), date(2022, 1, 2), date(2022, 1, 3), date(2025, 6, 30)],
    "bool": [True, False],
    "text": ["中国", "美国", "100", "", "a b"],
}


def pool(spec: FieldSpec) -> list[Any]:
    if spec.type in ("enum", "set"):
        return list(spec.choices[:4])
    return POOLS[spec.type]


@st.composite
def leaves(draw: st.DrawFn, kind: str) -> Leaf:
    spec = draw(st.sampled_from(sorted(FIELDS[kind].values(), key=lambda s: s.name)))
    op = draw(st.sampled_from([op for op, types in OP_TYPES.items() if spec.type in types]))
    values = pool(spec)
    if op == "exists":
        return Leaf(spec, op, None)
    if op in ("in", "contains_any", "contains_all"):
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        return Leaf(spec, op, tuple(chosen))
    return Leaf(spec, op, draw(st.sampled_from(values)))


def trees(kind: str) -> st.SearchStrategy[Node]:
    return st.recursive(
        leaves(kind),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda c: All(tuple(c))),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: Any_(tuple(c))),
            inner.map(Not),
            inner.map(lambda c: Named("定义", c)),
        ),
        max_leaves=6,
    )


@st.composite
def values(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """Typed profile values as ``profile_values`` produces them (``None`` = missing)."""
    out: dict[str, Any] = {}
    for name, spec in sorted(FIELDS[kind].items()):
        roll = draw(st.integers(0, 9))
        if roll < 3:
            out[name] = None
        elif roll == 3 and spec.accepts_none:
            out[name] = NONE
        elif spec.type == "set":
            out[name] = frozenset(draw(st.lists(st.sampled_from(spec.choices[:4]), max_size=3)))
        else:
            out[name] = draw(st.sampled_from(pool(spec)))
    return out
