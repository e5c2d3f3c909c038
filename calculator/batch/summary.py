"""The summary of a batch, per clause: how many applicants it reaches, and what paying
them could cost (the budget exposure).

Amounts add up per clause over the eligible applicants: the guaranteed minimum, and the
maximum, which has no bound as soon as one award is uncapped (or depends on a figure the
applicant has not given). Awards the policy gives no amount for (一事一议) and non-cash
support are counted, never priced.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..profiles.models import PROFILE_KIND_LABELS
from ..results.amounts import CASH_KINDS
from ..results.deciding import citation_ref, validity
from ..results.screening import Screening
from ..rules.loading import Bundle, ClauseRule

ZERO = Decimal(0)
UNBOUNDED = "无上限"
NOT_PRICED = {"case_by_case": "金额未明确（一事一议）", "non_monetary": "非资金支持",
              "tax": "税收优惠（不计入）"}


@dataclass
class ClauseTally:
    rule: ClauseRule
    eligible: int = 0
    needs_info: int = 0
    near_miss: int = 0
    min_total: Decimal = ZERO
    #: ``None``: no maximum
    max_total: Decimal | None = ZERO
    #: the maximum if every applicant still missing information turned out eligible
    exposure: Decimal | None = ZERO
    #: whether the award has an amount to add up (cash, and not left to case-by-case)
    priced: bool = field(init=False)

    def __post_init__(self) -> None:
        kind = self.rule.clause.benefit.kind
        self.priced = kind in CASH_KINDS and kind != "case_by_case"


def policy_direction(rule: ClauseRule) -> bool:
    """A clause that states a policy direction (政策导向) and gives nothing to count."""
    return rule.clause.support == "direction"


def _plus(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    return None if total is None or amount is None else total + amount


class Summary:
    def __init__(self, bundle: Bundle, as_of: date, selected: Collection[str] | None = None,
                 kinds: Collection[str] | None = None) -> None:
        self.as_of = as_of
        self.groups = bundle.groups
        self.tallies = {rule.id: ClauseTally(rule) for rule in bundle.clauses
                        if (selected is None or rule.id in selected)
                        and (kinds is None or rule.profile_kind in kinds)}
        self.applicants = 0

    def add(self, screening: Screening) -> None:
        self.applicants += 1
        for hit in screening.eligible:
            tally = self.tallies[hit.clause_id]
            tally.eligible += 1
            if tally.priced:
                tally.min_total += hit.min or ZERO
                tally.max_total = _plus(tally.max_total, hit.max)
                tally.exposure = _plus(tally.exposure, hit.max)
        for hit in screening.needs_info:
            tally = self.tallies[hit.clause_id]
            tally.needs_info += 1
            if tally.priced:
                tally.exposure = _plus(tally.exposure, hit.max)
        for hit in screening.near_misses:
            self.tallies[hit.clause_id].near_miss += 1
        # 政策导向: how many applicants it speaks to, on its own row; never an amount
        for hit in screening.directions:
            if hit.clause_id in self.tallies:
                self.tallies[hit.clause_id].eligible += 1

    header = ("条款编号", "条款", "适用对象", "施行状态", "支持内容", "出处", "符合", "待补充信息",
              "差一项", "保底合计（元）", "最高合计（元）", "含待补充者的最高合计（元）")

    def money(self, tally: ClauseTally, amount: Decimal | None) -> Decimal | str:
        kind = tally.rule.clause.benefit.kind
        if not tally.priced:
            return NOT_PRICED.get(kind, "—")
        return UNBOUNDED if amount is None else amount

    def ordered(self) -> list[ClauseTally]:
        """Clauses in force first, by how many applicants they reach and then by budget
        (an unbounded one first); then those stating a policy direction; then those not
        in force (drafts, expired), in file order."""
        def key(tally: ClauseTally) -> tuple[Any, ...]:
            rule = tally.rule
            if validity(rule, self.as_of):
                return (2,)
            if policy_direction(rule):
                return (1,)
            budget = tally.max_total
            return (0, -tally.eligible, budget is not None, -(budget or ZERO), -tally.needs_info)
        return sorted(self.tallies.values(), key=key)

    def rows(self) -> list[list[Any]]:
        """One row per clause (``ordered``), then the total over every priced clause."""
        out: list[list[Any]] = []
        low = ZERO
        high_total: Decimal | None = ZERO
        exposure_total: Decimal | None = ZERO
        for tally in self.ordered():
            rule = tally.rule
            why_not = validity(rule, self.as_of)
            out.append([rule.id, rule.clause.title, PROFILE_KIND_LABELS[rule.profile_kind],
                        f"未施行：{why_not}" if why_not else
                        "施行中（政策导向）" if policy_direction(rule) else "施行中",
                        rule.clause.benefit.text,
                        citation_ref(rule), tally.eligible, tally.needs_info, tally.near_miss,
                        self.money(tally, tally.min_total) if tally.priced else "—",
                        self.money(tally, tally.max_total), self.money(tally, tally.exposure)])
            if tally.priced:
                low += tally.min_total
                high_total = _plus(high_total, tally.max_total)
                exposure_total = _plus(exposure_total, tally.exposure)
        # Per-clause totals add up every award; where a 就高不重复 group spans tallied
        # clauses an applicant gets only one of them, so the sum is an upper bound.
        stacked = any(g.policy == "highest" and sum(c in self.tallies for c in g.clauses) > 1
                      for g in self.groups)
        note = "各条款之和，未按就高不重复扣除，偏高" if stacked else ""
        out.append(["合计", f"{self.applicants} 名有效申请人", "", note, "", "", "", "", "", low,
                    UNBOUNDED if high_total is None else high_total,
                    UNBOUNDED if exposure_total is None else exposure_total])
        return out

    def overview(self, limit: int = 20) -> tuple[list[list[Any]], int, list[Any]]:
        """What a terminal shows of ``rows``: the clauses in force that someone is eligible
        for, waits for facts for or is one short of (all of them when there are at most
        ``limit``), how many clauses not in force or stating a policy direction are left
        for the output file, and the total row."""
        *clauses, total = self.rows()
        shown: list[list[Any]] = []
        apart = 0
        for row in clauses:
            if str(row[3]).startswith("未施行") or str(row[3]).endswith("（政策导向）"):
                apart += 1
            elif row[6] or row[7] or row[8] or len(self.tallies) <= limit:
                shown.append(row)
        return shown, apart, total
