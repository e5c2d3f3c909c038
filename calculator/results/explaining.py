"""Reasons: each comparison of a clause, with the profile's value, the requirement and
the outcome, in plain Chinese."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..base.money import format_money
from ..profiles.absent import NONE
from ..profiles.fields import FIELDS, FieldSpec
from ..profiles.models import OUTSIDE_SUZHOU
from ..rules.conditions import Check, Leaf, Named, Node, Not, Outcome, compile_check
from .building import complete
from .report import Reason

OP_SYMBOLS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
MARKS = {Outcome.MET: "✓", Outcome.FAILED: "✗", Outcome.UNKNOWN: "?"}


def show(spec: FieldSpec, value: Any) -> str:
    """A profile or rule value as users read it."""
    if value is None:
        return "未填写"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec.type == "money":
        return format_money(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return "、".join(c for c in spec.choices if c in value) or "（无）"
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def requirement(leaf: Leaf) -> str:
    spec, op = leaf.field, leaf.op
    if spec.name == "district" and op == "!=" and leaf.value == OUTSIDE_SUZHOU:
        return "为苏州市内的板块"  # the scope of a city-wide clause
    if op == "exists":
        return "已填写"
    if op in OP_SYMBOLS:
        return f"{OP_SYMBOLS[op]} {show(spec, leaf.value)}"
    if op == "in":
        return f"属于 {show(spec, leaf.value)}"
    if op == "contains":
        return f"包含 {leaf.value}"
    if op == "contains_any":
        return f"包含其一：{show(spec, leaf.value)}"
    return f"全部包含：{show(spec, leaf.value)}"


def _gap(leaf: Leaf, actual: Any) -> str:
    """``差 2000万元`` / ``超出 3`` for a failed ordered comparison of numbers or money."""
    spec, op, expected = leaf.field, leaf.op, leaf.value
    if actual is NONE or spec.type not in ("int", "number", "money") or op not in ("<", "<=", ">", ">="):
        return ""
    diff = expected - actual if op in (">", ">=") else actual - expected
    word = "差" if op in (">", ">=") else "超出"
    if diff == 0:
        return ""
    amount = format_money(Decimal(diff)) if spec.type == "money" else show(spec, diff)
    return f"，{word} {amount}"


def _walk(node: Node | None, negated: bool = False,
          definition: str | None = None) -> Iterator[tuple[Leaf, bool, str | None]]:
    if node is None:
        return
    if isinstance(node, Leaf):
        yield node, negated, definition
    elif isinstance(node, Named):
        yield from _walk(node.child, negated, definition or node.name)
    elif isinstance(node, Not):
        yield from _walk(node.child, not negated, definition)
    else:
        for child in node.children:
            yield from _walk(child, negated, definition)


@dataclass(frozen=True)
class Wording:
    """One comparison of a clause with every word of its reason that does not depend on
    the profile, prepared once per bundle: a report words dozens of comparisons per
    clause it shows, and rebuilding the requirement text each time is most of its cost."""

    leaf: Leaf
    negated: bool
    definition: str | None
    #: the comparison's outcome, negation applied
    outcome: Check
    #: the requirement as shown, with 不得 when negated
    need: str
    #: ``【定义】`` before the sentence, or empty
    prefix: str
    #: the whole reason when the field is blank (it does not depend on anything else)
    blank: dict[str, Any]


WordingKey = tuple[Leaf, bool, "str | None"]


def wordings(node: Node | None, memo: dict[WordingKey, Wording] | None = None) -> tuple[Wording, ...]:
    """The comparisons of the tree in order, each with its fixed words (see ``Wording``).
    ``memo`` shares one ``Wording`` between equal comparisons of many clauses (a corpus
    repeats the same thresholds and districts thousands of times)."""
    out: list[Wording] = []
    for leaf, negated, definition in _walk(node):
        key = (leaf, negated, definition)
        if memo is not None and key in memo:
            out.append(memo[key])
            continue
        spec = leaf.field
        need = requirement(leaf)
        if negated:
            need = f"不得{need}"
        prefix = f"【{definition}】" if definition else ""
        source = FIELDS[spec.kind][spec.source] if spec.source else spec
        blank = {"field": spec.name, "label": spec.label, "op": leaf.op, "expected": need,
                 "actual": None, "outcome": Outcome.UNKNOWN.value, "negated": negated,
                 "definition": definition,
                 "text": f"{MARKS[Outcome.UNKNOWN]} {prefix}{source.label}未填写，无法判断"
                         f"（要求 {spec.label} {need}）"}
        wording = Wording(leaf, negated, definition, compile_check(Not(leaf) if negated else leaf),
                          need, prefix, blank)
        if memo is not None:
            memo[key] = wording
        out.append(wording)
    return tuple(out)


def _worded(wording: Wording, outcome: Outcome, actual: Any, shown: str) -> str:
    """The sentence of a met or failed comparison; a failed one not negated says how far
    it is off."""
    gap = _gap(wording.leaf, actual) if outcome is Outcome.FAILED and not wording.negated else ""
    return f"{MARKS[outcome]} {wording.prefix}{wording.leaf.field.label} {shown}，要求 {wording.need}{gap}"


def reasons(prepared: tuple[Wording, ...], values: Mapping[str, Any],
            first_failed: bool = False) -> list[Reason]:
    """Every comparison of a clause (its ``wordings``), explained; with ``first_failed``,
    only the first one that fails (what an ineligible clause shows unless the full
    reasoning is asked for). Built without re-validation: every field is typed here already."""
    out: list[Reason] = []
    for wording in prepared:
        outcome = wording.outcome(values)
        if first_failed and outcome is not Outcome.FAILED:
            continue  # only the failed comparison is worded
        if outcome is Outcome.UNKNOWN:
            data = wording.blank.copy()
        else:
            spec = wording.leaf.field
            actual = values.get(spec.name)
            shown = show(spec, actual)
            data = {"field": spec.name, "label": spec.label, "op": wording.leaf.op,
                    "expected": wording.need, "actual": None if actual is None else shown,
                    "outcome": outcome.value, "negated": wording.negated,
                    "definition": wording.definition, "text": _worded(wording, outcome, actual, shown)}
        out.append(complete(Reason, data))
        if first_failed:
            break
    return out


def failed_reasons(prepared: tuple[Wording, ...], values: Mapping[str, Any]) -> list[str]:
    """The sentences of the comparisons that fail, as ``reasons`` words them."""
    out: list[str] = []
    for wording in prepared:
        actual = values.get(wording.leaf.field.name)
        if actual is not None and wording.outcome(values) is Outcome.FAILED:
            out.append(_worded(wording, Outcome.FAILED, actual, show(wording.leaf.field, actual)))
    return out


def leaf_sources(node: Node | None) -> tuple[tuple[str, str, str], ...]:
    """For each field the tree reads: (field, the profile field it comes from, its label);
    a derived field such as 年龄 comes from 出生日期."""
    found: dict[str, tuple[str, str, str]] = {}
    for leaf, _, _ in _walk(node):
        spec = leaf.field
        source = FIELDS[spec.kind][spec.source] if spec.source else spec
        found.setdefault(spec.name, (spec.name, source.name, source.label))
    return tuple(found.values())


def unknown_sources(node: Node | None, values: Mapping[str, Any],
                    sources: tuple[tuple[str, str, str], ...] | None = None) -> dict[str, str]:
    """Profile fields (name -> label) that would decide unknown comparisons: a comparison
    is unknown exactly when its field is blank. ``sources`` is ``leaf_sources(node)``."""
    found: dict[str, str] = {}
    for name, source, label in leaf_sources(node) if sources is None else sources:
        if values.get(name) is None:
            found.setdefault(source, label)
    return found
