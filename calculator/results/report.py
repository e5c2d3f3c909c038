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

    def by_status(self, status: Status) -> list[ClauseResult]:
        return [r for r in self.results if r.status == status]

    def result(self, clause_id: str) -> ClauseResult:
        for item in self.results:
            if item.clause_id == clause_id:
                return item
        hint = did_you_mean(clause_id, [r.clause_id for r in self.results])
        raise UnknownClauseError(f"报告中没有条款 {clause_id}（{self.profile.name} 的报告共 "
                                 f"{len(self.results)} 条）{hint}")
