"""The rule-file schema: pydantic models whose field names are the YAML keys.

These models check shape only (keys, types, required parts). Whether a condition fits the
profile fields it names is checked afterwards, in ``loading``, because it needs the whole
bundle (definitions may live in another file).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from ..base.money import parse_money

YamlMoney = Annotated[Decimal, BeforeValidator(parse_money)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "contains", "contains_any", "contains_all",
             "exists")
Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "contains", "contains_any",
                   "contains_all", "exists"]
DocumentStatus = Literal["issued", "draft", "press_report"]
Target = Literal["company", "institution", "talent", "team"]

STATUS_LABELS = {"issued": "正式发布", "draft": "征求意见稿", "press_report": "新闻报道"}
#: What a clause offers. ``direction`` (政策导向) gives a beneficiary nothing to apply for or
#: receive; every output keeps it apart from the supports.
Support = Literal["funding", "tax", "financing", "service", "direction"]
SUPPORT_KINDS: tuple[str, ...] = ("funding", "tax", "financing", "service", "direction")
SUPPORT_LABELS = {"funding": "资金奖补", "tax": "税收优惠", "financing": "融资支持",
                  "service": "服务与待遇", "direction": "政策导向"}
TARGET_LABELS = {"company": "企业", "institution": "科研机构/高校/新型研发机构", "talent": "个人人才",
                 "team": "人才团队"}
#: Which profile kind answers for each target.
TARGET_PROFILE_KIND = {"company": "company", "institution": "company", "talent": "talent",
                       "team": "talent"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(Strict):
    """An effective period; either end may be open. ``basis`` says, for users, why the
    period starts and ends where it does (quoting the source's wording of a period)."""

    start: date | None = None
    end: date | None = None
    basis: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError("effective.end 早于 effective.start")
        return self


class Document(Strict):
    id: Identifier
    title: str
    doc_number: str | None = None
    issuer: str
    date: date
    status: DocumentStatus
    source: str
    reports_on: str | None = None
    #: when the document is in force; without it, from ``date`` with no end
    effective: Period | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _period_explained(self) -> Document:
        if self.effective is not None and self.effective.basis is None:
            raise ValueError("effective 需写明 basis：为什么自该日起施行、到该日为止（引用原文的期限表述）")
        if self.status == "press_report" and (self.effective is None or self.effective.start is None):
            raise ValueError("新闻报道的 date 是报道日期，不是政策日期：请在 effective.start 写明所报道政策的"
                             "施行日期，并在 effective.basis 说明依据")
        return self

    @property
    def in_force(self) -> Period:
        """The document's period: as stated, else from its own date with no end."""
        if self.effective is not None and self.effective.start is not None:
            return self.effective
        end = self.effective.end if self.effective else None
        basis = self.effective.basis if self.effective else None
        return Period(start=self.date, end=end, basis=basis or f"自文件日期 {self.date.isoformat()} 起计")


# ---- conditions -------------------------------------------------------------------------

class Comparison(Strict):
    field: str
    op: Operator
    value: Any = None


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Ref(Strict):
    ref: str


_CONDITION_TAGS = {"field": "@comparison", "all": "@all", "any": "@any", "not": "@not", "ref": "@ref"}


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in _CONDITION_TAGS.items():
            if key in value:
                return tag
        return None
    if isinstance(value, BaseModel):
        return {Comparison: "@comparison", AllOf: "@all", AnyOf: "@any", NotOf: "@not",
                Ref: "@ref"}.get(type(value))
    return None


Condition = Annotated[
    Union[
        Annotated[Comparison, Tag("@comparison")],
        Annotated[AllOf, Tag("@all")],
        Annotated[AnyOf, Tag("@any")],
        Annotated[NotOf, Tag("@not")],
        Annotated[Ref, Tag("@ref")],
    ],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_shape",
        custom_error_message=("条件应为以下之一：{field, op, value} 比较、all: [...]、any: [...]、"
                              "not: 条件、ref: 定义名"),
    ),
]


# ---- benefits ---------------------------------------------------------------------------

class _Benefit(Strict):
    text: str
    payers: list[str] = Field(default_factory=list)


class _Capped(_Benefit):
    """A cap (``max``) or an explicit ``uncapped: true``; never both, never neither."""

    max: YamlMoney | None = None
    uncapped: bool = False

    @model_validator(mode="after")
    def _cap_stated(self) -> _Capped:
        if (self.max is None) == (not self.uncapped):
            raise ValueError("必须写明封顶金额 max，或写 uncapped: true 表示上不封顶（二选一）")
        return self


class Fixed(_Benefit):
    kind: Literal["fixed"]
    amount: YamlMoney


class UpTo(_Benefit):
    kind: Literal["up_to"]
    max: YamlMoney


class Ratio(_Capped):
    kind: Literal["ratio"]
    base: str
    ratio: Decimal = Field(gt=0)
    up_to: bool = False


class Tier(Strict):
    at_least: Any
    amount: YamlMoney


class Tiers(_Benefit):
    kind: Literal["tiers"]
    field: str
    tiers: list[Tier] = Field(min_length=1)


class PerUnit(_Capped):
    kind: Literal["per_unit"]
    field: str
    unit_amount: YamlMoney
    unit: str


class CaseByCase(_Benefit):
    kind: Literal["case_by_case"]


class NonMonetary(_Benefit):
    kind: Literal["non_monetary"]


class Tax(_Benefit):
    kind: Literal["tax"]
    base: str
    rate: Decimal = Field(gt=0)


BENEFIT_KINDS = ("fixed", "up_to", "ratio", "tiers", "per_unit", "case_by_case", "non_monetary", "tax")


def _benefit_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"@{kind}" if kind in BENEFIT_KINDS else None


Benefit = Annotated[
    Union[
        Annotated[Fixed, Tag("@fixed")],
        Annotated[UpTo, Tag("@up_to")],
        Annotated[Ratio, Tag("@ratio")],
        Annotated[Tiers, Tag("@tiers")],
        Annotated[PerUnit, Tag("@per_unit")],
        Annotated[CaseByCase, Tag("@case_by_case")],
        Annotated[NonMonetary, Tag("@non_monetary")],
        Annotated[Tax, Tag("@tax")],
    ],
    Discriminator(
        _benefit_tag,
        custom_error_type="benefit_kind",
        custom_error_message="benefit.kind 应为 " + " / ".join(BENEFIT_KINDS),
    ),
]


# ---- clauses and files -------------------------------------------------------------------

class Citation(Strict):
    article: str
    quote: str = Field(min_length=1)


class DistrictScope(Strict):
    district: str


class ZoneScope(Strict):
    zone: str


#: Where a clause applies: the whole city, one district (板块) or one zone (功能区).
Scope = Union[Literal["city"], DistrictScope, ZoneScope]


class Clause(Strict):
    id: Identifier
    title: str
    target: Target
    support: Support
    scope: Scope
    when: Condition | None = None
    benefit: Benefit
    citation: Citation
    effective: Period | None = None
    #: readings the rule takes that the text does not state; every output shows them
    caveats: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    notes: str | None = None


class StackingGroup(Strict):
    id: Identifier
    title: str
    policy: Literal["highest", "sum"]
    clauses: list[Identifier] = Field(min_length=2)
    citation: Citation


class RuleFile(Strict):
    document: Document | None = None
    definitions: dict[str, Condition] = Field(default_factory=dict)
    stacking: list[StackingGroup] = Field(default_factory=list)
    clauses: list[Clause] = Field(default_factory=list)

    @model_validator(mode="after")
    def _document_when_clauses(self) -> RuleFile:
        if (self.clauses or self.stacking) and self.document is None:
            raise ValueError("含有 clauses 或 stacking 的规则文件必须有 document（政策文件信息）")
        return self


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()
