"""Company and talent profiles: the facts a rule may ask about.

Every field is optional except ``kind`` and ``name``: a missing field makes the conditions
that read it *unknown*, never false. The field catalogue (``FIELDS``) is derived from
these models and is what rule conditions are checked against when rules load.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from ..base.errors import Problem, ProfileError, did_you_mean
from ..base.money import MAX_AMOUNT, parse_money
from ..base.validation import problems_from
from ..base.yamlio import Document
from .absent import NoneKnown
from .spellings import spelled

District = Literal[
    "姑苏区", "苏州工业园区", "苏州高新区", "吴中区", "相城区", "吴江区",
    "张家港市", "常熟市", "太仓市", "昆山市", "苏州市外",
]
#: The value saying the entity is not in Suzhou: every Suzhou clause is then ineligible.
OUTSIDE_SUZHOU = "苏州市外"
SUZHOU_DISTRICTS: tuple[str, ...] = tuple(d for d in get_args(District) if d != OUTSIDE_SUZHOU)
Industry = Literal["电子信息", "装备制造", "生物医药", "先进材料", "其他"]
Qualification = Literal[
    "高新技术企业", "科技型中小企业", "专精特新", "小巨人", "单项冠军", "瞪羚",
    "独角兽培育", "规上工业企业", "重点产业链企业", "创新型领军企业", "外资研发中心",
    "人才企业", "首台（套）重大装备",
    "链主企业", "临床试验机构",
]
EnterpriseSize = Literal["大型", "中型", "小型", "微型"]
ListingStatus = Literal["未上市", "拟上市", "境内上市", "境外上市"]
OrgType = Literal["企业", "科研机构", "高校", "新型研发机构", "职业培训机构", "中小学校"]
NationalInstitution = Literal[
    "国家实验室", "全国重点实验室", "国家技术创新中心", "国家制造业创新中心",
    "国家产业创新中心", "国家工程研究中心", "国家临床医学研究中心", "其他国家级科研机构",
]
Education = Literal["博士", "硕士", "本科", "大专", "其他"]
Title = Literal["正高级", "副高级", "中级", "初级", "无"]
TalentProgramme = Literal[
    "国家级人才计划", "江苏省双创计划", "姑苏创新创业领军人才", "姑苏重大创新团队",
    "顶尖人才", "战略科技人才", "外国高端人才", "卓越工程师",
]
Role = Literal["个人", "团队带头人", "团队核心成员"]
Zone = Literal[
    "中国（江苏）自贸试验区苏州片区", "综合保税区", "长三角生态绿色一体化发展示范区", "高品质人才社区",
]
CompetitionAward = Literal["“赢在苏州”创客大赛"]

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 per GB 32100-2015."""
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return _CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: object) -> str:
    # An all-digit code (事业单位 codes can be) arrives from YAML or a spreadsheet as a number.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"统一社会信用代码应为 18 位文字，实际为 {value!r}")
    code = value.strip().upper()
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为 18 位，实际 {len(code)} 位")
    bad = sorted({c for c in code if c not in _CODE_CHARS})
    if bad:
        raise ValueError(f"统一社会信用代码含有不允许的字符 {''.join(bad)}（不含 I、O、S、V、Z）")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"统一社会信用代码校验位错误：第 18 位应为 {expected}，实际为 {code[17]}")
    return code


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("金额不能为负数")
    return value


class _MoneyMarker:
    """Marks a ``Decimal`` field as an amount of yuan (rather than a plain number)."""


# What JSON input the validators accept, for the published JSON Schema. Each schema admits
# only input that is then accepted; what a schema cannot say (the credit code's check
# digit, at most two decimals of a JSON number) is checked on input and documented.
def _yuan(digits: int, decimals: int, unit: str) -> str:
    """Up to ``digits`` integral digits (commas between them allowed), up to ``decimals``
    significant decimals: the amounts of one unit that stay within ``MAX_AMOUNT``."""
    return f"^[0-9]([,，]?[0-9]){{0,{digits - 1}}}(\\.[0-9]{{1,{decimals}}}0*)?{unit}$"


MONEY_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
        {"type": "string", "pattern": "|".join(
            [_yuan(20, 2, "元?"), _yuan(16, 6, "(万|万元)"), _yuan(12, 10, "(亿|亿元)")])},
    ],
    "description": "金额（元）：数字，或带单位的文字，如 \"3000万\"、\"1.2亿\"、\"5000000\"；"
                   "不能为负，不超过 10^20 元，最多精确到分（数字形式的小数位由服务端校验）",
    "examples": ["3000万", "1.2亿", 5000000],
}
CREDIT_CODE_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"},
        {"type": "integer", "minimum": 10**17, "maximum": 10**18 - 1},
    ],
    "description": "18 位统一社会信用代码（GB 32100-2015）；第 18 位校验位由服务端校验。"
                   "全数字的代码也可写成整数，但超出 JavaScript 的安全整数范围，建议写成文字",
}
PERCENT_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 100},
        {"type": "string", "pattern": "^(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]{1,4}0*)?)$"},
    ],
    "description": "百分比 0–100，最多四位小数（数字形式的小数位由服务端校验）",
}

MONEY_MARK = _MoneyMarker()
Money = Annotated[Decimal, BeforeValidator(parse_money), AfterValidator(_non_negative), MONEY_MARK,
                  WithJsonSchema(MONEY_JSON_SCHEMA, mode="validation")]
CreditCode = Annotated[str, BeforeValidator(validate_credit_code),
                       WithJsonSchema(CREDIT_CODE_JSON_SCHEMA, mode="validation")]
Count = Annotated[int, Field(ge=0)]
# For text, "无" is itself text: try the explicit "none" first, or it would be kept verbatim.
NoneKnownText = Annotated[Union[NoneKnown, str], Field(union_mode="left_to_right")]
Year = Annotated[int, Field(ge=1900, le=2100)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4),
                    WithJsonSchema(PERCENT_JSON_SCHEMA, mode="validation")]


def _spelling(field: str) -> BeforeValidator:
    """园区 for 苏州工业园区, 博士研究生 for 博士: the spellings table (``spellings``) applies to
    YAML, JSON and HTTP profiles as it does to spreadsheet cells."""
    def canonical(value: Any) -> Any:
        return spelled(field, value) if isinstance(value, str) else value
    return BeforeValidator(canonical)


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    name: str = Field(title="名称", min_length=1)


class CompanyProfile(_Profile):
    """A firm, research institution, university or new-type R&D institution."""

    kind: Literal["company"] = Field(title="类型")
    credit_code: CreditCode | None = Field(None, title="统一社会信用代码")
    district: Annotated[District | None, _spelling("district")] = Field(None, title="所在板块")
    industry: Industry | None = Field(None, title="所属产业")
    org_type: OrgType | None = Field(None, title="机构类型")
    founded_on: date | None = Field(None, title="成立日期")
    revenue: Money | None = Field(None, title="营业收入")
    rd_expense: Money | None = Field(None, title="研发费用")
    employees: Count | None = Field(None, title="职工人数")
    qualifications: frozenset[Qualification] | None = Field(None, title="资质")
    global500_first_entry_year: Year | NoneKnown | None = Field(None, title="首次入选世界500强年份")
    china500_first_entry_year: Year | NoneKnown | None = Field(None, title="首次入选中国500强年份")
    listing_status: ListingStatus | None = Field(None, title="上市状态")
    foreign_invested: bool | None = Field(None, title="是否外资企业")
    national_institution: NationalInstitution | NoneKnown | None = Field(None, title="国家级科研机构类型")
    national_institution_new: bool | None = Field(None, title="是否新建国家级科研机构")
    national_project: bool | None = Field(None, title="是否承担国家重大技术攻关项目")
    national_funding: Money | None = Field(None, title="国家支持资金")
    zones: frozenset[Zone] | None = Field(None, title="所在功能区")
    taiwan_invested: bool | None = Field(None, title="是否台资企业")
    enterprise_size: EnterpriseSize | None = Field(None, title="企业规模（大中小微划型）")
    smart_transformation: bool | None = Field(None, title="是否实施智能化改造和数字化转型")
    owns_ip: bool | None = Field(None, title="是否拥有知识产权")
    tech_loan: bool | None = Field(None, title="是否取得科技贷款")
    tech_insurance: bool | None = Field(None, title="是否投保科技保险")
    land_project: bool | None = Field(None, title="是否有新取得用地的建设项目")
    new_economy: bool | None = Field(None, title="是否属于新技术、新产业、新业态、新模式")
    tech_transfer: bool | None = Field(None, title="是否承接或实施科技成果转化")
    innovative_drug_device: bool | None = Field(None, title="是否拥有创新药或医疗器械产品")
    points_key_enterprise: bool | None = Field(None, title="积分制认定重点企业")
    sci_tech_import_tax_eligible: bool | None = Field(None, title="已取得科技创新进口税收政策免税资格")
    innovative_product_approved_on: date | NoneKnown | None = Field(
        None, title="创新药或医疗器械获批上市日期")
    national_institution_approved_on: date | NoneKnown | None = Field(
        None, title="新建国家级科研机构获批建设日期")
    new_national_institution_funding: Money | None = Field(
        None, title="新建国家级科研机构国家支持资金")
    national_project_approved_on: date | NoneKnown | None = Field(
        None, title="国家重大技术攻关项目立项日期")
    national_project_funding: Money | None = Field(None, title="国家重大技术攻关项目国家支持资金")
    ipo_year: Year | NoneKnown | None = Field(None, title="首次公开发行上市年份")
    zjg_shazhou_c_plan_project: bool | None = Field(None, title="项目入选“沙洲科创C计划”")
    talent_community_key_project: bool | None = Field(None, title="有经认定的人才社区重点项目")
    plans_expat_children_school: bool | None = Field(None, title="拟在人才社区设立外籍（海归）人员子女学校")


class TalentProfile(_Profile):
    """A person, alone or as the leader or core member of a team."""

    kind: Literal["talent"] = Field(title="类型")
    birth_date: date | None = Field(None, title="出生日期")
    education: Annotated[Education | None, _spelling("education")] = Field(None, title="学历")
    nationality: str | None = Field(None, title="国籍", min_length=1)
    title: Annotated[Title | None, _spelling("title")] = Field(None, title="职称")
    talent_programmes: frozenset[TalentProgramme] | None = Field(None, title="人才计划")
    role: Annotated[Role | None, _spelling("role")] = Field(None, title="申报角色")
    team_name: NoneKnownText | None = Field(None, title="团队名称")
    project_name: NoneKnownText | None = Field(None, title="项目名称")
    employer: NoneKnownText | None = Field(None, title="工作单位")
    employer_credit_code: CreditCode | None = Field(None, title="单位统一社会信用代码")
    arrived_suzhou_on: date | NoneKnown | None = Field(None, title="来苏日期")
    startup: bool | None = Field(None, title="是否在苏创办企业")
    equity_share: Percent | None = Field(None, title="持股比例（%）")
    children_school_age: Count | None = Field(None, title="随迁适龄子女数")
    industry: Industry | None = Field(None, title="所属产业")
    zones: frozenset[Zone] | None = Field(None, title="工作或居住的功能区")
    overseas_returnee: bool | None = Field(None, title="是否海外全职回国（来华）人才")
    overseas_licence: bool | None = Field(None, title="是否具有境外执业资格")
    competition_awards: frozenset[CompetitionAward] | None = Field(None, title="创新创业大赛获奖")
    district: Annotated[District | None, _spelling("district")] = Field(None, title="工作所在板块")
    employer_type: OrgType | None = Field(None, title="工作单位类型")
    national_task: bool | None = Field(None, title="是否承担国家攻关任务")
    tech_transfer: bool | None = Field(None, title="是否从事技术转移或科技成果转化工作")
    talent_selected_year: Year | NoneKnown | None = Field(None, title="入选人才计划年份")
    team_selected_year: Year | NoneKnown | None = Field(None, title="团队入选姑苏重大创新团队年份")
    win_in_suzhou_award_year: Year | NoneKnown | None = Field(None, title="“赢在苏州”创客大赛获奖年份")
    talent_housing_eligible: bool | None = Field(None, title="经认定具有人才住房入住资格")
    residency_plan_qualified: bool | None = Field(None, title="经认定符合“驻留计划”支持条件")
    young_scientist: bool | None = Field(None, title="经认定的青年科学家")
    young_talent: bool | None = Field(None, title="属于青年人才")
    young_sci_tech_talent: bool | None = Field(None, title="属于青年科技人才")
    young_sci_tech_team: bool | None = Field(None, title="团队经认定为青年科技创新团队")
    urgently_needed_talent: bool | None = Field(None, title="经认定的产业科创领域急需人才")
    taiwan_compatriot: bool | None = Field(None, title="台湾同胞")
    cn_permanent_residence: bool | None = Field(None, title="持有外国人永久居留身份证")
    zjg_dongdu_talent: bool | None = Field(None, title="入选张家港“东渡人才”引进计划")
    challenge_project_success: bool | None = Field(None, title="团队通过“揭榜挂帅”“赛马”机制攻关成功")
    excellent_engineer_centre: bool | None = Field(None, title="在卓越工程师协同创新中心工作")
    local_transfer_outstanding: bool | None = Field(None, title="就地转化科技成果成效突出")
    pre_assessed_overseas_talent: bool | None = Field(None, title="通过创新人才预评估")


Profile = Annotated[Union[CompanyProfile, TalentProfile], Field(discriminator="kind")]
PROFILE_MODELS: dict[str, type[_Profile]] = {"company": CompanyProfile, "talent": TalentProfile}
PROFILE_KIND_LABELS = {"company": "企业/机构", "talent": "人才"}


def _holds_int(annotation: Any) -> bool:
    return annotation is int or any(_holds_int(arg) for arg in get_args(annotation))


_INTEGER_FIELDS = {kind: frozenset(name for name, info in model.model_fields.items()
                                   if _holds_int(info.annotation))
                   for kind, model in PROFILE_MODELS.items()}


def whole_years(start: date, end: date) -> int:
    """Completed years from ``start`` to ``end`` (an age, or years since founding)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def derived_values(profile: CompanyProfile | TalentProfile, as_of: date) -> dict[str, Any]:
    """Fields computed from the profile as of the evaluation date."""
    def years(start: Any) -> Any:
        # 无 (never came to Suzhou) stays 无: there are no years to count
        return whole_years(start, as_of) if isinstance(start, date) else start

    if isinstance(profile, CompanyProfile):
        return {"years_since_founding": years(profile.founded_on)}
    return {"age": years(profile.birth_date), "years_in_suzhou": years(profile.arrived_suzhou_on)}


#: Derived fields: name -> (label, profile kind, the field it is computed from).
DERIVED_FIELDS: dict[str, tuple[str, str, str]] = {
    "years_since_founding": ("成立年限（年）", "company", "founded_on"),
    "age": ("年龄（周岁）", "talent", "birth_date"),
    "years_in_suzhou": ("来苏年限（年）", "talent", "arrived_suzhou_on"),
}


#: Facts an applicant cannot change by acting, so a requirement on them never makes a near
#: miss (差一项): "always", or "upper" where only a maximum is out of reach (age only grows).
FIXED_FACTS: dict[str, dict[str, str]] = {
    "company": {name: "always" for name in (
        "district", "zones", "org_type", "foreign_invested", "taiwan_invested", "listing_status",
        "global500_first_entry_year", "china500_first_entry_year", "ipo_year", "founded_on",
        "national_institution_approved_on", "national_project_approved_on",
        "innovative_product_approved_on")} | {"years_since_founding": "upper"},
    "talent": {name: "always" for name in (
        "nationality", "birth_date", "taiwan_compatriot", "district", "zones", "employer_type",
        "talent_selected_year", "team_selected_year", "win_in_suzhou_award_year",
        "arrived_suzhou_on", "overseas_returnee")} | {"age": "upper", "years_in_suzhou": "upper"},
}
#: Dates and years of events that have happened: never after the evaluation date.
PAST_FACTS: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, info in model.model_fields.items()
                    if name.endswith(("_year", "_on", "_date")))
    for kind, model in PROFILE_MODELS.items()
}


def check_past_facts(profile: CompanyProfile | TalentProfile, as_of: date) -> None:
    """``ProfileError`` for a past event dated after ``as_of`` (a first entry in 2030)."""
    problems = []
    fields = type(profile).model_fields
    for name in sorted(PAST_FACTS[profile.kind]):
        value = getattr(profile, name)
        late = (isinstance(value, date) and value > as_of) or (
            isinstance(value, int) and not isinstance(value, bool) and value > as_of.year)
        if late:
            shown = value.isoformat() if isinstance(value, date) else str(value)
            problems.append(Problem(
                f"{fields[name].title}（{name}）为 {shown}，晚于评估日期 {as_of.isoformat()}："
                "已发生的事实不能晚于评估日期；请核对，或换一个评估日期（--as-of）", "", None, name))
    if problems:
        raise ProfileError(problems)


def profile_values(profile: CompanyProfile | TalentProfile, as_of: date) -> dict[str, Any]:
    """Every field a rule may read, typed, with derived fields as of ``as_of``;
    ``None`` for what the profile does not say, ``NONE`` for what it says it has not.
    ``ProfileError`` when a past event is dated after ``as_of``."""
    check_past_facts(profile, as_of)
    values = {name: getattr(profile, name) for name in type(profile).model_fields if name != "kind"}
    values.update(derived_values(profile, as_of))
    return values


def parse_profile(data: Any, doc: Document | None = None, *,
                  json_types: bool = False) -> CompanyProfile | TalentProfile:
    """Validate parsed profile data; ``doc`` is the ``yamlio.Document`` it came from, for
    line numbers in errors (without it, problems name only the field).

    ``json_types``: ``data`` was decoded from JSON and every value must already have the
    JSON type the published schema gives it (a date is a ``"YYYY-MM-DD"`` string, yes/no is
    ``true``/``false``, a count is an integer); without it, values are converted leniently
    (``"12"`` for 12), as suits hand-written YAML.
    """
    if doc is None:
        doc = Document(data, {}, "")
    if not isinstance(data, dict):
        raise ProfileError([doc.problem("档案的顶层应为键值映射（kind: company 或 talent，name: …）", [])])
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in PROFILE_MODELS:
        hint = did_you_mean(str(kind), PROFILE_MODELS) if kind is not None else ""
        what = "缺少 kind" if kind is None else f"kind 的取值 {kind!r} 无效"
        raise ProfileError([doc.problem(f"{what}；应为 company（企业/机构）或 talent（人才）{hint}",
                                        ["kind"])])
    model = PROFILE_MODELS[kind]
    labels = {name: info.title or name for name, info in model.model_fields.items()}
    try:
        if json_types:
            # pydantic's strict mode for JSON input is "JSON types only", except that it
            # tells 1900.0 from 1900, which JSON and JSON Schema do not.
            whole = {k: int(v) if k in _INTEGER_FIELDS[kind] and isinstance(v, float) and v.is_integer()
                     else v for k, v in data.items()}
            try:
                text = json.dumps(whole, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise ProfileError([doc.problem(f"档案含有 JSON 之外的值：{err}", [])]) from None
            return model.model_validate_json(text, strict=True)  # type: ignore[return-value]
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as err:
        raise ProfileError(problems_from(err, model, doc, labels=labels)) from None

