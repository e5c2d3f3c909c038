"""Which operators fit which field types, and typing a comparison's operand (or a tier
threshold) for its field once, when the rules load: money as ``Decimal`` yuan, numbers as
``Decimal``, dates as ``date``, enum and set values checked against the allowed values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..base.errors import did_you_mean
from ..base.money import parse_money
from ..profiles.fields import TYPE_LABELS, FieldSpec

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


__all__ = ["OP_TYPES", "ORDERED_OPS", "SET_OPS", "operand"]
