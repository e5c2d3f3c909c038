"""Lint: what loads but is still wrong or suspicious in a rule bundle.

Loading already rejects what can never be correct in shape or type (unknown fields,
duplicate ids, unknown refs, overlapping stacking groups). Lint looks at meaning:
conditions that can never hold together, quotes that are blank, definitions nobody uses,
documents that do not say when and why they are in force, and profile fields no rule
reads (a hint, not an error: identity fields are never read).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from ..profiles.fields import FIELDS
from .conditions import All, Any_, Leaf, Named, Node, Not, leaves, normal_form
from .loading import Bundle, ClauseRule
from .schema import PerUnit, Ratio, Tax, Tiers

Severity = Literal["error", "warning"]
#: Fields that identify a profile rather than qualify it: no rule is expected to read them.
IDENTITY_FIELDS = frozenset({"name", "credit_code", "employer", "employer_credit_code", "team_name",
                             "project_name"})
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
Literal_ = tuple[Leaf, bool]  # a comparison and whether it must hold (False: must fail)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    where: str
    message: str

    def __str__(self) -> str:
        mark = "错误" if self.severity == "error" else "提示"
        return f"[{mark}] {self.where}：{self.message}"


def _literal(leaf: Leaf, must_hold: bool) -> list[list[Literal_]]:
    return [[(leaf, must_hold)]]


def _step(value: Any) -> Any:
    """The smallest increment of a discrete value, so ``x > 35`` becomes ``x >= 36``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 1
    if hasattr(value, "toordinal"):
        return timedelta(days=1)
    return None


def _satisfiable(conjunct: list[Literal_]) -> str | None:
    """``None`` if the conjunction can hold; otherwise why not."""
    by_field: dict[str, list[tuple[str, Any]]] = {}
    for leaf, must in conjunct:
        if leaf.op == "exists":
            if not must and not leaf.field.accepts_none:
                return (f"“{leaf.field.label} 未填写”永远无法判定为满足（exists 只会满足或未知；"
                        "该字段不能填“无”）")
            continue
        if leaf.field.type == "set":
            items = (leaf.value,) if leaf.op == "contains" else tuple(leaf.value)
            op = leaf.op if must else {"contains": "lacks", "contains_any": "lacks_all",
                                       "contains_all": "lacks_any"}[leaf.op]
            by_field.setdefault(leaf.field.name, []).append((op, items))
            continue
        if leaf.op == "in":
            by_field.setdefault(leaf.field.name, []).append(("in" if must else "not_in", leaf.value))
            continue
        by_field.setdefault(leaf.field.name, []).append((leaf.op if must else _NEGATE[leaf.op], leaf.value))
    for name, constraints in by_field.items():
        problem = _field_conflict(constraints)
        if problem:
            return f"{_label(name)}：{problem}"
    return None


def _label(name: str) -> str:
    for specs in FIELDS.values():
        if name in specs:
            return f"{specs[name].label}（{name}）"
    return name


def _field_conflict(constraints: list[tuple[str, Any]]) -> str | None:
    have: set[Any] = set()
    lack: set[Any] = set()
    allowed: set[Any] | None = None
    banned: set[Any] = set()
    low: tuple[Any, bool] | None = None  # (value, inclusive)
    high: tuple[Any, bool] | None = None
    for op, value in constraints:
        if op in ("contains", "contains_all"):
            have |= set(value)
        elif op in ("lacks", "lacks_all"):
            lack |= set(value)
        elif op in ("contains_any", "lacks_any"):
            continue  # one-of constraints: judged below only when fully blocked
        elif op in ("==", "in"):
            values = {value} if op == "==" else set(value)
            allowed = values if allowed is None else allowed & values
        elif op in ("!=", "not_in"):
            banned |= {value} if op == "!=" else set(value)
        elif op in (">", ">="):
            cand = (value, op == ">=")
            if low is None or cand[0] > low[0] or (cand[0] == low[0] and not cand[1]):
                low = cand
        else:
            cand = (value, op == "<=")
            if high is None or cand[0] < high[0] or (cand[0] == high[0] and not cand[1]):
                high = cand
    if have & lack:
        return f"既要求包含又要求不包含 {'、'.join(sorted(map(str, have & lack)))}"
    for op, value in constraints:
        if op == "contains_any" and set(value) <= lack:
            return f"要求包含其一 {'、'.join(value)}，但这些都被排除"
        if op == "lacks_any" and set(value) <= have:
            return f"要求不全包含 {'、'.join(value)}，但这些都被要求包含"
    if allowed is not None:
        allowed -= banned
        allowed = {v for v in allowed if _within(v, low, high)}
        return None if allowed else "取值条件互相矛盾，没有任何值能同时满足"
    if low is not None and high is not None:
        lo, lo_inc = low
        hi, hi_inc = high
        step = _step(lo)
        if step is not None:  # discrete: turn strict bounds into inclusive ones
            lo, lo_inc = (lo if lo_inc else lo + step), True
            hi, hi_inc = (hi if hi_inc else hi - step), True
        if lo > hi or (lo == hi and not (lo_inc and hi_inc)) or (lo == hi and lo in banned):
            return f"范围为空：要求 {'≥' if low[1] else '>'} {low[0]} 且 {'≤' if high[1] else '<'} {high[0]}"
    return None


def _within(value: Any, low: tuple[Any, bool] | None, high: tuple[Any, bool] | None) -> bool:
    if low is not None and (value < low[0] or (value == low[0] and not low[1])):
        return False
    return not (high is not None and (value > high[0] or (value == high[0] and not high[1])))


def _where(rule: ClauseRule) -> str:
    return f"{rule.file}:{rule.line} {rule.id}"


def _refs(node: Node | None) -> Iterator[str]:
    if isinstance(node, Named):
        yield node.name
        yield from _refs(node.child)
    elif isinstance(node, Not):
        yield from _refs(node.child)
    elif isinstance(node, (All, Any_)):
        for child in node.children:
            yield from _refs(child)


def _fields_read(rule: ClauseRule) -> set[str]:
    read = {leaf.field.source or leaf.field.name for leaf in leaves(rule.condition)}
    read |= {leaf.field.name for leaf in leaves(rule.condition)}
    benefit = rule.clause.benefit
    if isinstance(benefit, (Ratio, Tax)):
        read.add(benefit.base)
    if isinstance(benefit, (PerUnit, Tiers)):
        read.add(benefit.field)
    return read


def lint(bundle: Bundle) -> list[Finding]:
    findings: list[Finding] = []
    used_refs: set[str] = set()
    read: dict[str, set[str]] = {kind: set() for kind in FIELDS}
    for rule in bundle.clauses:
        if not rule.clause.citation.quote.strip():
            findings.append(Finding("error", _where(rule), "引文 quote 为空"))
        used_refs |= set(_refs(rule.condition))
        read[rule.profile_kind] |= _fields_read(rule)
        try:
            conjuncts = normal_form(rule.condition, _literal)
        except OverflowError:
            continue  # too large to compile at all: loading already refuses it
        reasons = [_satisfiable(c) for c in conjuncts]
        if conjuncts and all(reasons):
            findings.append(Finding("error", _where(rule), f"条件永远无法同时满足：{reasons[0]}"))
    documents = {rule.document.id: rule for rule in bundle.clauses}
    for doc_id, rule in sorted(documents.items()):
        if rule.document.effective is None:
            findings.append(Finding("error", f"{rule.file} document {doc_id}",
                                    "未写明 effective（施行起止日期及依据 basis）："
                                    "用户需要知道条款何时有效、为什么"))
    for name in sorted(set(bundle.definitions) - used_refs):
        findings.append(Finding("error", f"definitions.{name}", "定义未被任何条款使用"))
    for kind, specs in FIELDS.items():
        unread = [s for n, s in specs.items() if n not in read[kind] and n not in IDENTITY_FIELDS]
        if unread:
            names = "、".join(f"{s.label}（{s.name}）" for s in unread)
            findings.append(Finding("warning", f"{kind} 档案", f"没有条款读取这些字段：{names}"))
    return findings


__all__ = ["Finding", "lint"]
