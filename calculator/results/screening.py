"""The short result a batch keeps for one profile: what it qualifies for, what is
missing, what nearly fits, and the totals, decided exactly as a full report decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..rules.conditions import Outcome
from ..rules.loading import Bundle
from ..rules.schema import SUPPORT_LABELS
from .amounts import describe
from .deciding import _STATUS, Prepared, disagreement, missing_for
from .explaining import failed_reasons
from .report import BenefitOut, Status
from .stacking import combine


@dataclass(frozen=True)
class Hit:
    """One clause an applicant qualifies for, may qualify for, or nearly qualifies for."""

    clause_id: str
    title: str
    #: eligible, needs_info, or ineligible for a near miss
    status: Status
    benefit_kind: str
    amount: str
    min: Decimal | None
    max: Decimal | None
    citation: str
    #: labels of the fields still to fill in (needs_info)
    missing: tuple[str, ...] = ()
    #: the failed requirement (near miss)
    reasons: tuple[str, ...] = ()
    #: funding | tax | financing | service | direction (政策导向, never counted as a support)
    support: str = "funding"
    support_label: str = "资金奖补"
    caveats: tuple[str, ...] = ()

    @property
    def closeness(self) -> int:
        """0 when eligible; the number of fields to fill in; 100 for a near miss."""
        return {"eligible": 0, "needs_info": len(self.missing)}.get(self.status, 100)


@dataclass(frozen=True)
class Screening:
    kind: str
    name: str
    eligible: tuple[Hit, ...]
    needs_info: tuple[Hit, ...]
    near_misses: tuple[Hit, ...]
    total_min: Decimal
    #: ``None``: no maximum (an uncapped award, or an amount the policy does not state)
    total_max: Decimal | None
    #: 政策导向 that applies to the profile: kept apart, never counted as a support
    directions: tuple[Hit, ...] = ()

    @property
    def hits(self) -> tuple[Hit, ...]:
        return self.eligible + self.needs_info + self.near_misses


def screen(items: Sequence[Prepared], bundle: Bundle, kind: str, name: str,
           values: Mapping[str, Any], matched: frozenset[str], as_of: date) -> Screening:
    """``decide`` for every clause, keeping only what a batch reports. Written out rather
    than calling ``decide``: this loop is where a batch spends its time."""
    found: dict[Outcome, list[Hit]] = {Outcome.MET: [], Outcome.UNKNOWN: [], Outcome.FAILED: []}
    cash: list[tuple[str, BenefitOut]] = []
    directions: list[Hit] = []
    for item in items:
        outcome = item.check(values)
        rule_id = item.id
        if (outcome is Outcome.MET) != (rule_id in matched):
            raise disagreement(rule_id, matched, outcome)
        if item.validity(as_of) or (outcome is Outcome.FAILED and not item.near(values)):
            continue
        rule = item.rule
        clause = rule.clause
        direction = clause.support == "direction"
        if direction and outcome is not Outcome.MET:
            continue  # nothing to fill in or to come closer to for a statement of direction
        benefit = item.shared_benefit(values)
        missing: tuple[str, ...] = ()
        why: tuple[str, ...] = ()
        if outcome is Outcome.MET:
            if not direction:
                cash.append((rule_id, benefit))
        elif outcome is Outcome.UNKNOWN:
            missing = tuple(missing_for(item, values, "needs_info", benefit).values())
        else:
            why = tuple(failed_reasons(item.wordings, values))
        amount = item.static_amount or describe(benefit)
        hit = Hit(rule_id, clause.title, _STATUS[outcome],  # type: ignore[arg-type]
                  benefit.kind, amount, benefit.min, benefit.max, item.cite, missing, why,
                  clause.support, SUPPORT_LABELS[clause.support], tuple(clause.caveats))
        (directions if direction else found[outcome]).append(hit)
    (low, high), _ = combine(cash, bundle.groups)
    return Screening(kind, name, tuple(found[Outcome.MET]), tuple(found[Outcome.UNKNOWN]),
                     tuple(found[Outcome.FAILED]), low, high, tuple(directions))
