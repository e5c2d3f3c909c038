"""Turning pydantic validation errors into Chinese problems with ``file:line`` and hints.

Shared by rule files and profiles: both are validated by models whose field names are
the input keys, so the error location is a key path into the parsed document.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import Problem, did_you_mean, format_path
from .yamlio import Document

_SIMPLE = {
    "missing": "缺少必填项",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_type": "应为数值",
    "decimal_parsing": "应为数值",
    "float_type": "应为数值",
    "float_parsing": "应为数值",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不带时间",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "frozen_set_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "string_pattern_mismatch": "格式不符：只能使用小写字母、数字和连字符，并以字母或数字开头",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The candidate types an annotation may hold (Optional/Annotated/Union flattened)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _tagged(annotation: Any, tag: str) -> Any:
    """The union member carrying pydantic ``Tag(tag)``."""
    if get_origin(annotation) is Annotated:
        inner, *meta = get_args(annotation)
        if any(getattr(m, "tag", None) == tag for m in meta):
            return inner
        return _tagged(inner, tag)
    for arg in get_args(annotation):
        found = _tagged(arg, tag)
        if found is not None:
            return found
    return None


def model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that owns the last element of ``loc``."""
    current: Any = root
    for part in loc[:-1]:
        if isinstance(part, str) and part.startswith("@"):
            current = _tagged(current, part)
            continue
        candidates = _unwrap(current)
        nxt = None
        for cand in candidates:
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                field = _field_by_key(cand, str(part))
                if field is not None:
                    nxt = field
                    break
            elif get_origin(cand) in (list, tuple, frozenset, set) and isinstance(part, int):
                nxt = get_args(cand)[0]
                break
            elif get_origin(cand) is dict:
                nxt = get_args(cand)[1]
                break
        if nxt is None:
            return None
        current = nxt
    models = [c for c in _unwrap(current) if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info.annotation
    return None


def model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _choices(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    owner = model_at(root, loc)
    if owner is None or not loc or not isinstance(loc[-1], str):
        return []
    annotation = _field_by_key(owner, loc[-1])
    found: list[str] = []
    for cand in _unwrap(annotation):
        if get_origin(cand) is Literal:
            found += [str(a) for a in get_args(cand)]
    return found


def problems_from(error: ValidationError, root: type[BaseModel], doc: Document,
                  base: Sequence[str | int] = (),
                  labels: dict[str, str] | None = None) -> list[Problem]:
    """Chinese problems for every error of ``error``; ``base`` prefixes the key paths."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = error.errors()
    # A misspelt key shows up twice: as an unknown key and as a missing one. Report it once,
    # as the unknown key with its did-you-mean.
    extra = {(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"}
    for err in list(errors):
        if err["type"] == "missing":
            parent, key = tuple(err["loc"][:-1]), str(err["loc"][-1])
            if any(p == parent and did_you_mean(k, [key]) for p, k in extra):
                errors.remove(err)
    for err in errors:
        raw_loc = list(err["loc"])
        loc = [p for p in raw_loc if not (isinstance(p, str) and p.startswith("@"))]
        full = [*base, *loc]
        message = error_message(err, root, raw_loc, labels or {})
        seen_key = (format_path(full), message)
        if seen_key in seen:
            continue
        seen.add(seen_key)
        problems.append(doc.problem(message, full))
    return problems


def error_message(err: Any, root: type[BaseModel], loc: list[Any], labels: dict[str, str]) -> str:
    """One pydantic error, in Chinese; ``labels`` names fields by their Chinese labels."""
    etype = err["type"]
    key = loc[-1] if loc else ""
    label = labels.get(str(key)) if isinstance(key, str) else None
    # The key path is already printed before the message; name the field by its label.
    subject = f"（{label}）" if label else ""
    if etype == "extra_forbidden":
        owner = model_at(root, loc)
        allowed = model_keys(owner) if owner else []
        hint = did_you_mean(str(key), allowed)
        allowed_text = f"；允许的键：{', '.join(allowed)}" if allowed else ""
        return f"未知的键 {key}{allowed_text}{hint}"
    if etype == "missing":
        return f"缺少必填项 {key}{subject}"
    if etype == "literal_error":
        choices = _choices(root, loc)
        given = err.get("input")
        hint = did_you_mean(str(given), choices) if choices else ""
        expected = "、".join(choices) if choices else err.get("ctx", {}).get("expected", "")
        return f"{subject}取值 {given!r} 无效；允许的值：{expected}{hint}"
    if etype in ("value_error", "assertion_error"):
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return f"{subject}{msg}"
    if etype == "condition_shape" and isinstance(err.get("input"), dict):
        keys = list(err["input"])
        hints = "".join(did_you_mean(k, ("field", "all", "any", "not", "ref")) for k in keys)
        return f"{err['msg']}（实际的键：{', '.join(keys)}）{hints}"
    if etype in ("too_short",):
        return f"{subject}至少需要 {err.get('ctx', {}).get('min_length')} 项"
    if etype in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = err.get("ctx", {})
        sym = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<",
               "less_than_equal": "≤"}[etype]
        bound = next(iter(ctx.values()), "")
        return f"{subject}应 {sym} {bound}，实际为 {err.get('input')!r}"
    if etype in ("string_too_short",):
        return f"{subject}不能为空"
    if etype == "decimal_max_places":
        return f"{subject}最多 {err.get('ctx', {}).get('decimal_places')} 位小数，实际为 {err.get('input')!r}"
    if etype == "finite_number":
        return f"{subject}应为有限的数值，实际为 {err.get('input')!r}"
    if etype == "int_parsing_size":
        return f"{subject}整数过大"
    if etype in _SIMPLE:
        given = err.get("input")
        shown = "" if etype == "missing" else f"，实际为 {given!r}"
        return f"{subject}{_SIMPLE[etype]}{shown}"
    return f"{subject}{err['msg']}"
