"""The calculator: load a rule bundle once, evaluate many profiles.

The rules engine decides which clauses are met; the reference evaluator explains every
clause (three-valued, with reasons) and is checked against the engine on every call, so
an engine fault can never silently produce a wrong result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .amounts import compute
from .compiling import compile_bundle
from .conditions import Outcome, evaluate, flips_needed
from .engine import Engine
from .errors import EvaluationError
from .explaining import missing_fields, reasons
from .fields import FIELDS
from .loading import Bundle, ClauseRule, load_bundle
from .profiles import CompanyProfile, TalentProfile, profile_values
from .report import STATUS_ORDER, CitationOut, ClauseResult, Missing, ProfileRef, Report
from .schema import TARGET_LABELS
from .stacking import apply

AnyProfile = CompanyProfile | TalentProfile


@cache
def package_version() -> str:
    try:
        return metadata.version("policy-calculator")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def shipped_rules() -> Path:
    """The rule corpus shipped with the package (``rules/`` in a source checkout)."""
    packaged = Path(str(resources.files("calculator"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


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


def citation(rule: ClauseRule) -> CitationOut:
    doc = rule.document
    return CitationOut(document=doc.title, doc_number=doc.doc_number, issuer=doc.issuer,
                       date=doc.date, article=rule.clause.citation.article,
                       quote=rule.clause.citation.quote, source=doc.source, status=doc.status,
                       reports_on=doc.reports_on)


@dataclass(frozen=True)
class _Compiled:
    """A bundle and the engine compiled from it: swapped as one, never mutated."""

    bundle: Bundle
    engine: Engine


def _compile(bundle: Bundle) -> _Compiled:
    return _Compiled(bundle, Engine(compile_bundle(bundle)))


class Calculator:
    """A compiled rule bundle. Thread-safe: ``evaluate`` may be called from many threads,
    and ``reload`` may swap in new rules while they run."""

    def __init__(self, bundle: Bundle) -> None:
        self._current = _compile(bundle)

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Calculator:
        """Load, check and compile every rule file under ``directory`` (default: the
        shipped corpus). Raises ``RuleFileError`` listing every problem."""
        return cls(load_bundle(shipped_rules() if directory is None else directory))

    def reload(self, directory: str | Path | None = None) -> str:
        """Load and compile new rules, then swap them in as one step; returns the new rules
        version. Calls already running finish on the rules they started with. If the new
        rules fail to load (``RuleFileError``) nothing changes and the old rules keep
        serving."""
        fresh = _compile(load_bundle(shipped_rules() if directory is None else directory))
        # A single attribute store: readers see either the old or the new pair, never a mix.
        self._current = fresh
        return fresh.bundle.version

    @property
    def bundle(self) -> Bundle:
        return self._current.bundle

    @property
    def rules_version(self) -> str:
        return self._current.bundle.version

    def evaluate(self, profile: AnyProfile, as_of: date | None = None) -> Report:
        """Every clause for the profile's kind, with status, amount, reasons and citation."""
        current = self._current  # read once: a concurrent reload must not mix two bundles
        bundle = current.bundle
        as_of = as_of or date.today()
        values = profile_values(profile, as_of)
        kind = profile.kind
        matched = current.engine.match(kind, values)
        results = [self._result(rule, values, matched, as_of)
                   for rule in bundle.clauses if rule.profile_kind == kind]
        results.sort(key=lambda r: STATUS_ORDER.index(r.status))
        totals = apply(results, bundle.groups)
        return Report(profile=ProfileRef(kind=kind, name=profile.name), as_of=as_of,
                      rules_version=bundle.version, engine_version=package_version(),
                      results=results, totals=totals)

    def evaluate_many(self, profiles: Iterable[AnyProfile],
                      as_of: date | None = None) -> list[Report]:
        return [self.evaluate(p, as_of) for p in profiles]

    def _result(self, rule: ClauseRule, values: dict[str, Any], matched: frozenset[str],
                as_of: date) -> ClauseResult:
        outcome = evaluate(rule.condition, values)
        if (outcome is Outcome.MET) != (rule.id in matched):
            raise EvaluationError(
                f"条款 {rule.id}：规则引擎判定为{'符合' if rule.id in matched else '不符合'}，"
                f"参考求值为 {outcome.value}；结果不可信，已停止")
        status = {Outcome.MET: "eligible", Outcome.FAILED: "ineligible",
                  Outcome.UNKNOWN: "needs_info"}[outcome]
        why_not = validity(rule, as_of)
        benefit = compute(rule.clause.benefit, rule.profile_kind, values)
        missing = missing_fields(rule.condition, values) if status == "needs_info" else []
        base = benefit.base_field
        if (base and benefit.base_amount is None and status in ("eligible", "needs_info")
                and not any(m.field == base for m in missing)):
            missing.append(Missing(field=base, label=FIELDS[rule.profile_kind][base].label))
        near = status == "ineligible" and flips_needed(rule.condition, values) == 1
        return ClauseResult(
            clause_id=rule.id, title=rule.clause.title, target=TARGET_LABELS[rule.clause.target],
            status="not_in_force" if why_not else status,
            benefit=benefit, citation=citation(rule), reasons=reasons(rule.condition, values),
            missing=missing, near_miss=near and not why_not, validity=why_not)


__all__ = ["Calculator", "shipped_rules"]
