"""What a clause is worth for a given profile.

A benefit is a range ``min..max`` in yuan: ``max`` is ``None`` when there is no maximum
(上不封顶, or an amount the policy does not state). Nothing here invents a number: when
the policy gives none, or the profile lacks the base an amount is computed from, the range
says so and a note explains why.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..base.money import format_money, normalize
from ..profiles.fields import FIELDS
from ..rules.schema import (
    Benefit,
    CaseByCase,
    Fixed,
    NonMonetary,
    PerUnit,
    Ratio,
    Tax,
    Tiers,
    UpTo,
)
from .report import BenefitOut

ZERO = Decimal(0)
#: Benefit kinds that are cash and count towards totals.
CASH_KINDS = frozenset({"fixed", "up_to", "ratio", "tiers", "per_unit", "case_by_case"})


def _capped(amount: Decimal, cap: Decimal | None) -> Decimal:
    return amount if cap is None else min(amount, cap)


def compute(benefit: Benefit, kind: str, values: Mapping[str, Any],
            thresholds: tuple[Any, ...] = ()) -> BenefitOut:
    """The benefit for these values; ``thresholds`` are a tiered benefit's typed
    ``at_least`` values, from ``ClauseRule.thresholds``."""
    common: dict[str, Any] = {"kind": benefit.kind, "text": benefit.text,
                              "payers": list(benefit.payers)}
    if isinstance(benefit, Fixed):
        return BenefitOut(min=benefit.amount, max=benefit.amount, **common)
    if isinstance(benefit, UpTo):
        return BenefitOut(min=ZERO, max=benefit.max, cap=benefit.max, **common)
    if isinstance(benefit, (Ratio, PerUnit)):
        field = benefit.base if isinstance(benefit, Ratio) else benefit.field
        spec = FIELDS[kind][field]
        base = values.get(field)
        extra: dict[str, Any] = {"cap": benefit.max, "uncapped": benefit.uncapped,
                                 "base_field": field, "base_label": spec.label}
        if isinstance(benefit, Ratio):
            extra["ratio"] = benefit.ratio
        if base is None:
            return BenefitOut(min=ZERO, max=benefit.max, note=f"{spec.label}未提供，金额无法计算",
                              **extra, **common)
        per = benefit.ratio if isinstance(benefit, Ratio) else benefit.unit_amount
        amount = normalize(_capped(Decimal(base) * per, benefit.max))
        low = ZERO if isinstance(benefit, Ratio) and benefit.up_to else amount
        return BenefitOut(min=low, max=amount, base_amount=Decimal(base), **extra, **common)
    if isinstance(benefit, Tiers):
        spec = FIELDS[kind][benefit.field]
        top = max(t.amount for t in benefit.tiers)
        value = values.get(benefit.field)
        extra = {"base_field": benefit.field, "base_label": spec.label}
        if value is None:
            return BenefitOut(min=ZERO, max=top, note=f"{spec.label}未提供，无法确定档位",
                              **extra, **common)
        reached = [t.amount for t, at_least in zip(benefit.tiers, thresholds, strict=True)
                   if value >= at_least]
        amount = reached[-1] if reached else ZERO
        note = None if reached else f"{spec.label}未达到最低档"
        base_amount = Decimal(value) if spec.type == "money" else None
        return BenefitOut(min=amount, max=amount, note=note, base_amount=base_amount,
                          **extra, **common)
    if isinstance(benefit, Tax):
        spec = FIELDS[kind][benefit.base]
        base = values.get(benefit.base)
        extra = {"base_field": benefit.base, "base_label": spec.label, "ratio": benefit.rate}
        if base is None:
            return BenefitOut(min=None, max=None, note=f"{spec.label}未提供，无法计算扣除基数",
                              **extra, **common)
        return BenefitOut(min=None, max=None, base_amount=base,
                          deduction_base=normalize(base * benefit.rate), **extra, **common)
    if isinstance(benefit, CaseByCase):
        return BenefitOut(min=None, max=None, note="一事一议，政策未明确金额", **common)
    assert isinstance(benefit, NonMonetary)
    return BenefitOut(min=None, max=None, note="非资金类支持", **common)


def describe(benefit: BenefitOut) -> str:
    """Short Chinese amount for tables: ``3000万元``, ``最高 1亿元``, ``2亿元（上不封顶）``."""
    kind = benefit.kind
    if kind == "case_by_case":
        return "一事一议（金额未明确）"
    if kind == "non_monetary":
        return "非资金支持"
    if kind == "tax":
        if benefit.deduction_base is not None:
            return f"加计扣除基数 {format_money(benefit.deduction_base)}"
        return "税收优惠（扣除基数待补充）"
    if benefit.max is None:
        if kind in ("ratio", "per_unit") and benefit.base_amount is None:
            return "上不封顶（基数待补充）" if benefit.uncapped else "金额待补充基数"
        return "上不封顶"
    suffix = "（上不封顶）" if benefit.uncapped else ""
    if benefit.min == benefit.max:
        return f"{format_money(benefit.max)}{suffix}"
    if benefit.min in (None, ZERO):
        return f"最高 {format_money(benefit.max)}{suffix}"
    assert benefit.min is not None
    return f"{format_money(benefit.min)}～{format_money(benefit.max)}{suffix}"
