"""How far a near miss is from qualifying, to rank near misses for a clause.

The gap of a failed comparison of a number or a date is its shortfall relative to the
threshold (revenue 1.8 亿 against ≥ 2 亿 is 0.1 short; a date ten years off counts as 1);
a failed choice (the wrong district, a programme not listed) counts as 1, the most. A near
miss fails on one requirement, possibly in several alternatives: the smallest gap counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..rules.conditions import Node, Not, Outcome, leaf_outcome, leaves

_ORDERED = ("<", "<=", ">", ">=")
FULL = 1.0


def gap(condition: Node | None, values: Mapping[str, Any]) -> float:
    """0 (just short) .. 1 (as far as can be told): the smallest gap of a failed
    comparison outside a negation."""
    found = [_leaf_gap(leaf.op, values.get(leaf.field.name), leaf.value)
             for leaf in _positive_leaves(condition)
             if leaf_outcome(leaf, values) is Outcome.FAILED]
    return min(found, default=FULL)


def _positive_leaves(node: Node | None) -> list[Any]:
    if node is None or isinstance(node, Not):
        return []
    return leaves(node)


def _leaf_gap(op: str, actual: Any, expected: Any) -> float:
    if op not in _ORDERED or actual is None or isinstance(actual, bool):
        return FULL
    if isinstance(actual, date) and isinstance(expected, date):
        return min(abs((actual - expected).days) / 3652.5, FULL)
    try:
        have, want = Decimal(actual), Decimal(expected)
    except (InvalidOperation, TypeError, ValueError):
        return FULL
    scale = max(abs(want), Decimal(1))
    return min(float(abs(have - want) / scale), FULL)
