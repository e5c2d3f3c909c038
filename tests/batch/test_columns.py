"""Spreadsheet columns and cells: which field a header names, how a cell becomes a typed
value, and what a row's errors say (row, column as written, value, what was expected)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from calculator.batch.columns import (
    CellError,
    Columns,
    convert,
    identity,
    input_fields,
    parse_row,
    resolve,
)
from calculator.profiles.fields import FIELDS
from calculator.profiles.models import CompanyProfile, TalentProfile

CODE = "91320594MA1P2K8L3P"  # the template's example code, with its valid check character


def spec(kind: str, name: str) -> Any:
    return FIELDS[kind][name]


def errors_of(result: Any) -> list[CellError]:
    assert isinstance(result, list), f"expected errors, got a profile: {result!r}"
    return result


# --- headers -----------------------------------------------------------------------------


def test_chinese_labels_and_aliases_map_to_fields_and_infer_the_kind() -> None:
    talent = resolve(["姓名", "出生日期", "学历", "人才计划"])
    assert talent.kind == "talent" and talent.kind_column is None
    assert talent.fields == {"talent": {"姓名": "name", "出生日期": "birth_date",
                                        "学历": "education", "人才计划": "talent_programmes"}}
    assert talent.unknown == {}

    company = resolve(["企业名称", "营业收入", "所在板块", "统一社会信用代码"])
    assert company.kind == "company"
    assert company.fields["company"] == {"企业名称": "name", "营业收入": "revenue",
                                         "所在板块": "district", "统一社会信用代码": "credit_code"}
    for alias in ("单位名称", "机构名称", "名称"):
        assert resolve([alias, "营业收入"]).fields["company"][alias] == "name"


def test_field_names_work_as_headers_and_whitespace_is_ignored() -> None:
    columns = resolve([" name ", "birth_date", "education", "", None])  # type: ignore[list-item]
    assert columns.kind == "talent"
    assert columns.fields["talent"] == {"name": "name", "birth_date": "birth_date",
                                        "education": "education"}


def test_the_kind_goes_by_the_majority_of_recognised_headers() -> None:
    # 所属产业 belongs to both kinds; 营业收入 tips it to company
    assert resolve(["名称", "所属产业", "营业收入"]).kind == "company"
    assert resolve(["名称", "所属产业", "学历"]).kind == "talent"


def test_an_ambiguous_kind_is_a_value_error_that_says_how_to_resolve_it() -> None:
    for headers in (["名称", "所属产业"], ["名称"], ["foo", "bar"]):
        with pytest.raises(ValueError, match="无法从列名判断档案类型") as info:
            resolve(headers)
        assert "类型" in str(info.value) and "--kind" in str(info.value)
    # an explicit kind settles it
    assert resolve(["名称", "所属产业"], kind="company").kind == "company"


def test_a_kind_column_maps_both_kinds() -> None:
    columns = resolve(["类型", "名称", "营业收入", "学历", "所属产业"])
    assert columns.kind_column == "类型" and columns.kind is None
    assert columns.fields["company"] == {"名称": "name", "营业收入": "revenue", "所属产业": "industry"}
    assert columns.fields["talent"] == {"名称": "name", "学历": "education", "所属产业": "industry"}
    assert resolve(["kind", "name", "revenue"]).kind_column == "kind"


def test_unknown_headers_are_listed_with_a_did_you_mean() -> None:
    columns = resolve(["姓名", "出生日其", "学历", "备注"])
    assert columns.unknown == {"出生日其": "；是否想写 出生日期？", "备注": ""}
    assert "出生日其" not in columns.fields["talent"]
    # a derived field is no input column
    assert "年龄（周岁）" in resolve(["姓名", "学历", "年龄（周岁）"]).unknown


# --- cells -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    "2021-03-05", "2021/3/5", "2021.3.5", "2021年3月5日", " 2021 年 3 月 5 日 ", "2021-3-05",
    "20210305", 20210305, 20210305.0, datetime(2021, 3, 5), date(2021, 3, 5),
])
def test_dates_in_many_spellings(raw: Any) -> None:
    assert convert(spec("talent", "birth_date"), raw) == date(2021, 3, 5)


@pytest.mark.parametrize(("raw", "message"), [
    ("1990-13-45", "日期不存在"),
    ("2021-02-29", "日期不存在"),
    ("20211301", "日期不存在"),
    ("2021-03", "应为日期，如 2021-03-05"),
    ("下个月", "应为日期，如 2021-03-05"),
    (2021, "应为日期"),  # a number is no date unless it is an Excel date serial
    ("44260.5", "应为日期"),
    ("2021-03-05 14:30", "不带时间"),
    (datetime(2021, 3, 5, 14, 30), "不带时间"),
])
def test_impossible_or_unreadable_dates_are_refused(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        convert(spec("talent", "birth_date"), raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("否", False), ("有", True), ("无", False), (" 是 ", True), ("TRUE", True),
    ("No", False), ("√", True), (1, True), (0, False), (1.0, True), (True, True), (False, False),
])
def test_yes_no_cells(raw: Any, expected: bool) -> None:
    assert convert(spec("company", "foreign_invested"), raw) is expected


def test_a_yes_no_cell_with_anything_else_is_refused() -> None:
    for raw in ("也许", "2", "是的吧"):
        with pytest.raises(ValueError, match="应为 是 或 否"):
            convert(spec("company", "foreign_invested"), raw)


@pytest.mark.parametrize("raw", [
    "高新技术企业、专精特新", "高新技术企业，专精特新", "高新技术企业,专精特新",
    "高新技术企业;专精特新", "高新技术企业；专精特新", "高新技术企业/专精特新",
    "高新技术企业\n专精特新", " 高新技术企业 、、专精特新、 ",
    ["高新技术企业", " 专精特新 "],
])
def test_lists_split_on_every_usual_separator(raw: Any) -> None:
    assert convert(spec("company", "qualifications"), raw) == ["高新技术企业", "专精特新"]


def test_none_in_a_list_cell_is_the_known_empty_set() -> None:
    columns = resolve(["企业名称", "资质", "所在功能区"])
    profile = parse_row(2, {"企业名称": "甲", "资质": " 无 ", "所在功能区": "没有"}, columns)
    assert isinstance(profile, CompanyProfile)
    assert profile.qualifications == frozenset() and profile.zones == frozenset()
    blank = parse_row(3, {"企业名称": "乙", "资质": "", "所在功能区": None}, columns)
    assert isinstance(blank, CompanyProfile) and blank.qualifications is None and blank.zones is None


def test_a_list_item_that_is_no_choice_is_named_with_a_did_you_mean() -> None:
    with pytest.raises(ValueError) as info:
        convert(spec("company", "qualifications"), "高新技术企业、专精特心")
    assert str(info.value) == "“专精特心”不是可选的值；是否想写 专精特新？"


def test_money_cells_keep_their_units_for_the_model() -> None:
    revenue = spec("company", "revenue")
    assert convert(revenue, "3000万") == "3000万"
    assert convert(revenue, 25000000) == 25000000
    profile = parse_row(2, {"企业名称": "甲", "营业收入": "3000万", "研发费用": "1.2亿"},
                        resolve(["企业名称", "营业收入", "研发费用"]))
    assert isinstance(profile, CompanyProfile)
    assert profile.revenue == Decimal("30000000") and profile.rd_expense == Decimal("120000000")


def test_floats_from_excel_carry_no_binary_artefacts() -> None:
    # What Excel shows (15 significant digits), not the nearest binary double.
    assert 3 * 1.1 != 3.3 and 0.1 + 0.2 != 0.3
    assert convert(spec("company", "revenue"), 3 * 1.1) == Decimal("3.3")
    assert convert(spec("company", "revenue"), 12345.67) == Decimal("12345.67")
    assert convert(spec("talent", "equity_share"), 0.1 + 0.2) == Decimal("0.3")
    assert convert(spec("talent", "equity_share"), 33.3) == Decimal("33.3")
    # repr() would give 3.3000000000000003, which the model refuses as finer than a cent
    row = parse_row(2, {"企业名称": "甲", "营业收入": 3 * 1.1}, resolve(["企业名称", "营业收入"]))
    assert isinstance(row, CompanyProfile) and row.revenue == Decimal("3.3")
    person = parse_row(2, {"姓名": "乙", "持股比例（%）": 0.1 + 0.2}, resolve(["姓名", "持股比例（%）"]))
    assert isinstance(person, TalentProfile) and person.equity_share == Decimal("0.3")


@pytest.mark.parametrize(("raw", "expected"), [
    (320, 320), (320.0, 320), ("320", 320), ("1,200", 1200), (" 12 ", 12),
])
def test_integer_cells(raw: Any, expected: int) -> None:
    value = convert(spec("company", "employees"), raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("raw", ["3.5", 3.5, True, "三百", float("nan")])
def test_non_integers_are_refused(raw: Any) -> None:
    with pytest.raises(ValueError, match=r"应为整数|应为数值"):
        convert(spec("company", "employees"), raw)


def test_codes_stored_as_numbers_become_text() -> None:
    assert convert(spec("talent", "employer"), 12345.0) == "12345"
    assert convert(spec("talent", "employer"), "  苏州示例 ") == "苏州示例"


# --- rows --------------------------------------------------------------------------------

COMPANY = resolve(["企业名称", "统一社会信用代码", "营业收入", "所在板块", "成立日期", "资质", "职工人数",
                   "是否外资企业"])


def test_a_good_row_becomes_a_profile() -> None:
    profile = parse_row(7, {"企业名称": " 苏州甲公司 ", "统一社会信用代码": CODE.lower(), "营业收入": "2.5亿",
                            "所在板块": "苏州工业园区", "成立日期": datetime(2016, 5, 18),
                            "资质": "高新技术企业、专精特新", "职工人数": 320.0, "是否外资企业": "否"},
                        COMPANY)
    assert profile == CompanyProfile(
        kind="company", name="苏州甲公司", credit_code=CODE, revenue=Decimal(250_000_000),
        district="苏州工业园区", founded_on=date(2016, 5, 18),
        qualifications=frozenset({"高新技术企业", "专精特新"}), employees=320, foreign_invested=False)


def test_blank_cells_are_unknown_not_errors() -> None:
    profile = parse_row(3, {"企业名称": "乙", "统一社会信用代码": None, "营业收入": "  ", "所在板块": "",
                            "成立日期": None, "资质": None, "职工人数": None, "是否外资企业": None}, COMPANY)
    assert isinstance(profile, CompanyProfile)
    assert profile.revenue is None and profile.district is None and profile.qualifications is None


def test_every_problem_of_a_row_names_row_column_value_and_what_was_expected() -> None:
    errors = errors_of(parse_row(12, {
        "企业名称": "甲", "统一社会信用代码": CODE[:-1] + "X", "营业收入": "-3000万", "所在板块": "浦东新区",
        "成立日期": "1990-13-45", "资质": "高新技术企业、专精特心", "职工人数": "2.5",
        "是否外资企业": "也许"}, COMPANY))
    by_column = {e.column: e for e in errors}
    assert set(by_column) == {"统一社会信用代码", "营业收入", "所在板块", "成立日期", "资质", "职工人数",
                              "是否外资企业"}
    assert all(e.row == 12 for e in errors)
    # conversion errors: the problem, then what the column accepts
    date_error = by_column["成立日期"]
    assert date_error.value == "1990-13-45"
    assert date_error.message.startswith("日期不存在（月份应为 1–12")
    assert date_error.message.endswith("；应填：日期，如 2021-03-05")
    assert str(date_error) == f"第 12 行，列“成立日期”，值“1990-13-45”：{date_error.message}"
    assert by_column["职工人数"].message == "应为整数；应填：整数"
    assert by_column["是否外资企业"].message == "应为 是 或 否；应填：是 或 否"
    quals = by_column["资质"]
    assert quals.value == "高新技术企业、专精特心"
    assert quals.message.startswith("“专精特心”不是可选的值；是否想写 专精特新？；应填：可多选，用顿号分隔：")
    assert "链主企业" in quals.message
    # model errors: in Chinese, with the field's label
    assert by_column["营业收入"].value == "-3000万"
    assert by_column["营业收入"].message == "（营业收入）金额不能为负数"
    district = by_column["所在板块"]
    assert district.value == "浦东新区"
    assert "取值 '浦东新区' 无效" in district.message and "苏州工业园区" in district.message
    code = by_column["统一社会信用代码"]
    assert "校验位错误" in code.message and code.value == CODE[:-1] + "X"


def test_a_missing_name_is_reported_on_the_name_column() -> None:
    errors = errors_of(parse_row(4, {"企业名称": None, "营业收入": "3000万"},
                                 resolve(["企业名称", "营业收入"])))
    assert [(e.column, e.value) for e in errors] == [("企业名称", "")]
    assert "缺少必填项" in errors[0].message and "名称" in errors[0].message


def test_an_empty_row_is_one_error() -> None:
    errors = errors_of(parse_row(9, {"企业名称": None, "营业收入": "", "所在板块": " "},
                                 resolve(["企业名称", "营业收入", "所在板块"])))
    assert errors == [CellError(9, "", "", "空行：没有任何数据")]
    assert str(errors[0]) == "第 9 行：空行：没有任何数据"


def test_the_kind_column_decides_each_row() -> None:
    columns = resolve(["类型", "名称", "营业收入", "学历"])
    company = parse_row(2, {"类型": "企业", "名称": "甲", "营业收入": "1亿", "学历": None}, columns)
    talent = parse_row(3, {"类型": "人才", "名称": "乙", "营业收入": None, "学历": "博士"}, columns)
    assert isinstance(company, CompanyProfile) and company.revenue == Decimal(100_000_000)
    assert isinstance(talent, TalentProfile) and talent.education == "博士"
    for word, kind in (("company", "company"), ("个人", "talent"), ("机构", "company")):
        parsed = parse_row(4, {"类型": word, "名称": "丙", "营业收入": None, "学历": None}, columns)
        assert not isinstance(parsed, list) and parsed.kind == kind
    errors = errors_of(parse_row(5, {"类型": "公司", "名称": "丁", "营业收入": None, "学历": None}, columns))
    assert [(e.column, e.value) for e in errors] == [("类型", "公司")]
    assert errors[0].message.startswith("类型应为以下之一：") and "企业" in errors[0].message


def test_a_kind_cell_that_contradicts_the_given_kind_is_a_row_error() -> None:
    columns = resolve(["类型", "名称", "学历"], kind="talent")
    errors = errors_of(parse_row(2, {"类型": "企业", "名称": "甲", "学历": "博士"}, columns))
    assert [(e.column, e.value) for e in errors] == [("类型", "企业")]
    assert errors[0].message == "类型“企业”与指定的档案类型“人才”不一致"
    assert isinstance(parse_row(3, {"类型": "人才", "名称": "乙", "学历": "博士"}, columns), TalentProfile)


def test_input_fields_leave_out_derived_fields() -> None:
    assert "age" not in input_fields("talent") and "birth_date" in input_fields("talent")
    assert "years_since_founding" not in input_fields("company")


# --- identity ----------------------------------------------------------------------------


def test_a_company_is_identified_by_its_credit_code_else_its_name() -> None:
    with_code = CompanyProfile(kind="company", name="甲", credit_code=CODE)
    renamed = CompanyProfile(kind="company", name="甲（新名）", credit_code=CODE)
    assert identity(with_code) == (f"company:{CODE}", f"统一社会信用代码 {CODE}")
    assert identity(with_code)[0] == identity(renamed)[0]
    no_code = CompanyProfile(kind="company", name="乙")
    assert identity(no_code) == ("company-name:乙", "名称 乙")


def test_a_person_is_identified_by_name_birth_date_and_employer() -> None:
    full = TalentProfile(kind="talent", name="张三", birth_date=date(1990, 1, 2), employer="甲公司")
    key, text = identity(full)
    assert text == "姓名 张三、出生日期 1990-01-02、工作单位 甲公司"
    assert key == identity(TalentProfile(kind="talent", name="张三", birth_date=date(1990, 1, 2),
                                         employer="甲公司", education="博士"))[0]
    namesake = TalentProfile(kind="talent", name="张三", birth_date=date(1991, 1, 2), employer="甲公司")
    assert identity(namesake)[0] != key
    assert identity(TalentProfile(kind="talent", name="张三")) == ("talent:张三\0\0", "姓名 张三")


def test_columns_is_a_plain_value() -> None:
    assert resolve(["姓名"]) == Columns({"talent": {"姓名": "name"}}, None, "talent", {})
