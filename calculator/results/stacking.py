"""Stacking: which eligible awards count towards a total, and the totals.

A clause may belong to one stacking group. ``highest`` (就高不重复): only the highest
eligible member counts; the others stay in the report, marked with the clause that won.
``sum``: every eligible member counts. A group's contribution to the total is a range:
with ``highest`` the firm receives the larger of the awards, so the guaranteed minimum is
the largest minimum and the maximum the largest maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..rules.schema import StackingGroup
from .amounts import CASH_KINDS, ZERO
from .report import BenefitOut, ClauseResult, Totals

Range = tuple[Decimal, Decimal | None]  # (minimum, maximum or None for unbounded)


def cash_range(benefit: BenefitOut) -> Range:
    """What a benefit adds to a total; non-cash benefits add nothing."""
    if benefit.kind not in CASH_KINDS:
        return ZERO, ZERO
    return benefit.min or ZERO, benefit.max


def _rank(benefit: BenefitOut) -> tuple[int, Decimal, Decimal]:
    low, high = cash_range(benefit)
    return (1, ZERO, low) if high is None else (0, high, low)


def _add(a: Range, b: Range) -> Range:
    high = None if a[1] is None or b[1] is None else a[1] + b[1]
    return a[0] + b[0], high


def combine(eligible: Sequence[tuple[str, BenefitOut]],
            groups: Sequence[StackingGroup]) -> tuple[Range, dict[str, str]]:
    """The total of the eligible ``(clause id, benefit)`` pairs, and for each award a
    ``highest`` group leaves out, the clause that won over it."""
    group_of = {cid: g for g in groups for cid in g.clauses}
    total: Range = (ZERO, ZERO)
    members: dict[str, list[tuple[str, BenefitOut]]] = {}
    for clause_id, benefit in eligible:
        group = group_of.get(clause_id)
        if group is None or group.policy == "sum":
            total = _add(total, cash_range(benefit))
        else:
            members.setdefault(group.id, []).append((clause_id, benefit))
    suppressed: dict[str, str] = {}
    for group_members in members.values():
        winner = max(group_members, key=lambda member: _rank(member[1]))[0]
        ranges = [cash_range(benefit) for _, benefit in group_members]
        low = max(r[0] for r in ranges)
        high = None if any(r[1] is None for r in ranges) else max(r[1] for r in ranges if r[1] is not None)
        total = _add(total, (low, high))
        suppressed.update((cid, winner) for cid, _ in group_members if cid != winner)
    return total, suppressed


def apply(results: Sequence[ClauseResult], groups: Sequence[StackingGroup]) -> Totals:
    """Mark ``group``/``counted``/``suppressed_by`` on ``results`` in place and return the
    totals of the eligible results."""
    group_of = {cid: g.id for g in groups for cid in g.clauses}
    # 政策导向 offers nothing to receive: it never counts, whatever its benefit says
    eligible = [r for r in results if r.status == "eligible" and r.is_support]
    (low, high), suppressed = combine([(r.clause_id, r.benefit) for r in eligible], groups)
    for result in results:
        result.group = group_of.get(result.clause_id)
    for result in eligible:
        result.suppressed_by = suppressed.get(result.clause_id)
        result.counted = result.suppressed_by is None
    return Totals(min=low, max=high)
