"""Tables in and out: every row numbered as the user sees it, nothing skipped silently,
and what cannot be read at all is one ``ProfileError``."""

from __future__ import annotations

import csv
import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from calculator.base.errors import ProfileError
from calculator.batch.table import InputRow
from calculator.batch.tabular import open_table, table_format
from calculator.batch.writer import Writer


def read(path: Path) -> tuple[list[str], list[InputRow]]:
    with open_table(path) as table:
        return table.headers, list(table.rows)


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# --- reading -----------------------------------------------------------------------------


def test_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,出生日期,学历\r\n张三,1990-01-02,博士\r\n李四,,硕士\r\n".encode("utf-8-sig"))
    headers, rows = read(path)
    assert headers == ["姓名", "出生日期", "学历"]  # no BOM glued to the first header
    assert [(r.number, r.cells, r.problem) for r in rows] == [
        (2, {"姓名": "张三", "出生日期": "1990-01-02", "学历": "博士"}, None),
        (3, {"姓名": "李四", "出生日期": "", "学历": "硕士"}, None),
    ]


def test_csv_saved_by_excel_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("姓名,工作所在板块\n张三,苏州工业园区\n".encode("gbk"))
    headers, rows = read(path)
    assert headers == ["姓名", "工作所在板块"]
    assert rows[0].cells == {"姓名": "张三", "工作所在板块": "苏州工业园区"}


def test_csv_quoted_cells_keep_commas_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('企业名称,资质\n"甲, 乙公司","高新技术企业\n专精特新"\n', encoding="utf-8")
    assert read(path)[1][0].cells == {"企业名称": "甲, 乙公司", "资质": "高新技术企业\n专精特新"}


def test_trailing_empty_rows_are_dropped_interior_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("姓名,学历\n张三,博士\n,\n\n李四,硕士\n,\n\n , \n", encoding="utf-8")
    rows = read(path)[1]
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert [r.empty for r in rows] == [False, True, True, False]


def test_trailing_empty_rows_cost_no_memory(tmp_path: Path) -> None:
    # A sheet formatted far below its data: the blank rows must not be held in memory.
    header = [f"列{i}" for i in range(10)]
    path = tmp_path / "formatted.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(["姓名", *header]) + "\n张三" + "," * 10 + "\n")
        handle.write(("," * 10 + "\n") * 50_000)
        handle.write("李四" + "," * 10 + "\n" + ("," * 10 + "\n") * 5)
    tracemalloc.start()
    try:
        rows = []
        for row in read_rows(path):
            if not row.empty:
                rows.append(row.number)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == [2, 50_003]
    assert peak < 3_000_000, f"peak {peak / 1e6:.1f} MB"


def read_rows(path: Path) -> Iterator[InputRow]:
    with open_table(path) as table:
        yield from table.rows


def test_a_row_with_cells_beyond_the_header_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("姓名,学历\n张三,博士,备注\n李四,硕士,\n王五\n", encoding="utf-8")
    rows = read(path)[1]
    assert rows[0].problem == "第 3 列有数据但没有列名（共 2 个列名）"
    assert rows[0].cells == {"姓名": "张三", "学历": "博士"}  # kept to carry the office's own columns
    assert rows[1].problem is None and rows[1].cells == {"姓名": "李四", "学历": "硕士"}
    assert rows[2].cells == {"姓名": "王五", "学历": None}


def test_data_under_an_empty_header_is_never_dropped_silently(tmp_path: Path) -> None:
    path = tmp_path / "hole.csv"
    path.write_text("姓名,,学历\n张三,,博士\n李四,备注,硕士\n", encoding="utf-8")
    rows = read(path)[1]
    assert rows[0].problem is None and rows[0].cells == {"姓名": "张三", "学历": "博士"}
    assert rows[1].problem is not None and rows[1].problem.startswith("第 2 列有数据但没有列名")


def test_duplicate_header_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("姓名,学历,姓名\n张三,博士,张三\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="第 1 行的列名“姓名”出现了两次"):
        open_table(path)


def test_no_header_or_no_file_cannot_be_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ProfileError, match="第 1 行应为列名"):
        open_table(empty)
    blank = tmp_path / "blank.csv"
    blank.write_text(",,\n张三,,\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="第 1 行应为列名"):
        open_table(blank)
    with pytest.raises(ProfileError, match="文件不存在"):
        open_table(tmp_path / "missing.xlsx")


def test_unsupported_extensions(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        table_format(tmp_path / "old.xls")
    assert "不支持的文件类型“.xls”" in str(info.value)
    assert ".xls 请先在 Excel 中另存为 .xlsx" in str(info.value)
    with pytest.raises(ProfileError, match="无扩展名"):
        table_format(tmp_path / "data")
    with pytest.raises(ProfileError) as info:
        table_format(tmp_path / "data.txt")
    assert ".xls 请先" not in str(info.value)
    assert table_format(tmp_path / "A.XLSX") == ".xlsx"


def test_xlsx_rows_with_typed_cells(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", [
        ["姓名", "出生日期", "持股比例（%）", "随迁适龄子女数"],
        ["张三", datetime(1990, 1, 2), 12.5, 2],
        [None, None, None, None],
        ["李四", "1991-1-1", None, None],
        [None, None, None, None],
        [None, None, None, None],
    ])
    with open_table(path) as table:
        assert table.headers == ["姓名", "出生日期", "持股比例（%）", "随迁适龄子女数"]
        assert table.total is not None and table.total >= 3
        rows = list(table.rows)
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[0].cells == {"姓名": "张三", "出生日期": datetime(1990, 1, 2), "持股比例（%）": 12.5,
                             "随迁适龄子女数": 2}
    assert rows[1].empty and not rows[2].empty


def test_xlsx_a_cell_beyond_the_last_header_is_a_row_problem(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "wide.xlsx", [["姓名", "学历"], ["张三", "博士"], ["李四", "硕士", "备注"]])
    rows = read(path)[1]
    assert rows[0].problem is None and rows[0].cells == {"姓名": "张三", "学历": "博士"}
    assert rows[1].problem == "第 3 列有数据但没有列名（共 2 个列名）"


def test_a_damaged_xlsx_cannot_be_read(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("姓名,学历\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"fake\.xlsx：无法读取"):
        open_table(fake)
    # a real workbook whose sheet XML breaks off after some rows
    good = xlsx(tmp_path / "good.xlsx", [["姓名", "学历"], *[[f"申请人{i}", "博士"] for i in range(50)]])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b"\xe7\x94\xb3\xe8\xaf\xb7\xe4\xba\xba30")]  # 申请人30
            target.writestr(item, data)
    with open_table(broken) as table, pytest.raises(ProfileError, match="无法读取"):
        list(table.rows)


def test_jsonl_rows_are_lines_and_bad_lines_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = ['{"姓名": "张三", "持股比例（%）": 12.5, "人才计划": ["顶尖人才"]}', "{bad json",
             "[1, 2]", "", '{"姓名": "李四", " 学历 ": "硕士"}', "", ""]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    headers, rows = read(path)
    assert headers == []
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].cells == {"姓名": "张三", "持股比例（%）": Decimal("12.5"), "人才计划": ["顶尖人才"]}
    assert isinstance(rows[0].cells["持股比例（%）"], Decimal)  # never a float
    assert rows[1].problem is not None and rows[1].problem.startswith("不是有效的 JSON：")
    assert rows[2].problem == "每行应为一个 JSON 对象 {…}"
    assert rows[3].empty
    assert rows[4].cells == {"姓名": "李四", "学历": "硕士"}  # keys stripped like headers


def test_a_jsonl_line_in_another_encoding_is_that_lines_problem(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes('{"姓名": "张三"}\n'.encode() + '{"姓名": "李四"}\n'.encode("gbk")
                     + '{"姓名": "王五"}\n'.encode())
    rows = read(path)[1]
    assert [r.cells for r in rows] == [{"姓名": "张三"}, {}, {"姓名": "王五"}]
    assert rows[1].problem == "不是 UTF-8 编码的文字（JSONL 应为 UTF-8）"


# --- writing -----------------------------------------------------------------------------


def test_xlsx_writer_round_trip_with_further_sheets(tmp_path: Path) -> None:
    path = tmp_path / "out" / "result.xlsx"  # the folder is created
    with Writer(path) as writer:
        assert not writer.structured
        writer.start("筛查结果", ["行号", "名称", "金额", "日期"])
        writer.write([2, "张三", Decimal("1.50"), date(2020, 1, 1)])
        writer.write([3, None, Decimal("30000000"), None])
        assert writer.sheet("汇总", "summary", ["条款", "符合"], iter([["a", 1], ["b", 2]])) == path
    assert writer.extra_paths == []
    book = load_workbook(path)
    assert book.sheetnames == ["筛查结果", "汇总"]
    main = book["筛查结果"]
    assert main.freeze_panes == "A2" and main["A1"].font.bold
    assert list(main.iter_rows(values_only=True)) == [
        ("行号", "名称", "金额", "日期"), (2, "张三", 1.5, datetime(2020, 1, 1)), (3, None, 30000000, None)]
    assert list(book["汇总"].iter_rows(values_only=True)) == [("条款", "符合"), ("a", 1), ("b", 2)]


def test_xlsx_formula_looking_text_stays_text_and_control_characters_go(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    with Writer(path) as writer:
        writer.start("S", ["a", "b", "c"])
        writer.write(["=1+1", "=HYPERLINK(\"http://x\")", "甲\x00乙\x07丙\x1f丁\t戊\n己"])
    cells = next(load_workbook(path)["S"].iter_rows(min_row=2))
    assert [(c.value, c.data_type) for c in cells[:2]] == [("=1+1", "s"), ('=HYPERLINK("http://x")', "s")]
    assert cells[2].value == "甲乙丙丁\t戊\n己"  # tab and line break are legal and kept
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_csv_writer_has_a_bom_and_writes_further_tables_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "result.csv"
    with Writer(path) as writer:
        writer.start("筛查结果", ["行号", "名称"])
        writer.write([2, "张三"])
        writer.write([3, "李, 四\n"])
        summary = writer.sheet("汇总", "summary", ["条款", "符合"], iter([["a", 1]]))
    assert summary == tmp_path / "result.summary.csv" and writer.extra_paths == [summary]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["行号", "名称"], ["2", "张三"], ["3", "李, 四\n"]]
    assert summary.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read(summary)[1][0].cells == {"条款": "a", "符合": "1"}
    assert read(path)[1][1].cells == {"行号": "3", "名称": "李, 四\n"}  # our reader reads it back


def test_jsonl_writer_rows_are_objects_in_every_table(tmp_path: Path) -> None:
    path = tmp_path / "result.jsonl"
    with Writer(path) as writer:
        assert writer.structured
        writer.start("筛查结果", ["row"])
        writer.write({"row": 2, "total": Decimal("1.50"), "max": None, "名称": "张三"})
        summary = writer.sheet("汇总", "summary", ["条款", "符合", "合计"],
                               iter([["a", 1, Decimal("3000")]]))
    assert summary == tmp_path / "result.summary.jsonl"
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == [
        {"row": 2, "total": "1.50", "max": None, "名称": "张三"}]
    assert "张三" in path.read_text(encoding="utf-8")  # not \\u escapes
    assert [json.loads(line) for line in summary.read_text(encoding="utf-8").splitlines()] == [
        {"条款": "a", "符合": 1, "合计": "3000"}]


def test_csv_output_never_starts_a_cell_with_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with Writer(path) as writer:
        writer.start("结果", ["名称", "金额"])
        writer.write(["=HYPERLINK(\"http://x\")", 5])
        writer.write(["@SUM(A1)", "+1+1"])
        writer.write(["-2+3+cmd|' /C calc'!A0", "\t=1"])
        writer.write(["\r=1", Decimal("-5")])
        writer.write(["-5", -3])  # a plain number cannot run anything and is left alone
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "5"]
    assert rows[2] == ["'@SUM(A1)", "'+1+1"]
    assert rows[3] == ["'-2+3+cmd|' /C calc'!A0", "'\t=1"]
    assert rows[4] == ["'\r=1", "-5"]
    assert rows[5] == ["-5", "-3"]
