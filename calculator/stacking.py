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

from .amounts import CASH_KINDS, ZERO
from .report import BenefitOut, ClauseResult, Totals
from .schema import StackingGroup

Range = tuple[Decimal, Decimal | None]  # (minimum, maximum or None for unbounded)


def cash_range(benefit: BenefitOut) -> Range:
    """What a benefit adds to a total; non-cash benefits add nothing."""
    if benefit.kind not in CASH_KINDS:
        return ZERO, ZERO
    return benefit.min or ZERO, benefit.max


def _rank(result: ClauseResult) -> tuple[int, Decimal, Decimal]:
    low, high = cash_range(result.benefit)
    return (1, ZERO, low) if high is None else (0, high, low)


def _add(a: Range, b: Range) -> Range:
    high = None if a[1] is None or b[1] is None else a[1] + b[1]
    return a[0] + b[0], high


def apply(results: Sequence[ClauseResult], groups: Sequence[StackingGroup]) -> Totals:
    """Mark ``counted``/``suppressed_by`` on ``results`` in place and return the totals
    of the eligible results."""
    group_of = {cid: g for g in groups for cid in g.clauses}
    total: Range = (ZERO, ZERO)
    members: dict[str, list[ClauseResult]] = {}
    for result in results:
        group = group_of.get(result.clause_id)
        result.group = group.id if group else None
        if result.status != "eligible":
            continue
        if group is None or group.policy == "sum":
            result.counted = True
            total = _add(total, cash_range(result.benefit))
        else:
            members.setdefault(group.id, []).append(result)
    for group_members in members.values():
        winner = max(group_members, key=_rank)
        winner.counted = True
        ranges = [cash_range(m.benefit) for m in group_members]
        low = max(r[0] for r in ranges)
        high = None if any(r[1] is None for r in ranges) else max(r[1] for r in ranges if r[1] is not None)
        total = _add(total, (low, high))
        for member in group_members:
            if member is not winner:
                member.suppressed_by = winner.clause_id
    return Totals(min=total[0], max=total[1])
