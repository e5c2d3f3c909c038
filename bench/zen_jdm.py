"""Condition trees as GoRules ZEN decisions (JDM graphs), so that the benchmark can run ZEN
beside this project's engines on exactly the same clauses.

ZEN has no *unknown*. Its ``null`` is an ordinary value for ``==`` and ``!=`` (a blank
field is ``!= "北京"``), and an ordering comparison, ``and``, ``or`` or ``not`` on ``null``
stops the whole evaluation with a VM error. So a tree is not translated comparison for
comparison: each clause becomes two two-valued expressions, "met" and "failed", built the
way the rules engine's normal forms are (``All`` met = every child met, failed = some child
failed; ``Not`` swaps the two), with every comparison guarded by ``!= null`` so that a
blank makes both false. A clause's three-valued result is then one ZEN expression,
``met ? "met" : failed ? "failed" : "unknown"``, exact but written out by us, not a
semantics ZEN has. The two-valued decision (is the clause met) is the "met" half alone.

The profile travels as ``{"p": {field: value}, "none": {field: true}}``: a blank field is
absent from ``p``; a field answered 无 (``NONE``, the engines' ``field#none``) is absent from
``p`` and true in ``none``, which makes every comparison on it fail. Sets are arrays of
their choices, dates ``"YYYY-MM-DD"`` strings compared through ZEN's ``d()``, money and
numbers JSON numbers written from their ``Decimal`` digits (ZEN computes in 96-bit
decimals, so no binary rounding). This module does not import ZEN: the JSON it builds is
plain data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from calculator.profiles.absent import NONE
from calculator.profiles.fields import FIELDS, FieldSpec
from calculator.rules.conditions import All, Any_, Leaf, Named, Node, Not, leaves

#: The context object holding the profile's fields, and the one flagging fields answered 无.
PROFILE = "p"
ANSWERED_NONE = "none"
#: ZEN's decimals hold about 28 significant digits; an operand beyond this is refused.
DECIMAL_LIMIT = Decimal("7.9e28")


class Untranslatable(ValueError):
    """A comparison ZEN's expression language cannot state exactly."""


def _string(text: str) -> str:
    if '"' in text or "\\" in text or any(ord(ch) < 32 for ch in text):
        raise Untranslatable(f"文字 {text!r} 含有引号、反斜杠或控制字符，不按原样写入 ZEN 表达式")
    return f'"{text}"'


def _number(value: Decimal | int) -> str:
    if Decimal(value).copy_abs() >= DECIMAL_LIMIT:
        raise Untranslatable(f"数值 {value} 超出 ZEN 的十进制数范围")
    return str(value) if isinstance(value, int) else format(value, "f")


def literal(spec: FieldSpec, value: Any) -> str:
    """One operand as a ZEN literal."""
    if spec.type == "bool":
        return "true" if value else "false"
    if spec.type in ("int", "number", "money"):
        return _number(value)
    if spec.type == "date":
        assert isinstance(value, date)
        return f'd("{value.isoformat()}")'
    return _string(value)


def _ref(spec: FieldSpec) -> str:
    return f"{PROFILE}.{spec.name}"


def _compare(leaf: Leaf) -> str:
    """The comparison of a present value, two-valued."""
    spec, op, value = leaf.field, leaf.op, leaf.value
    ref = _ref(spec)
    if op == "contains":
        return f"({literal(spec, value)} in {ref})"
    if op == "contains_any":
        return f"some({ref}, # in [{', '.join(literal(spec, v) for v in value)}])"
    if op == "contains_all":
        return f"all([{', '.join(literal(spec, v) for v in value)}], # in {ref})"
    if op == "in":
        return f"({ref} in [{', '.join(literal(spec, v) for v in value)}])"
    actual = f"d({ref})" if spec.type == "date" else ref
    return f"({actual} {op} {literal(spec, value)})"


def _answered_none(spec: FieldSpec) -> str:
    return f"({ANSWERED_NONE}.{spec.name} == true)"


def leaf_met(leaf: Leaf) -> str:
    """True exactly when the comparison is met: present (not blank, not 无) and holding."""
    present = f"({_ref(leaf.field)} != null)"
    if leaf.op == "exists":
        return present
    return f"({present} and {_compare(leaf)})"


def leaf_failed(leaf: Leaf) -> str:
    """True exactly when the comparison fails: answered 无, or present and not holding.
    ``exists`` fails only by 无; a blank is unknown, never failed."""
    parts = [_answered_none(leaf.field)] if leaf.field.accepts_none else []
    if leaf.op != "exists":
        parts.append(f"(({_ref(leaf.field)} != null) and not {_compare(leaf)})")
    if not parts:
        return "false"
    return parts[0] if len(parts) == 1 else f"({' or '.join(parts)})"


def _join(word: str, parts: Sequence[str], empty: str) -> str:
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else f"({f' {word} '.join(parts)})"


def met(node: Node | None) -> str:
    """ZEN expression, true exactly when the reference evaluator says *met*."""
    if node is None:
        return "true"
    if isinstance(node, Leaf):
        return leaf_met(node)
    if isinstance(node, Named):
        return met(node.child)
    if isinstance(node, Not):
        return failed(node.child)
    if isinstance(node, All):
        return _join("and", [met(c) for c in node.children], "true")
    return _join("or", [met(c) for c in node.children], "false")


def failed(node: Node | None) -> str:
    """ZEN expression, true exactly when the reference evaluator says *failed*."""
    if node is None:
        return "false"
    if isinstance(node, Leaf):
        return leaf_failed(node)
    if isinstance(node, Named):
        return failed(node.child)
    if isinstance(node, Not):
        return met(node.child)
    if isinstance(node, All):
        return _join("or", [failed(c) for c in node.children], "false")
    assert isinstance(node, Any_)
    return _join("and", [failed(c) for c in node.children], "true")


def three_valued(node: Node | None) -> str:
    """One expression giving ``"met"``, ``"failed"`` or ``"unknown"``."""
    return f'({met(node)}) ? "met" : (({failed(node)}) ? "failed" : "unknown")'


def naive(node: Node | None) -> str:
    """The translation a ZEN author would write first: the tree's own connectives over plain
    comparisons, blanks and 无 both ``null``. Shown by the benchmark only to count where ZEN's
    treatment of ``null`` makes it wrong or fail; never used for a decision."""
    if node is None:
        return "true"
    if isinstance(node, Leaf):
        return f"({_ref(node.field)} != null)" if node.op == "exists" else _compare(node)
    if isinstance(node, Named):
        return naive(node.child)
    if isinstance(node, Not):
        return f"(not {naive(node.child)})"
    word = "and" if isinstance(node, All) else "or"
    return _join(word, [naive(c) for c in node.children], "true" if word == "and" else "false")


def decision(expressions: Mapping[str, str]) -> dict[str, Any]:
    """A JDM graph: request → one expression node (``key`` = expression) → response."""
    position = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "档案", "position": position,
             "content": {"schema": ""}},
            {"id": "clauses", "type": "expressionNode", "name": "条款", "position": position,
             "content": {"expressions": [{"id": key, "key": key, "value": value}
                                         for key, value in expressions.items()],
                         "passThrough": False}},
            {"id": "response", "type": "outputNode", "name": "判定", "position": position,
             "content": {"schema": ""}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "clauses", "type": "edge"},
            {"id": "e2", "sourceId": "clauses", "targetId": "response", "type": "edge"},
        ],
    }


def fields_read(nodes: Iterable[Node | None]) -> frozenset[str]:
    """The profile fields the trees compare: the only ones a context needs to carry."""
    return frozenset(leaf.field.name for node in nodes for leaf in leaves(node))


def _value(spec: FieldSpec, value: Any) -> str:
    if spec.type == "bool":
        return "true" if value else "false"
    if spec.type in ("int", "number", "money"):
        return str(value) if isinstance(value, int) else format(value, "f")
    if spec.type == "date":
        return f'"{value.isoformat()}"'
    if spec.type == "set":
        return json.dumps(sorted(value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def context(kind: str, values: Mapping[str, Any], only: Iterable[str] | None = None) -> str:
    """The ZEN context (JSON text) for a profile's typed values; with ``only``, just those
    fields. Numbers are written from their decimal digits, never through a float."""
    specs = FIELDS[kind]
    names = specs if only is None else only
    present: list[str] = []
    answered_none: list[str] = []
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        if value is NONE:
            answered_none.append(f'"{name}":true')
        else:
            present.append(f'"{name}":{_value(specs[name], value)}')
    return (f'{{"{PROFILE}":{{{",".join(present)}}},'
            f'"{ANSWERED_NONE}":{{{",".join(answered_none)}}}}}')
