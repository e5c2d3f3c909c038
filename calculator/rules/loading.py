"""Loading a rule bundle: every ``*.yaml`` under a folder, validated as one whole.

Shape is checked by the schema models; then every condition is checked against the
profile field catalogue (the field exists for the clause's target, the operator fits its
type, the operand has the field's type and enum values are allowed), definitions are
resolved, and stacking groups are checked. Nothing loads unless all of it is right; all
problems are reported together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..base.errors import Problem, RuleFileError, UnknownClauseError, did_you_mean
from ..base.money import parse_money
from ..base.validation import problems_from
from ..base.yamlio import Document as YamlDocument
from ..base.yamlio import read_file
from ..profiles.fields import FIELDS, TYPE_LABELS, FieldSpec
from ..profiles.models import OUTSIDE_SUZHOU, SUZHOU_DISTRICTS
from .conditions import All, Any_, Leaf, Named, Node, Not
from .schema import (
    TARGET_PROFILE_KIND,
    AllOf,
    AnyOf,
    Clause,
    Comparison,
    Condition,
    DistrictScope,
    Document,
    NotOf,
    Period,
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

#: A rule file of 7000 clauses is about 3 MiB: one file may be this large...
MAX_RULE_FILE_BYTES = 16 * 1024 * 1024
#: ...and all files of a bundle together this large.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
ORDERED_OPS = ("<", "<=", ">", ">=")
SET_OPS = ("contains", "contains_any", "contains_all")
OP_TYPES: dict[str, tuple[str, ...]] = {
    "==": ("text", "enum", "int", "number", "money", "date", "bool"),
    "!=": ("text", "enum", "int", "number", "money", "date", "bool"),
    "<": ("int", "number", "money", "date"),
    "<=": ("int", "number", "money", "date"),
    ">": ("int", "number", "money", "date"),
    ">=": ("int", "number", "money", "date"),
    "in": ("text", "enum", "int"),
    "contains": ("set",),
    "contains_any": ("set",),
    "contains_all": ("set",),
    "exists": ("text", "enum", "set", "int", "number", "money", "date", "bool"),
}


@dataclass(frozen=True)
class ClauseRule:
    """A clause with everything needed to evaluate and cite it."""

    clause: Clause
    document: Document
    condition: Node | None
    profile_kind: str
    file: str
    line: int | None
    #: a tiered benefit's thresholds, typed like its field when the bundle loads
    thresholds: tuple[Any, ...] = ()

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def effective(self) -> Period:
        """The clause's own period, else its document's (both ends may be open)."""
        return self.clause.effective or self.document.in_force


@dataclass(frozen=True)
class Bundle:
    clauses: tuple[ClauseRule, ...]
    groups: tuple[StackingGroup, ...]
    definitions: dict[str, Condition]
    version: str
    files: tuple[str, ...]

    def clause(self, clause_id: str) -> ClauseRule:
        for rule in self.clauses:
            if rule.id == clause_id:
                return rule
        raise UnknownClauseError(f"没有编号为 {clause_id} 的条款{self._hint(clause_id)}")

    def _hint(self, text: str) -> str:
        hint = did_you_mean(text, [r.id for r in self.clauses])
        if hint:
            return hint
        titled = self.search(text)
        if titled:
            shown = "、".join(f"{r.id}（{r.clause.title}）" for r in titled[:5])
            more = f" 等 {len(titled)} 条" if len(titled) > 5 else ""
            return f"；标题含“{text}”的条款：{shown}{more}"
        return "；用 policycalc rules list 查看全部条款编号，或输入标题中的词语查找"

    def search(self, text: str) -> list[ClauseRule]:
        """Clauses whose title contains every word of ``text``, in bundle order (ids are
        matched exactly elsewhere: a part of an id is more likely a typo than a search)."""
        words = [w for w in text.replace("，", " ").replace(",", " ").split() if w]
        if not words:
            return []
        return [r for r in self.clauses
                if all(w.lower() in r.clause.title.lower() for w in words)]

    def resolve(self, text: str) -> ClauseRule:
        """A clause by id, or by a title search that finds exactly one clause;
        ``UnknownClauseError`` with the candidates or a did-you-mean otherwise."""
        for rule in self.clauses:
            if rule.id == text:
                return rule
        found = self.search(text)
        if len(found) == 1:
            return found[0]
        if found:
            shown = "、".join(f"{r.id}（{r.clause.title}）" for r in found[:8])
            raise UnknownClauseError(f"“{text}”对应 {len(found)} 条条款，请写出编号：{shown}")
        raise UnknownClauseError(f"没有编号或标题为“{text}”的条款{self._hint(text)}")


def bundle_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def load_bundle(directory: Path | str) -> Bundle:
    """Load and check every rule file under ``directory``; raise ``RuleFileError`` listing
    every problem found."""
    root = Path(directory)
    if not root.is_dir():
        raise RuleFileError(f"规则目录不存在或不是目录：{root}")
    paths = bundle_files(root)
    if not paths:
        raise RuleFileError(f"规则目录 {root} 中没有 .yaml 规则文件")
    total = sum(p.stat().st_size for p in paths)
    if total > MAX_BUNDLE_BYTES:
        raise RuleFileError(f"规则目录 {root} 的规则文件共 {total} 字节，超过上限 {MAX_BUNDLE_BYTES} 字节")
    problems: list[Problem] = []
    parsed: list[tuple[YamlDocument, RuleFile]] = []
    digest = hashlib.sha256()
    for path in paths:
        rel = path.relative_to(root).as_posix()
        display = str(path)
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        try:
            doc = read_file(path, display, MAX_RULE_FILE_BYTES)
        except ValueError as err:
            problems.append(err.args[0])
            continue
        if not isinstance(doc.data, dict):
            problems.append(Problem("规则文件的顶层应为键值映射（document / definitions / clauses）",
                                    display, 1))
            continue
        try:
            parsed.append((doc, RuleFile.model_validate(doc.data)))
        except ValidationError as err:
            problems += problems_from(err, RuleFile, doc)
    if problems:
        raise RuleFileError(problems)
    return _link(parsed, digest.hexdigest()[:16], tuple(str(p) for p in paths))


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


def _scalar(spec: FieldSpec, raw: Any) -> Any:
    """Type one operand value for ``spec``; ``ValueError`` in Chinese if it does not fit."""
    what = f"字段 {spec.name}（{spec.label}）是{TYPE_LABELS[spec.type]}"
    if spec.type == "money":
        try:
            return parse_money(raw)
        except ValueError as err:
            raise ValueError(f"{what}，不能与 {raw!r} 比较：{err}") from None
    if spec.type == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"{what}，不能与 {raw!r} 比较：应为整数")
        return raw
    if spec.type == "number":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError(f"{what}，不能与 {raw!r} 比较：应为数值")
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"{what}，不能与 {raw!r} 比较：应为数值") from None
        if not number.is_finite() or number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ValueError(f"{what}，{raw!r} 应为最多 4 位小数的有限数值")
        return number
    if spec.type == "date":
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        raise ValueError(f"{what}，不能与 {raw!r} 比较：应为日期 YYYY-MM-DD")
    if spec.type == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"{what}，不能与 {raw!r} 比较：应为 true 或 false")
        return raw
    if spec.type in ("enum", "set"):
        if not isinstance(raw, str) or raw not in spec.choices:
            hint = did_you_mean(str(raw), spec.choices)
            raise ValueError(f"{raw!r} 不是字段 {spec.name}（{spec.label}）的可选值；"
                             f"允许的值：{'、'.join(spec.choices)}{hint}")
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"{what}，不能与 {raw!r} 比较：应为文字")
    return raw


def operand(spec: FieldSpec, op: str, raw: Any) -> Any:
    """The typed operand of a comparison (also used for tier thresholds)."""
    if op == "exists":
        if raw is not None:
            raise ValueError("exists 不带 value；要表达“未填写”，请写 not: {field: ..., op: exists}")
        return None
    if op in ("in", "contains_any", "contains_all"):
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"运算符 {op} 的 value 应为非空列表")
        return tuple(_scalar(spec, item) for item in raw)
    if raw is None:
        raise ValueError(f"运算符 {op} 需要 value")
    return _scalar(spec, raw)


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


def _link(parsed: Sequence[tuple[YamlDocument, RuleFile]], version: str,
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


__all__ = ["Bundle", "ClauseRule", "load_bundle", "operand"]
