"""The field catalogue: every profile field a rule condition may name, with its type.

Built once from the profile models, so a new profile field is usable in rules as soon as
it exists, and a rule can only name fields and values the profiles can actually hold.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from .absent import Absent
from .models import DERIVED_FIELDS, FIXED_FACTS, MONEY_MARK, PAST_FACTS, PROFILE_MODELS

FieldType = Literal["text", "enum", "set", "int", "number", "money", "date", "bool"]

TYPE_LABELS: dict[str, str] = {
    "text": "文字", "enum": "选项", "set": "多选集合", "int": "整数", "number": "数值",
    "money": "金额", "date": "日期", "bool": "是/否",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: FieldType
    kind: str  # profile kind: company | talent
    choices: tuple[str, ...] = ()
    #: For a derived field, the profile field it is computed from.
    source: str | None = None
    #: The field may hold ``NONE`` (answered 无): comparisons on it then fail.
    accepts_none: bool = False
    #: What the applicant cannot change: "always" (nationality, location, a past event),
    #: "upper" (only a maximum is out of reach: age only grows), or None.
    fixed: str | None = None
    #: A date or year that cannot lie after the evaluation date (a past event).
    past: bool = False

    @property
    def ordered(self) -> bool:
        return self.type in ("int", "number", "money", "date")


def _strip(annotation: Any) -> Any:
    """Remove ``Optional`` and ``Annotated`` layers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None) and not _is_absent(a)]
            annotation = args[0]
        else:
            return annotation


def _classify(annotation: Any, money: bool) -> tuple[FieldType, tuple[str, ...]]:
    inner = _strip(annotation)
    origin = get_origin(inner)
    if origin is Literal:
        return "enum", tuple(str(a) for a in get_args(inner))
    if origin is frozenset:
        return "set", tuple(str(a) for a in get_args(_strip(get_args(inner)[0])))
    if inner is bool:
        return "bool", ()
    if inner is int:
        return "int", ()
    if inner is Decimal:
        return ("money" if money else "number"), ()
    if inner is date:
        return "date", ()
    if inner is str:
        return "text", ()
    raise TypeError(f"unsupported profile field type {annotation!r}")


def _is_absent(annotation: Any) -> bool:
    """``NoneKnown`` itself (the explicit "none" member of a field's union)."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is Absent


def _holds(annotation: Any, cls: type) -> bool:
    return annotation is cls or any(_holds(arg, cls) for arg in get_args(annotation))


def _is_money(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated and MONEY_MARK in get_args(annotation)[1:]:
        return True
    return any(_is_money(arg) for arg in get_args(annotation))


def _build() -> dict[str, dict[str, FieldSpec]]:
    catalogue: dict[str, dict[str, FieldSpec]] = {}
    for kind, model in PROFILE_MODELS.items():
        specs: dict[str, FieldSpec] = {}
        for name, info in model.model_fields.items():
            if name == "kind":
                continue
            ftype, choices = _classify(info.annotation, _is_money(info.annotation))
            specs[name] = FieldSpec(name, info.title or name, ftype, kind, choices,
                                    accepts_none=_holds(info.annotation, Absent),
                                    fixed=FIXED_FACTS[kind].get(name),
                                    past=name in PAST_FACTS[kind])
        for name, (label, dkind, source) in DERIVED_FIELDS.items():
            if dkind == kind:
                specs[name] = FieldSpec(name, label, "int", kind, source=source,
                                        accepts_none=specs[source].accepts_none,
                                        fixed=FIXED_FACTS[kind].get(name))
        catalogue[kind] = specs
    return catalogue


#: kind -> field name -> spec
FIELDS: dict[str, dict[str, FieldSpec]] = _build()


def field_label(kind: str, name: str) -> str:
    spec = FIELDS.get(kind, {}).get(name)
    return spec.label if spec else name
