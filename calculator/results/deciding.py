"""Deciding one clause for one profile: met, failed or unknown by the reference evaluator,
checked against the rules engine's answer, then whether it is in force on the date and
whether a failure is a near miss (差一项).

Both the full ``Report`` and a batch's short ``Screening`` are built on ``decide``, so they
can never disagree for the same profile. Everything that does not depend on the profile
(compiled conditions, fixed amounts, the citation reference) is prepared once per bundle.
"""


from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..base.errors import EvaluationError
from ..profiles.fields import FIELDS
from ..profiles.models import OUTSIDE_SUZHOU
from ..rules.conditions import Check, Count, Leaf, Outcome, compile_check, compile_flips, compile_some
from ..rules.loading import Bundle, ClauseRule, scope_text
from ..rules.schema import SUPPORT_LABELS, TARGET_LABELS, CaseByCase, Fixed, NonMonetary, UpTo
from .amounts import compute, describe
from .building import complete
from .explaining import Wording, WordingKey, leaf_sources, unknown_sources, wordings
from .report import BenefitOut, CitationOut, Status

_ORDERED_OPS = frozenset({"<", "<=", ">", ">="})
_MAXIMUM_OPS = frozenset({"<", "<=", "=="})


def out_of_reach(leaf: Leaf) -> bool:
    """Whether failing this comparison is something the applicant cannot change: where it
    is (板块, 功能区), its nationality or organisation type, a past event (already listed, first
    entry years ago), or being over a maximum age. Such a failure is never a near miss, or
    everyone outside a district would nearly qualify for all of its clauses."""
    fixed = leaf.field.fixed
    return fixed == "always" or (fixed == "upper" and leaf.op in _MAXIMUM_OPS)


def _not_city_scope(leaf: Leaf) -> bool:
    """Being in Suzhou is met by everyone a city-wide clause is for: meeting it does not make
    a one-condition clause "nearly" met."""
    return not (leaf.field.name == "district" and leaf.op == "!=" and leaf.value == OUTSIDE_SUZHOU)


def _cost(leaf: Leaf) -> int:
    return 2 if out_of_reach(leaf) else 1


def _gap_cost(leaf: Leaf) -> int:
    return 1 if leaf.op in _ORDERED_OPS and not out_of_reach(leaf) else 2


def _near(flips: Count, gap: Count, some_met: Callable[[Mapping[str, Any]], bool]) -> Near:
    """A near miss (差一项): one comparison away from eligible, that comparison not about
    where the applicant is, and either a threshold missed by a gap (营业收入 差 2000万元)
    or the only unmet requirement among some that are met. A clause the profile meets
    nothing of (a one-condition clause for other kinds of firm) is not "nearly" met."""
    return lambda values: flips(values) == 1 and (gap(values) == 1 or some_met(values))
#: Benefits whose amount is the same for every profile.
_STATIC_BENEFITS = (Fixed, UpTo, CaseByCase, NonMonetary)
Near = Callable[[Mapping[str, Any]], bool]
_STATUS = {Outcome.MET: "eligible", Outcome.FAILED: "ineligible", Outcome.UNKNOWN: "needs_info"}


def validity(rule: ClauseRule, as_of: date) -> str | None:
    """Why the clause is not in force on ``as_of``, or ``None`` when it is."""
    if rule.document.status == "draft":
        return "征求意见稿，尚未正式施行"
    period = rule.effective
    basis = f"。依据：{period.basis}" if period.basis else ""
    if period.start and as_of < period.start:
        return (f"尚未施行：自 {period.start.isoformat()} 起施行，评估日期 {as_of.isoformat()} "
                f"在此之前{basis}")
    if period.end and as_of > period.end:
        return (f"政策期已结束：施行至 {period.end.isoformat()}，评估日期 {as_of.isoformat()} "
                f"在此之后{basis}")
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
    id: str
    check: Check
    #: whether a failed clause is a near miss
    near: Near
    static_benefit: BenefitOut | None
    static_amount: str | None
    cite: str
    sources: tuple[tuple[str, str, str], ...]
    #: the clause's comparisons with their fixed words, for its reasons
    wordings: tuple[Wording, ...]
    #: the fields of its ``ClauseResult`` that are the same for every profile
    heading: dict[str, Any]
    #: as_of -> validity; a handful of dates per process, each computed once
    _validity: dict[date, str | None] = field(default_factory=dict, compare=False, repr=False)

    def validity(self, as_of: date) -> str | None:
        try:
            return self._validity[as_of]
        except KeyError:
            return self._validity.setdefault(as_of, validity(self.rule, as_of))

    def benefit(self, values: Mapping[str, Any]) -> BenefitOut:
        """The benefit for these values: a fresh object, the caller may keep it."""
        static = self.static_benefit
        if static is not None:
            return complete(BenefitOut, {**static.__dict__, "payers": list(static.payers)})
        return compute(self.rule.clause.benefit, self.rule.profile_kind, values, self.rule.thresholds)

    def shared_benefit(self, values: Mapping[str, Any]) -> BenefitOut:
        """The same, possibly shared between calls: read it, never change or hand it out."""
        return self.static_benefit or self.benefit(values)


def citation(rule: ClauseRule) -> CitationOut:
    doc = rule.document
    return CitationOut(document=doc.title, doc_number=doc.doc_number, issuer=doc.issuer,
                       date=doc.date, article=rule.clause.citation.article,
                       quote=rule.clause.citation.quote, source=doc.source, status=doc.status,
                       reports_on=doc.reports_on)


def _heading(rule: ClauseRule) -> dict[str, Any]:
    """The fields of the clause's results that are the same for every profile; the
    citation is one object shared by every report, never changed."""
    clause = rule.clause
    return {"clause_id": rule.id, "title": clause.title, "target": TARGET_LABELS[clause.target],
            "support": clause.support, "support_label": SUPPORT_LABELS[clause.support],
            "scope": scope_text(clause.scope), "citation": citation(rule)}


def prepare(bundle: Bundle) -> dict[str, tuple[Prepared, ...]]:
    """The bundle's clauses per profile kind, in bundle order."""
    per_kind: dict[str, list[Prepared]] = {}
    memo: dict[WordingKey, Wording] = {}
    for rule in bundle.clauses:
        benefit = rule.clause.benefit
        static = (compute(benefit, rule.profile_kind, {}, rule.thresholds)
                  if isinstance(benefit, _STATIC_BENEFITS) else None)
        per_kind.setdefault(rule.profile_kind, []).append(Prepared(
            rule, rule.id, compile_check(rule.condition),
            _near(compile_flips(rule.condition, cost=_cost), compile_flips(rule.condition, cost=_gap_cost),
                  compile_some(rule.condition, counts=_not_city_scope)),
            static,
            describe(static) if static else None, citation_ref(rule), leaf_sources(rule.condition),
            wordings(rule.condition, memo), _heading(rule)))
    return {kind: tuple(items) for kind, items in per_kind.items()}


@dataclass(frozen=True)
class Decision:
    #: what the conditions say: eligible, needs_info or ineligible
    outcome: Status
    #: why the clause is not in force on the date, if it is not
    validity: str | None
    #: ineligible, in force, and a near miss (see ``_near``)
    near_miss: bool

    @property
    def status(self) -> Status:
        return "not_in_force" if self.validity else self.outcome


def disagreement(rule_id: str, matched: frozenset[str], outcome: Outcome) -> EvaluationError:
    return EvaluationError(
        f"条款 {rule_id}：规则引擎判定为{'符合' if rule_id in matched else '不符合'}，"
        f"参考求值为 {outcome.value}；结果不可信，已停止")


def decide(item: Prepared, values: Mapping[str, Any], matched: frozenset[str],
           as_of: date) -> Decision:
    """The clause's status for these values; raises ``EvaluationError`` when the rules
    engine and the reference evaluation disagree, rather than return either answer."""
    outcome = item.check(values)
    if (outcome is Outcome.MET) != (item.id in matched):
        raise disagreement(item.id, matched, outcome)
    why_not = item.validity(as_of)
    near = outcome is Outcome.FAILED and not why_not and item.near(values)
    return Decision(_STATUS[outcome], why_not, near)  # type: ignore[arg-type]


def missing_for(item: Prepared, values: Mapping[str, Any], outcome: Status,
                benefit: BenefitOut) -> dict[str, str]:
    """For an unknown clause, the fields (name -> label) that would decide it; for an
    unknown or eligible one, also the base its amount is computed from when it is blank."""
    missing = (unknown_sources(item.rule.condition, values, item.sources)
               if outcome == "needs_info" else {})
    base = benefit.base_field
    if base and benefit.base_amount is None and outcome in ("eligible", "needs_info"):
        missing.setdefault(base, FIELDS[item.rule.profile_kind][base].label)
    return missing


