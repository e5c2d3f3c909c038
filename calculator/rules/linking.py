"""Linking validated rule files into a bundle.

Every condition is checked against the profile field catalogue (the field exists for the
clause's target, the operator fits its type, the operand has the field's type and enum
values are allowed), definitions are resolved (no unknown or circular ``ref``), the
clause's scope is added to its condition, benefits are checked against the fields they
read (tier thresholds typed), ids are unique and stacking groups consistent. All problems
are collected and reported together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..base.errors import Problem, RuleFileError, did_you_mean
from ..base.yamlio import Document as YamlDocument
from ..profiles.fields import FIELDS, TYPE_LABELS, FieldSpec
from ..profiles.models import OUTSIDE_SUZHOU, SUZHOU_DISTRICTS
from .bundle import Bundle, ClauseRule
from .conditions import All, Any_, Leaf, Named, Node, Not
from .operands import OP_TYPES, operand
from .schema import (
    TARGET_PROFILE_KIND,
    AllOf,
    AnyOf,
    Clause,
    Comparison,
    Condition,
    DistrictScope,
    NotOf,
    PerUnit,
    Ratio,
    Ref,
    RuleFile,
    Scope,
    StackingGroup,
    Tax,
    Tiers,
    ZoneScope,
)


class _Linker:
    def __init__(self, parsed: Sequence[tuple[YamlDocument, RuleFile]]) -> None:
        self.parsed = parsed
        self.problems: list[Problem] = []
        self.definitions: dict[str, tuple[Condition, YamlDocument]] = {}
        for doc, rules in parsed:
            for name, cond in rules.definitions.items():
                if name in self.definitions:
                    other = self.definitions[name][1]
                    self.problems.append(doc.problem(
                        f"定义 {name} 重复（已在 {other.source}:"
                        f"{other.line_of(['definitions', name])} 定义）",
                        ["definitions", name]))
                    continue
                self.definitions[name] = (cond, doc)

    def condition(self, cond: Condition, kind: str, doc: YamlDocument, path: list[str | int],
                  stack: tuple[str, ...] = ()) -> Node | None:
        if isinstance(cond, Comparison):
            return self.comparison(cond, kind, doc, path)
        if isinstance(cond, (AllOf, AnyOf)):
            key = "all" if isinstance(cond, AllOf) else "any"
            items = cond.all if isinstance(cond, AllOf) else cond.any
            children = [self.condition(c, kind, doc, [*path, key, i], stack)
                        for i, c in enumerate(items)]
            if any(c is None for c in children):
                return None
            typed = tuple(c for c in children if c is not None)
            return All(typed) if key == "all" else Any_(typed)
        if isinstance(cond, NotOf):
            child = self.condition(cond.not_, kind, doc, [*path, "not"], stack)
            return None if child is None else Not(child)
        assert isinstance(cond, Ref)
        if cond.ref not in self.definitions:
            hint = did_you_mean(cond.ref, self.definitions)
            self.problems.append(doc.problem(f"未定义的 ref {cond.ref}{hint}", [*path, "ref"]))
            return None
        if cond.ref in stack:
            chain = " → ".join([*stack, cond.ref])
            self.problems.append(doc.problem(f"定义循环引用：{chain}", [*path, "ref"]))
            return None
        body, body_doc = self.definitions[cond.ref]
        child = self.condition(body, kind, body_doc, ["definitions", cond.ref], (*stack, cond.ref))
        return None if child is None else Named(cond.ref, child)

    def comparison(self, cmp: Comparison, kind: str, doc: YamlDocument,
                   path: list[str | int]) -> Leaf | None:
        fields = FIELDS[kind]
        spec = fields.get(cmp.field)
        if spec is None:
            hint = did_you_mean(cmp.field, fields)
            other = [k for k, f in FIELDS.items() if cmp.field in f and k != kind]
            extra = f"（{cmp.field} 是 {other[0]} 档案的字段）" if other else ""
            self.problems.append(doc.problem(
                f"{kind} 档案没有字段 {cmp.field}{extra}{hint}", [*path, "field"]))
            return None
        allowed = OP_TYPES[cmp.op]
        if spec.type not in allowed:
            ops = [op for op, types_ in OP_TYPES.items() if spec.type in types_]
            self.problems.append(doc.problem(
                f"运算符 {cmp.op} 不适用于字段 {spec.name}（{spec.label}，{TYPE_LABELS[spec.type]}）；"
                f"可用的运算符：{' '.join(ops)}", [*path, "op"]))
            return None
        try:
            value = operand(spec, cmp.op, cmp.value)
        except ValueError as err:
            self.problems.append(doc.problem(str(err), [*path, "value"]))
            return None
        return Leaf(spec, cmp.op, value)


def _benefit_field(linker: _Linker, doc: YamlDocument, path: list[str | int], kind: str,
                   name: str, types_: tuple[str, ...], role: str) -> FieldSpec | None:
    spec = FIELDS[kind].get(name)
    if spec is None:
        linker.problems.append(doc.problem(
            f"{kind} 档案没有字段 {name}{did_you_mean(name, FIELDS[kind])}", path))
        return None
    if spec.type not in types_:
        linker.problems.append(doc.problem(
            f"{role}字段 {name}（{spec.label}）是{TYPE_LABELS[spec.type]}，应为"
            f"{'或'.join(TYPE_LABELS[t] for t in types_)}", path))
        return None
    return spec


def _check_benefit(linker: _Linker, clause: Clause, kind: str, doc: YamlDocument,
                   path: list[str | int]) -> tuple[Any, ...]:
    """Check the fields a benefit reads; return a tiered benefit's typed thresholds."""
    benefit = clause.benefit
    bpath = [*path, "benefit"]
    if isinstance(benefit, (Ratio, Tax)):
        _benefit_field(linker, doc, [*bpath, "base"], kind, benefit.base, ("money",), "计算基数")
    elif isinstance(benefit, PerUnit):
        _benefit_field(linker, doc, [*bpath, "field"], kind, benefit.field, ("int",), "计件")
    elif isinstance(benefit, Tiers):
        spec = _benefit_field(linker, doc, [*bpath, "field"], kind, benefit.field,
                              ("int", "number", "money"), "分档")
        if spec is None:
            return ()
        thresholds: list[Any] = []
        for i, tier in enumerate(benefit.tiers):
            try:
                threshold = operand(spec, ">=", tier.at_least)
            except ValueError as err:
                linker.problems.append(doc.problem(str(err), [*bpath, "tiers", i, "at_least"]))
                return ()
            if thresholds and threshold <= thresholds[-1]:
                linker.problems.append(doc.problem(
                    "分档 at_least 应从小到大严格递增", [*bpath, "tiers", i, "at_least"]))
            thresholds.append(threshold)
        return tuple(thresholds)
    return ()


def scope_conditions(scope: Scope, kind: str) -> tuple[Leaf, ...]:
    """Where a clause applies, as the comparisons every profile must meet: in Suzhou (a
    blank location is unknown, 苏州市外 fails), in one district, or in one zone of Suzhou
    (a zone such as the 示范区 reaches beyond the city, so it must be in Suzhou as well)."""
    fields = FIELDS[kind]
    # one engine atom rather than ten: blank is unknown, 苏州市外 fails, any district is met
    in_suzhou = Leaf(fields["district"], "!=", OUTSIDE_SUZHOU)
    if isinstance(scope, DistrictScope):
        return (Leaf(fields["district"], "==", scope.district),)
    if isinstance(scope, ZoneScope):
        return (Leaf(fields["zones"], "contains", scope.zone), in_suzhou)
    return (in_suzhou,)


def scope_text(scope: Scope) -> str:
    if isinstance(scope, DistrictScope):
        return scope.district
    if isinstance(scope, ZoneScope):
        return f"苏州市{scope.zone}"
    return "苏州市（全市）"


def _scoped(linker: _Linker, clause: Clause, kind: str, node: Node | None, doc: YamlDocument,
            path: list[str | int]) -> Node | None:
    """The clause's condition with its scope added, unless ``when`` already requires it."""
    scope = clause.scope
    if isinstance(scope, DistrictScope) and scope.district not in SUZHOU_DISTRICTS:
        linker.problems.append(doc.problem(
            f"scope.district 的取值 {scope.district!r} 不是苏州的板块；"
            f"允许的值：{'、'.join(SUZHOU_DISTRICTS)}{did_you_mean(scope.district, SUZHOU_DISTRICTS)}",
            [*path, "district"]))
        return node
    zones = FIELDS[kind]["zones"].choices
    if isinstance(scope, ZoneScope) and scope.zone not in zones:
        linker.problems.append(doc.problem(
            f"scope.zone 的取值 {scope.zone!r} 不是可选的功能区；允许的值：{'、'.join(zones)}"
            f"{did_you_mean(scope.zone, zones)}", [*path, "zone"]))
        return node
    required = set(_conjuncts(node))
    missing = tuple(leaf for leaf in scope_conditions(scope, kind) if leaf not in required)
    if not missing:
        return node
    parts = (*_top(node), *missing)  # last, so that reasons open with what the clause is about
    return parts[0] if len(parts) == 1 else All(parts)


def _top(node: Node | None) -> tuple[Node, ...]:
    if node is None:
        return ()
    return node.children if isinstance(node, All) else (node,)


def _conjuncts(node: Node | None) -> list[Node]:
    """What ``node`` requires at its top level, seen through named definitions (so a scope
    the clause already states by ``ref`` is not added twice)."""
    found: list[Node] = []
    for child in _top(node):
        inner = child.child if isinstance(child, Named) else child
        found += _conjuncts(inner) if isinstance(inner, All) else [inner]
    return found


def link(parsed: Sequence[tuple[YamlDocument, RuleFile]], version: str,
          files: tuple[str, ...]) -> Bundle:
    linker = _Linker(parsed)
    rules: list[ClauseRule] = []
    seen: dict[str, str] = {}
    doc_ids: dict[str, str] = {}
    groups: list[StackingGroup] = []
    for doc, rule_file in parsed:
        if rule_file.document is not None:
            did = rule_file.document.id
            if did in doc_ids:
                linker.problems.append(doc.problem(
                    f"政策文件编号 {did} 重复（另见 {doc_ids[did]}）", ["document", "id"]))
            doc_ids[did] = f"{doc.source}:{doc.line_of(['document', 'id'])}"
        for i, clause in enumerate(rule_file.clauses):
            path: list[str | int] = ["clauses", i]
            where = f"{doc.source}:{doc.line_of([*path, 'id'])}"
            if clause.id in seen:
                linker.problems.append(doc.problem(
                    f"条款编号 {clause.id} 重复（另见 {seen[clause.id]}）", [*path, "id"]))
            seen[clause.id] = where
            kind = TARGET_PROFILE_KIND[clause.target]
            node = None
            if clause.when is not None:
                node = linker.condition(clause.when, kind, doc, [*path, "when"])
            node = _scoped(linker, clause, kind, node, doc, [*path, "scope"])
            thresholds = _check_benefit(linker, clause, kind, doc, path)
            assert rule_file.document is not None
            rules.append(ClauseRule(clause, rule_file.document, node, kind, doc.source,
                                    doc.line_of([*path, "id"]), thresholds))
        groups += rule_file.stacking
    by_id = {r.id: r for r in rules}
    owner: dict[str, str] = {}
    for doc, rule_file in parsed:
        for gi, group in enumerate(rule_file.stacking):
            kinds = set()
            for ci, member in enumerate(group.clauses):
                path = ["stacking", gi, "clauses", ci]
                if member not in by_id:
                    linker.problems.append(doc.problem(
                        f"叠加规则 {group.id} 引用了不存在的条款 {member}{did_you_mean(member, by_id)}",
                        path))
                    continue
                if member in owner:
                    linker.problems.append(doc.problem(
                        f"条款 {member} 同时属于叠加规则 {owner[member]} 和 {group.id}；"
                        "一个条款只能属于一个叠加规则",
                        path))
                owner[member] = group.id
                kinds.add(by_id[member].profile_kind)
            if len(kinds) > 1:
                linker.problems.append(doc.problem(
                    f"叠加规则 {group.id} 混合了企业条款和人才条款", ["stacking", gi]))
    if linker.problems:
        raise RuleFileError(linker.problems)
    definitions = {name: cond for name, (cond, _) in linker.definitions.items()}
    return Bundle(tuple(rules), tuple(groups), definitions, version, files)


__all__ = ["link", "scope_conditions", "scope_text"]
