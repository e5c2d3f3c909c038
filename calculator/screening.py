"""Deciding every clause for one profile, and the short result a batch keeps.

A ``Report`` explains every comparison of every clause. Screening thousands of applicants
needs less: what each one qualifies for, what is missing, what nearly fits, and the totals.
Both are built on the same decision (``decide``), so a screening can never disagree with
the report for the same profile. Everything that does not depend on the profile (compiled
conditions, fixed amounts, the citation reference) is prepared once per bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .amounts import compute, describe
from .conditions import Check, Count, Outcome, compile_check, compile_flips
from .errors import EvaluationError
from .explaining import failed_reasons, unknown_sources
from .fields import FIELDS
from .loading import Bundle, ClauseRule
from .report import BenefitOut, Status
from .schema import CaseByCase, Fixed, NonMonetary, UpTo
from .stacking import combine

#: Benefits whose amount is the same for every profile.
_STATIC_BENEFITS = (Fixed, UpTo, CaseByCase, NonMonetary)
_STATUS = {Outcome.MET: "eligible", Outcome.FAILED: "ineligible", Outcome.UNKNOWN: "needs_info"}


def validity(rule: ClauseRule, as_of: date) -> str | None:
    """Why the clause is not in force on ``as_of``, or ``None`` when it is."""
    if rule.document.status == "draft":
        return "征求意见稿，尚未正式施行"
    period = rule.effective
    if period.start and as_of < period.start:
        return f"尚未生效：自 {period.start.isoformat()} 起施行（评估日期 {as_of.isoformat()}）"
    if period.end and as_of > period.end:
        return f"已失效：施行至 {period.end.isoformat()}（评估日期 {as_of.isoformat()}）"
    return None


def citation_ref(rule: ClauseRule) -> str:
    """Where the clause is written, short enough for a spreadsheet cell."""
    doc = rule.document
    where = doc.doc_number or f"《{doc.title}》"
    return f"{where} {rule.clause.citation.article}".strip()


@dataclass(frozen=True)
class Prepared:
    """A clause with everything about it that does not depend on the profile."""

    rule: ClauseRule
    check: Check
    flips: Count
    static_benefit: BenefitOut | None
    static_amount: str | None
    cite: str
    #: as_of -> validity; a handful of dates per process, each computed once
    _validity: dict[date, str | None] = field(default_factory=dict, compare=False, repr=False)

    def validity(self, as_of: date) -> str | None:
        try:
            return self._validity[as_of]
        except KeyError:
            return self._validity.setdefault(as_of, validity(self.rule, as_of))

    def benefit(self, values: Mapping[str, Any]) -> BenefitOut:
        """The benefit for these values: a fresh object, the caller may keep it."""
        return compute(self.rule.clause.benefit, self.rule.profile_kind, values)

    def shared_benefit(self, values: Mapping[str, Any]) -> BenefitOut:
        """The same, possibly shared between calls: read it, never change or hand it out."""
        return self.static_benefit or self.benefit(values)


def prepare(bundle: Bundle) -> dict[str, tuple[Prepared, ...]]:
    """The bundle's clauses per profile kind, in bundle order."""
    per_kind: dict[str, list[Prepared]] = {}
    for rule in bundle.clauses:
        benefit = rule.clause.benefit
        static = (compute(benefit, rule.profile_kind, {})
                  if isinstance(benefit, _STATIC_BENEFITS) else None)
        per_kind.setdefault(rule.profile_kind, []).append(Prepared(
            rule, compile_check(rule.condition), compile_flips(rule.condition), static,
            describe(static) if static else None, citation_ref(rule)))
    return {kind: tuple(items) for kind, items in per_kind.items()}


@dataclass(frozen=True)
class Decision:
    #: what the conditions say: eligible, needs_info or ineligible
    outcome: Status
    #: why the clause is not in force on the date, if it is not
    validity: str | None
    #: ineligible, in force, and one changed comparison away from eligible
    near_miss: bool

    @property
    def status(self) -> Status:
        return "not_in_force" if self.validity else self.outcome


def decide(item: Prepared, values: Mapping[str, Any], matched: frozenset[str],
           as_of: date) -> Decision:
    """The clause's status for these values; raises ``EvaluationError`` when the rules
    engine and the reference evaluation disagree, rather than return either answer."""
    outcome = item.check(values)
    rule_id = item.rule.id
    if (outcome is Outcome.MET) != (rule_id in matched):
        raise EvaluationError(
            f"条款 {rule_id}：规则引擎判定为{'符合' if rule_id in matched else '不符合'}，"
            f"参考求值为 {outcome.value}；结果不可信，已停止")
    why_not = item.validity(as_of)
    near = outcome is Outcome.FAILED and not why_not and item.flips(values) == 1
    return Decision(_STATUS[outcome], why_not, near)  # type: ignore[arg-type]


def missing_for(item: Prepared, values: Mapping[str, Any], outcome: Status,
                benefit: BenefitOut) -> dict[str, str]:
    """For an unknown clause, the fields (name -> label) that would decide it; for an
    unknown or eligible one, also the base its amount is computed from when it is blank."""
    missing = unknown_sources(item.rule.condition, values) if outcome == "needs_info" else {}
    base = benefit.base_field
    if base and benefit.base_amount is None and outcome in ("eligible", "needs_info"):
        missing.setdefault(base, FIELDS[item.rule.profile_kind][base].label)
    return missing


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

    @property
    def hits(self) -> tuple[Hit, ...]:
        return self.eligible + self.needs_info + self.near_misses


def screen(items: Sequence[Prepared], bundle: Bundle, kind: str, name: str,
           values: Mapping[str, Any], matched: frozenset[str], as_of: date) -> Screening:
    found: dict[str, list[Hit]] = {"eligible": [], "needs_info": [], "ineligible": []}
    cash: list[tuple[str, BenefitOut]] = []
    for item in items:
        decision = decide(item, values, matched, as_of)
        status = decision.status
        if (status == "ineligible" and not decision.near_miss) or status == "not_in_force":
            continue
        rule = item.rule
        benefit = item.shared_benefit(values)
        missing: tuple[str, ...] = ()
        why: tuple[str, ...] = ()
        if status == "eligible":
            cash.append((rule.id, benefit))
        elif status == "needs_info":
            missing = tuple(missing_for(item, values, status, benefit).values())
        else:
            why = tuple(failed_reasons(rule.condition, values))
        amount = item.static_amount or describe(benefit)
        found[status].append(Hit(rule.id, rule.clause.title, status, benefit.kind, amount,
                                 benefit.min, benefit.max, item.cite, missing, why))
    (low, high), _ = combine(cash, bundle.groups)
    return Screening(kind, name, tuple(found["eligible"]), tuple(found["needs_info"]),
                     tuple(found["ineligible"]), low, high)
