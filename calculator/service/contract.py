"""The JSON contract for other programs: JSON Schemas of the profile a caller sends and
of the report it gets back, and the models of the HTTP service's other bodies.

The profile schema describes what is accepted (pydantic's ``validation`` mode, with the
money, credit-code and percentage forms spelled out in ``profiles``); the report schema
describes what is produced (``serialization`` mode: amounts are decimal strings).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from ..base.errors import CalculatorError, did_you_mean
from ..profiles.models import Profile
from ..results.report import Report

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Most profiles one ``POST /v1/screen`` request may carry.
MAX_SCREEN_PROFILES = 1000


class ContractSchema(GenerateJsonSchema):
    """pydantic's generator, corrected where its default says more than the input checks,
    and with Chinese descriptions (the models' docstrings are for programmers)."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        out = super().model_schema(schema)
        text = _DESCRIPTIONS.get(schema["cls"].__name__)
        if text:
            out["description"] = text
        else:
            out.pop("description", None)
        return out

    def _set(self, schema: JsonSchemaValue) -> JsonSchemaValue:
        if self.mode == "validation":
            # Repeated choices in a multi-choice field are accepted and merged, not refused.
            schema.pop("uniqueItems", None)
        return schema

    def set_schema(self, schema: core_schema.SetSchema) -> JsonSchemaValue:
        return self._set(super().set_schema(schema))

    def frozenset_schema(self, schema: core_schema.FrozenSetSchema) -> JsonSchemaValue:
        return self._set(super().frozenset_schema(schema))


class _Body(BaseModel):
    """A body of the HTTP service. Request bodies are parsed by ``request_body`` (to name
    each problem in Chinese); these models describe them, and the tests hold the two equal."""

    model_config = ConfigDict(extra="forbid")


_EXAMPLE_COMPANY: dict[str, JsonValue] = {
    "kind": "company", "name": "苏州示例科技有限公司", "district": "苏州工业园区", "industry": "生物医药",
    "founded_on": "2019-06-12", "revenue": "1.6亿", "rd_expense": "3600万",
    "qualifications": ["高新技术企业", "专精特新"]}


class EvaluateRequest(_Body):
    """``POST /v1/evaluate``."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"profile": _EXAMPLE_COMPANY, "as_of": "2026-11-21"}]})

    profile: Profile = Field(description="企业/机构（kind: company）或人才（kind: talent）档案")
    as_of: date | None = Field(None, description="评估日期 YYYY-MM-DD；省略或 null 为服务器的今天")


class ScreenRequest(_Body):
    """``POST /v1/screen``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"profiles": [
        _EXAMPLE_COMPANY, {"kind": "talent", "name": "陈思远", "education": "博士",
                           "birth_date": "1993-04-08"}], "as_of": "2026-11-21"}]})

    profiles: list[Profile] = Field(max_length=MAX_SCREEN_PROFILES,
                                    description=f"档案列表，最多 {MAX_SCREEN_PROFILES} 个")
    as_of: date | None = Field(None, description="评估日期 YYYY-MM-DD；省略或 null 为服务器的今天")


class ScreenResponse(_Body):
    reports: list[Report] = Field(description="与请求中的档案一一对应、顺序相同的报告")


class ClauseSummary(_Body):
    id: str
    title: str
    target: str = Field(description="适用对象：企业、科研机构/高校/新型研发机构、个人人才、人才团队")
    profile_kind: Literal["company", "talent"] = Field(description="用哪种档案评估")
    document: str = Field(description="政策文件标题")
    doc_number: str | None
    document_status: Literal["issued", "draft", "press_report"] = Field(
        description="issued 正式发布；draft 征求意见稿（评估结果一律为未施行）；press_report 新闻报道")
    benefit: str = Field(description="支持内容（政策原话的概括）")
    benefit_kind: str
    effective_from: date | None
    effective_to: date | None


class ClauseDetail(ClauseSummary):
    issuer: str
    document_date: date
    article: str
    quote: str = Field(description="政策原文引文")
    source: str
    reports_on: str | None
    conditions: list[str] = Field(description="适用条件，逐行中文说明（缩进表示层次）")
    notes: str | None


class ClauseList(_Body):
    rules_version: str
    clauses: list[ClauseSummary]


class Health(_Body):
    status: Literal["ok"]
    rules_version: str
    engine_version: str = Field(description="软件包版本")
    clauses: int


class ErrorProblem(_Body):
    field: str = Field(description="出错的位置，如 profile.revenue、profiles[3].kind；空表示整个请求")
    message: str


class ErrorBody(_Body):
    message: str
    problems: list[ErrorProblem] = Field(description="出错的位置与说明，最多列出前 20 项")
    problem_count: int = Field(description="问题的总数（可能多于 problems 列出的项数）")


class ReloadResponse(_Body):
    status: Literal["reloaded", "replacing"] = Field(
        description="reloaded：本进程已换用新规则；replacing：新规则已通过校验，正在逐个替换工作进程")
    rules_version: str = Field(description="新规则的版本")
    message: str


class ErrorResponse(_Body):
    error: ErrorBody


_DESCRIPTIONS = {
    "CompanyProfile": "企业、科研机构、高校或新型研发机构的档案。除 kind 和 name 外都可省略；"
                      "省略的字段使读取它的条件成为“未知”（待补充信息），从不当作 0 或“否”。",
    "TalentProfile": "人才（个人、团队带头人或团队核心成员）的档案。除 kind 和 name 外都可省略。",
    "EvaluateRequest": "评估一个档案。",
    "ScreenRequest": f"批量评估：最多 {MAX_SCREEN_PROFILES} 个档案，同一评估日期。",
    "ScreenResponse": "批量评估的报告，与请求中的档案一一对应。",
    "Report": "一个档案的评估报告：每一条适用条款的状态、金额、理由与出处。金额为十进制字符串（元）。",
    "ClauseList": "全部条款。",
    "ClauseDetail": "一条条款的完整信息。",
    "Health": "服务状态。",
    "ErrorResponse": "错误：message 为中文说明，problems 逐项指出出错的位置（最多 20 项），"
                     "problem_count 为问题总数。",
    "ReloadResponse": "更换规则的结果。",
}


def _document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": title}


def profile_schema() -> dict[str, Any]:
    """JSON Schema of a profile as accepted in JSON (the HTTP API, JSON profile files)."""
    schema = TypeAdapter(Profile).json_schema(mode="validation", schema_generator=ContractSchema)
    return _document(schema, "政策计算器档案（企业/机构或人才）")


def report_schema() -> dict[str, Any]:
    """JSON Schema of a report as produced (``check --json``, ``POST /v1/evaluate``)."""
    return _document(Report.model_json_schema(mode="serialization", schema_generator=ContractSchema),
                     "政策计算器评估报告")


SCHEMAS = {"profile": profile_schema, "report": report_schema}


def json_schema(name: str) -> dict[str, Any]:
    """``profile`` or ``report``; anything else is a ``CalculatorError``."""
    if name not in SCHEMAS:
        raise CalculatorError(f"没有名为 {name} 的 JSON Schema；可选：{'、'.join(SCHEMAS)}"
                              f"{did_you_mean(name, SCHEMAS)}")
    return SCHEMAS[name]()


#: Bodies of the HTTP service: request bodies are described as accepted, responses as sent.
HTTP_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (EvaluateRequest, "validation"), (ScreenRequest, "validation"), (Report, "serialization"),
    (ScreenResponse, "serialization"), (ClauseList, "serialization"),
    (ClauseDetail, "serialization"), (Health, "serialization"), (ErrorResponse, "serialization"),
    (ReloadResponse, "serialization"),
]


def openapi_components() -> dict[str, Any]:
    """``components.schemas`` for the service's OpenAPI document (OpenAPI 3.1 uses JSON
    Schema 2020-12, so these are the same schemas ``policycalc schema`` prints)."""
    _, defs = models_json_schema(HTTP_MODELS, ref_template="#/components/schemas/{model}",
                                 schema_generator=ContractSchema)
    schemas: dict[str, Any] = defs["$defs"]
    return schemas
