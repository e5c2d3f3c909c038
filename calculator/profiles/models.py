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

from ..base.errors import ProfileError, did_you_mean
from ..base.money import MAX_AMOUNT, parse_money
from ..base.validation import problems_from
from ..base.yamlio import Document

District = Literal[
    "姑苏区", "苏州工业园区", "苏州高新区", "吴中区", "相城区", "吴江区",
    "张家港市", "常熟市", "太仓市", "昆山市",
]
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
Year = Annotated[int, Field(ge=1900, le=2100)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4),
                    WithJsonSchema(PERCENT_JSON_SCHEMA, mode="validation")]


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    name: str = Field(title="名称", min_length=1)


class CompanyProfile(_Profile):
    """A firm, research institution, university or new-type R&D institution."""

    kind: Literal["company"] = Field(title="类型")
    credit_code: CreditCode | None = Field(None, title="统一社会信用代码")
    district: District | None = Field(None, title="所在板块")
    industry: Industry | None = Field(None, title="所属产业")
    org_type: OrgType | None = Field(None, title="机构类型")
    founded_on: date | None = Field(None, title="成立日期")
    revenue: Money | None = Field(None, title="营业收入")
    rd_expense: Money | None = Field(None, title="研发费用")
    employees: Count | None = Field(None, title="职工人数")
    qualifications: frozenset[Qualification] | None = Field(None, title="资质")
    global500_first_entry_year: Year | None = Field(None, title="首次入选世界500强年份")
    china500_first_entry_year: Year | None = Field(None, title="首次入选中国500强年份")
    listing_status: ListingStatus | None = Field(None, title="上市状态")
    foreign_invested: bool | None = Field(None, title="是否外资企业")
    national_institution: NationalInstitution | None = Field(None, title="国家级科研机构类型")
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


class TalentProfile(_Profile):
    """A person, alone or as the leader or core member of a team."""

    kind: Literal["talent"] = Field(title="类型")
    birth_date: date | None = Field(None, title="出生日期")
    education: Education | None = Field(None, title="学历")
    nationality: str | None = Field(None, title="国籍", min_length=1)
    title: Title | None = Field(None, title="职称")
    talent_programmes: frozenset[TalentProgramme] | None = Field(None, title="人才计划")
    role: Role | None = Field(None, title="申报角色")
    team_name: str | None = Field(None, title="团队名称")
    project_name: str | None = Field(None, title="项目名称")
    employer: str | None = Field(None, title="工作单位")
    employer_credit_code: CreditCode | None = Field(None, title="单位统一社会信用代码")
    arrived_suzhou_on: date | None = Field(None, title="来苏日期")
    startup: bool | None = Field(None, title="是否在苏创办企业")
    equity_share: Percent | None = Field(None, title="持股比例（%）")
    children_school_age: Count | None = Field(None, title="随迁适龄子女数")
    industry: Industry | None = Field(None, title="所属产业")
    zones: frozenset[Zone] | None = Field(None, title="工作或居住的功能区")
    overseas_returnee: bool | None = Field(None, title="是否海外全职回国（来华）人才")
    overseas_licence: bool | None = Field(None, title="是否具有境外执业资格")
    competition_awards: frozenset[CompetitionAward] | None = Field(None, title="创新创业大赛获奖")
    district: District | None = Field(None, title="工作所在板块")
    employer_type: OrgType | None = Field(None, title="工作单位类型")
    national_task: bool | None = Field(None, title="是否承担国家攻关任务")
    tech_transfer: bool | None = Field(None, title="是否从事技术转移或科技成果转化工作")


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
    if isinstance(profile, CompanyProfile):
        founded = profile.founded_on
        return {"years_since_founding": None if founded is None else whole_years(founded, as_of)}
    born, arrived = profile.birth_date, profile.arrived_suzhou_on
    return {
        "age": None if born is None else whole_years(born, as_of),
        "years_in_suzhou": None if arrived is None else whole_years(arrived, as_of),
    }


#: Derived fields: name -> (label, profile kind, the field it is computed from).
DERIVED_FIELDS: dict[str, tuple[str, str, str]] = {
    "years_since_founding": ("成立年限（年）", "company", "founded_on"),
    "age": ("年龄（周岁）", "talent", "birth_date"),
    "years_in_suzhou": ("来苏年限（年）", "talent", "arrived_suzhou_on"),
}


def profile_values(profile: CompanyProfile | TalentProfile, as_of: date) -> dict[str, Any]:
    """Every field a rule may read, typed, with derived fields as of ``as_of``;
    ``None`` for what the profile does not say."""
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

