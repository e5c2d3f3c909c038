"""The input template: its columns are exactly what screening reads, its example row is a
valid applicant, its choice columns have drop-downs, its help sheet explains every column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from calculator.base.errors import ProfileError
from calculator.batch.columns import header_of, input_fields, parse_row, resolve
from calculator.batch.tabular import open_table
from calculator.batch.template import write_template
from calculator.profiles.models import CompanyProfile, TalentProfile

KINDS = {"company": CompanyProfile, "talent": TalentProfile}


@pytest.mark.parametrize("kind", ["company", "talent"])
@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_the_template_reads_back_as_one_valid_applicant(tmp_path: Path, kind: str, ext: str) -> None:
    path = write_template(kind, tmp_path / f"{kind}.{ext}")
    assert path == tmp_path / f"{kind}.{ext}"
    with open_table(path) as table:
        columns = resolve(table.headers)  # no kind given: the headers tell it
        rows = list(table.rows)
    assert columns.kind == kind and columns.unknown == {}
    assert sorted(columns.fields[kind].values()) == sorted(input_fields(kind))
    assert len(rows) == 1 and rows[0].number == 2
    profile = parse_row(2, rows[0].cells, columns)
    assert isinstance(profile, KINDS[kind]), profile
    assert profile.name and profile.district == "苏州工业园区" and profile.industry == "电子信息"


def test_the_example_rows_fill_the_typed_columns(tmp_path: Path) -> None:
    path = write_template("company", tmp_path / "c.xlsx")
    with open_table(path) as table:
        company = parse_row(2, next(table.rows).cells, resolve(table.headers))
    assert isinstance(company, CompanyProfile)
    assert company.credit_code == "91320594MA1P2K8L3P"
    assert company.revenue == 250_000_000 and company.rd_expense == 32_000_000
    assert company.qualifications == {"高新技术企业", "专精特新"} and company.owns_ip is True


@pytest.mark.parametrize("kind", ["company", "talent"])
def test_choice_columns_have_drop_downs(tmp_path: Path, kind: str) -> None:
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    sheet = load_workbook(path).worksheets[0]
    headers = [c.value for c in sheet[1]]
    lists = {}
    for check in sheet.data_validations.dataValidation:
        assert check.type == "list" and check.showErrorMessage
        for ref in str(check.sqref).split():
            column = "".join(ch for ch in ref.split(":")[0] if ch.isalpha())
            assert ref.startswith(f"{column}2:")  # the header row has none
            lists[headers[sheet[f"{column}1"].column - 1]] = check.formula1
    specs = input_fields(kind)
    choice = {header_of(kind, n): s for n, s in specs.items() if s.type in ("enum", "bool")}
    assert set(lists) == set(choice)
    for header, spec in choice.items():
        allowed = spec.choices if spec.type == "enum" else ("是", "否")
        if spec.accepts_none:  # an explicit "none", distinct from a blank cell
            allowed = (*allowed, "无")
        assert lists[header] == '"' + ",".join(allowed) + '"'
    if kind == "company":
        assert lists["所在板块"].startswith('"姑苏区,苏州工业园区,')


@pytest.mark.parametrize("kind", ["company", "talent"])
def test_the_help_sheet_lists_every_input_field(tmp_path: Path, kind: str) -> None:
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[1] == "填写说明"
    rows = list(book["填写说明"].iter_rows(values_only=True))
    assert rows[0] == ("列名", "字段名", "填写要求", "示例")
    assert rows[-1][0] == "示例" and "跳过" in rows[-1][2]  # the example marker column
    rows = rows[:-1]
    assert sorted(r[1] for r in rows[1:]) == sorted(input_fields(kind))
    header_row = [c.value for c in book.worksheets[0][1]]
    assert [r[0] for r in rows[1:]] + ["示例"] == header_row  # same columns, same order
    by_field = {r[1]: r for r in rows[1:]}
    assert by_field["name"][2] == "必填"
    if kind == "talent":
        assert by_field["birth_date"][2] == "日期，如 2021-03-05"
        assert by_field["education"][2] == "选一项：博士、硕士、本科、大专、其他"
        assert by_field["talent_programmes"][2].startswith("可多选，用顿号分隔：国家级人才计划")
        assert header_row[0] == "姓名"
    else:
        assert "3000万" in by_field["revenue"][2]
        assert by_field["foreign_invested"][2] == "是 或 否"
        assert header_row[0] == "企业名称"


def test_the_csv_template_is_just_the_header_and_the_example(tmp_path: Path) -> None:
    path = write_template("talent", tmp_path / "t.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].startswith("姓名,出生日期,学历")
    assert lines[1].startswith("张三,1991-03-05,博士")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(tmp_path.iterdir()) == [path]  # no help file beside it


def test_bad_kind_or_format(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="档案类型应为 company"):
        write_template("firm", tmp_path / "t.xlsx")
    with pytest.raises(ProfileError, match=r"模板只能写成 \.xlsx 或 \.csv"):
        write_template("talent", tmp_path / "t.jsonl")
    with pytest.raises(ProfileError, match=r"\.xls 请先在 Excel 中另存为 \.xlsx"):
        write_template("talent", tmp_path / "t.xls")
    assert list(tmp_path.iterdir()) == []
