"""The report: what one evaluation of one profile returns, and its JSON contract.

Amounts are ``Decimal`` yuan and serialise as decimal strings; ``max: null`` means no
maximum (uncapped, or not stated). Extend these models; never rename or remove a field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..base.errors import UnknownClauseError, did_you_mean

Status = Literal["eligible", "needs_info", "ineligible", "not_in_force"]
STATUS_LABELS: dict[str, str] = {
    "eligible": "符合", "needs_info": "待补充信息", "ineligible": "不符合", "not_in_force": "未施行",
}
STATUS_ORDER = ("eligible", "needs_info", "ineligible", "not_in_force")
#: How much reasoning a report carries: "shown" explains in full every clause a report
#: shows (eligible, needs_info, near miss, not in force) and gives an ineligible clause
#: its first failed requirement; "full" explains every comparison of every clause.
Detail = Literal["shown", "full"]
DETAILS: tuple[str, ...] = ("shown", "full")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileRef(_Out):
    kind: Literal["company", "talent"]
    name: str


class BenefitOut(_Out):
    kind: str
    min: Decimal | None = Field(description="保底金额（元）；null 表示未明确或非现金")
    max: Decimal | None = Field(description="最高金额（元）；null 表示上不封顶或未明确")
    currency: Literal["CNY"] = "CNY"
    text: str
    cap: Decimal | None = None
    uncapped: bool = False
    ratio: Decimal | None = None
    base_field: str | None = None
    base_label: str | None = None
    base_amount: Decimal | None = None
    deduction_base: Decimal | None = None
    payers: list[str] = Field(default_factory=list)
    note: str | None = None


class CitationOut(_Out):
    document: str
    doc_number: str | None
    issuer: str
    date: date
    article: str
    quote: str
    source: str
    status: Literal["issued", "draft", "press_report"]
    reports_on: str | None = None


class Reason(_Out):
    field: str
    label: str
    op: str
    expected: str
    actual: str | None
    outcome: Literal["met", "failed", "unknown"]
    negated: bool = False
    definition: str | None = None
    text: str


class Missing(_Out):
    field: str
    label: str


class ClauseResult(_Out):
    clause_id: str
    title: str
    target: str
    support: Literal["funding", "tax", "financing", "service", "direction"] = Field(
        description="支持类型：funding 资金奖补、tax 税收优惠、financing 融资支持、service 服务与待遇、"
                    "direction 政策导向（不是可申请或领取的支持，不计入“可享受的支持”）")
    support_label: str
    #: where the clause applies: 苏州市（全市）, a district or a zone
    scope: str
    status: Status
    benefit: BenefitOut
    citation: CitationOut
    reasons: list[Reason]
    missing: list[Missing]
    near_miss: bool = False
    validity: str | None = None
    group: str | None = None
    suppressed_by: str | None = None
    counted: bool = False
    caveats: list[str] = Field(default_factory=list,
                               description="规则采取的、原文未明确写出的理解，以及需由主管部门认定的事项")

    @property
    def is_support(self) -> bool:
        """Something a beneficiary can apply for or receive (not 政策导向)."""
        return self.support != "direction"


class Totals(_Out):
    min: Decimal = Field(description="保底合计（元）")
    max: Decimal | None = Field(description="最高合计（元）；null 表示无上限")


class Report(_Out):
    profile: ProfileRef
    as_of: date
    rules_version: str
    engine_version: str
    results: list[ClauseResult]
    totals: Totals
    detail: Detail = Field("full", description="理由的详略：shown 只为展示的条款写出全部理由，"
                           "不符合的条款只给第一个不满足的条件；full 为每个条款写出全部理由")

    def json_bytes(self) -> bytes:
        """``model_dump_json()`` as UTF-8 bytes, without making the text first: what a
        service sends or a file receives."""
        return self.__pydantic_serializer__.to_json(self)

    def by_status(self, status: Status) -> list[ClauseResult]:
        return [r for r in self.results if r.status == status]

    def supports(self, status: Status | None = None) -> list[ClauseResult]:
        """The supports (everything but 政策导向), of one status or all."""
        return [r for r in self.results if r.is_support and status in (None, r.status)]

    def directions(self) -> list[ClauseResult]:
        """Statements of policy direction: shown apart, never counted as supports."""
        return [r for r in self.results if not r.is_support]

    def result(self, clause_id: str) -> ClauseResult:
        for item in self.results:
            if item.clause_id == clause_id:
                return item
        hint = did_you_mean(clause_id, [r.clause_id for r in self.results])
        raise UnknownClauseError(f"报告中没有条款 {clause_id}（{self.profile.name} 的报告共 "
                                 f"{len(self.results)} 条）{hint}")
