"""Batch screening: every input row gives exactly one output row, in order; bad rows say
what is wrong; the per-clause summary agrees with full reports computed independently."""

from __future__ import annotations

import csv
import json
import random
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bench.synthetic import applicants, cells, credit_code
from calculator import Calculator
from calculator.base.errors import ProfileError, RuleFileError
from calculator.batch.columns import header_of, input_fields
from calculator.batch.gaps import gap
from calculator.batch.run import screen_table
from calculator.profiles.models import PROFILE_MODELS, profile_values
from calculator.results.report import Report
from calculator.rules.linting import _fields_read

AS_OF = date(2025, 6, 30)
PRICED = {"fixed", "up_to", "ratio", "tiers", "per_unit"}  # cash with a stated amount
NOT_PRICED = {"case_by_case": "金额未明确（一事一议）", "non_monetary": "非资金支持",
              "tax": "税收优惠（不计入）"}
# output columns of the first sheet (without pass-through columns)
(NUMBER, NAME, KIND, OUTCOME, COUNT, NEEDS_COUNT, NEAR_COUNT, MIN, MAX, MAX_NOTE, MISSING, ELIGIBLE,
 NEEDS_INFO, NEAR, DIRECTIONS, CAVEATS, ERRORS, NOTES) = range(18)


def headers_of(kind: str) -> list[str]:
    return [header_of(kind, n) for n in ["name", *(n for n in input_fields(kind) if n != "name")]]


def sheet_cells(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """The applicant as spreadsheet cells; a known empty set is written 无 (a blank cell
    would say "not known")."""
    out = cells(kind, record)
    for name, value in record.items():
        if value == frozenset():
            out[header_of(kind, name)] = "无"
    return out


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
               streaming: bool = True) -> Path:
    book = Workbook(write_only=streaming)
    sheet = book.create_sheet() if streaming else book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def sheet_rows(path: Path, index: int = 0) -> list[tuple[Any, ...]]:
    """The rows of a sheet, each as wide as the header (blank cells are not stored)."""
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book.worksheets[index].iter_rows(values_only=True))
    finally:
        book.close()
    width = len(rows[0]) if rows else 0
    return [tuple(row) + (None,) * (width - len(row)) for row in rows]


def ids(cell: str | None) -> list[str]:
    """The clause ids of a result cell: one clause per line, the id first."""
    return [line.split(" ", 1)[0] for line in (cell or "").splitlines()]


def money(value: Any) -> Decimal | str:
    return value if isinstance(value, str) else Decimal(str(value))


def talent_rows(count: int, seed: int) -> tuple[list[str], list[list[Any]]]:
    header = headers_of("talent")
    rows = [[sheet_cells("talent", data).get(h) for h in header]
            for data in applicants("talent", count, seed)]
    return header, rows


# --- the done-when: 10,000 rows, 1% broken -------------------------------------------------

ROWS = 10_000
#: distinct applicant records the rows are drawn from; each row gets its own name and code
TEMPLATES = 1_000
BROKEN = [50 + 99 * k for k in range(100)]  # data indexes 50 .. 9851, spread through the file
KINDS_OF_BREAK = ("date", "revenue", "district", "empty", "duplicate")


def _build_company_table(path: Path) -> dict[str, Any]:
    """The input file and, per data index, what the test expects of it."""
    header = headers_of("company")
    column = {h: i for i, h in enumerate(header)}
    templates = list(applicants("company", TEMPLATES, seed=2026))
    rng = random.Random(11)
    rows: list[list[Any]] = []
    data: list[dict[str, Any] | None] = []
    template_of: list[int] = []
    broken: dict[int, tuple[str, str, str]] = {}  # index -> (kind of break, column, text)
    for index in range(ROWS):
        pick = rng.randrange(TEMPLATES)
        record = dict(templates[pick], name=f"苏州样本企业{index:05d}")
        if "credit_code" in record:
            record["credit_code"] = credit_code(index)
        row = [sheet_cells("company", record).get(h) for h in header]
        template_of.append(pick)
        if index in BROKEN:
            what = KINDS_OF_BREAK[BROKEN.index(index) % len(KINDS_OF_BREAK)]
            odd = BROKEN.index(index) // len(KINDS_OF_BREAK) % 2 == 1
            if what == "date":
                row[column["成立日期"]] = "1990-13-45"
                broken[index] = (what, "成立日期", "1990-13-45")
            elif what == "revenue":
                value: Any = -1_250_000 if odd else "-3000万"
                row[column["营业收入"]] = value
                broken[index] = (what, "营业收入", str(value))
            elif what == "district":
                row[column["所在板块"]] = "浦东新区"
                broken[index] = (what, "所在板块", "浦东新区")
            elif what == "empty":
                row = [None] * len(header)
                broken[index] = (what, "", "")
            else:  # the same firm as an earlier valid row: a copy, or a renamed one (same code)
                source = index - 37
                while odd and "credit_code" not in (data[source] or {}):
                    source -= 1
                original = data[source]
                assert original is not None
                row = list(rows[source])
                if odd:
                    row[column["企业名称"]] = original["name"] + "（更名）"
                same = (f"统一社会信用代码 {original['credit_code']}" if "credit_code" in original
                        else f"名称 {original['name']}")
                broken[index] = (what, str(source + 2), same)
            data.append(None)
        else:
            data.append(record)
        rows.append(row)
    write_xlsx(path, header, rows)
    return {"data": data, "broken": broken, "template_of": template_of, "templates": templates,
            "names": [row[0] for row in rows]}


def _expected_summary(calc: Calculator, reports: Iterable[Report]) -> dict[str, dict[str, Any]]:
    """Per clause, from full reports: counts, and sums of the eligible (and needs-info)
    amounts; ``None`` for a sum with an unbounded member."""
    out: dict[str, dict[str, Any]] = {
        rule.id: {"eligible": 0, "needs_info": 0, "near": 0, "min": Decimal(0), "max": Decimal(0),
                  "exposure": Decimal(0), "kind": rule.clause.benefit.kind}
        for rule in calc.bundle.clauses if rule.profile_kind == "company"}

    def plus(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
        return None if total is None or amount is None else total + amount

    for report in reports:
        for result in report.directions():  # 政策导向: counted on its own row, never priced
            out[result.clause_id]["eligible"] += result.status == "eligible"
        for result in report.supports():
            tally = out[result.clause_id]
            tally["near"] += result.near_miss
            if result.status == "eligible":
                tally["eligible"] += 1
                tally["min"] += result.benefit.min or 0
                tally["max"] = plus(tally["max"], result.benefit.max)
            if result.status in ("eligible", "needs_info"):
                tally["needs_info"] += result.status == "needs_info"
                tally["exposure"] = plus(tally["exposure"], result.benefit.max)
    return out


def test_ten_thousand_rows_with_one_percent_broken(tmp_path: Path, calc: Calculator) -> None:
    # Rules never read the name or the credit code (identity only), so every row drawn from
    # the same record has the same report: each record is evaluated once, not each row.
    for rule in calc.bundle.clauses:
        assert not _fields_read(rule) & {"name", "credit_code"}, rule.id
    source = tmp_path / "企业申报.xlsx"
    built = _build_company_table(source)
    target = tmp_path / "筛查结果.xlsx"

    result = screen_table(source, target, as_of=AS_OF, calculator=calc)

    assert result.line == "读取 10000 行，输出 10000 行，其中 100 行有错误"
    assert (result.read, result.written, result.with_errors, result.duplicates) == (10000, 10000, 100, 20)
    assert result.outputs == [target] and result.unknown_columns == {}
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["筛查结果", "汇总", "错误"]
    book.close()

    # every input row is one output row, in input order
    rows = sheet_rows(target)
    assert rows[0] == ("行号", "名称", "类型", "结果", "符合条款数", "待补充条款数", "差一项条款数",
                       "确定可得（元）", "最高（元）", "金额说明", "需补充的信息", "符合的条款",
                       "待补充信息的条款", "差一项的条款", "适用的政策导向（不计入支持）",
                       "提示（规则的理解与需认定的事项）", "错误", "备注")
    body = rows[1:]
    assert len(body) == ROWS
    assert [row[NUMBER] for row in body] == list(range(2, ROWS + 2))
    assert [row[NAME] for row in body] == built["names"]

    # exactly the broken rows are flagged, each with its column, value and problem
    flagged = {i for i, row in enumerate(body) if row[OUTCOME] == "有错误"}
    assert flagged == set(built["broken"])
    for index, (what, col, text) in built["broken"].items():
        row = body[index]
        message = row[ERRORS]
        assert row[ELIGIBLE] is None and row[COUNT] is None and row[MIN] is None, index
        if what == "date":
            assert message.startswith("列“成立日期”，值“1990-13-45”：日期不存在（月份应为 1–12"), message
            assert message.endswith("；应填：日期，如 2021-03-05")
        elif what == "revenue":
            assert message == f"列“营业收入”，值“{text}”：（营业收入）金额不能为负数"
        elif what == "district":
            assert message.startswith(
                "列“所在板块”，值“浦东新区”：（所在板块）取值 '浦东新区' 无效；允许的值：姑苏区、")
        elif what == "empty":
            assert message == "空行：没有任何数据" and row[NAME] is None
        else:
            assert message == f"重复的申请：与第 {col} 行的{text}相同，本行未计入筛查和汇总"
            assert row[KIND] == "企业/机构"
        assert "\n" not in message  # one problem per broken row

    # every valid row agrees with the full report of the same applicant
    templates = built["templates"]
    used = sorted({built["template_of"][i] for i, d in enumerate(built["data"]) if d is not None})
    report_of = {t: calc.evaluate(PROFILE_MODELS["company"].model_validate(templates[t]), as_of=AS_OF)
                 for t in used}
    valid = [i for i, d in enumerate(built["data"]) if d is not None]
    assert len(valid) == ROWS - 100
    for index in valid:
        row = body[index]
        report = report_of[built["template_of"][index]]
        eligible = report.supports("eligible")
        assert row[KIND] == "企业/机构" and row[ERRORS] is None
        assert row[OUTCOME] == (f"符合 {len(eligible)} 项" if eligible else "暂无符合的条款")
        assert set(ids(row[ELIGIBLE])) == {r.clause_id for r in eligible}, index
        assert set(ids(row[NEEDS_INFO])) == {r.clause_id for r in report.supports("needs_info")}
        assert set(ids(row[NEAR])) == {r.clause_id for r in report.supports() if r.near_miss}
        assert row[COUNT] == len(eligible)
        assert row[NEEDS_COUNT] == len(report.supports("needs_info"))
        assert row[NEAR_COUNT] == sum(r.near_miss for r in report.supports())
        assert isinstance(row[MIN], (int, float)) and money(row[MIN]) == report.totals.min
        if report.totals.max is None:  # no number: a note says why
            assert row[MAX] is None
            assert "无上限" in row[MAX_NOTE] or "一事一议" in row[MAX_NOTE]
        else:
            assert isinstance(row[MAX], (int, float)) and money(row[MAX]) == report.totals.max
            assert row[MAX_NOTE] is None
        wanted = list(dict.fromkeys(m.label for r in report.supports("needs_info") for m in r.missing))
        assert (row[MISSING] or "") == "、".join(wanted)  # each field once
    # ...including the citation and the missing fields, checked on a sample of rows
    for index in valid[::97]:
        report = report_of[built["template_of"][index]]
        for line in (body[index][ELIGIBLE] or "").splitlines():
            cite = report.result(line.split(" ", 1)[0]).citation
            where = cite.doc_number or f"《{cite.document}》"
            assert line.endswith(f"〔{where} {cite.article}〕"), line
        for line in (body[index][NEEDS_INFO] or "").splitlines():
            cite = report.result(line.split(" ", 1)[0]).citation
            assert line.endswith(f"{cite.article}〕"), line

    # the summary sheet, recomputed from the full reports of the valid, first-seen rows
    expected = _expected_summary(calc, (report_of[built["template_of"][i]] for i in valid))
    summary = sheet_rows(target, 1)
    assert summary[0] == ("条款编号", "条款", "适用对象", "施行状态", "支持内容", "出处", "符合",
                          "待补充信息", "差一项", "保底合计（元）", "最高合计（元）",
                          "含待补充者的最高合计（元）")
    clause_rows, total = summary[1:-1], summary[-1]
    assert sorted(r[0] for r in clause_rows) == sorted(expected)
    # in force first, by headcount then budget (unbounded first); then 政策导向; then not in force
    group = {"施行中": 0, "施行中（政策导向）": 1}
    groups = [group.get(r[3], 2) for r in clause_rows]
    assert groups == sorted(groups) and set(groups) == {0, 1, 2}
    assert all(r[3].startswith("未施行：") for r, g in zip(clause_rows, groups, strict=True) if g == 2)
    in_force = [r for r in clause_rows if r[3] == "施行中"]
    def budget(value: Any) -> Decimal:
        return Decimal("Infinity") if value == "无上限" else Decimal(0) if isinstance(value, str) \
            else Decimal(str(value))
    keys = [(-r[6], -budget(r[10])) for r in in_force]
    assert keys == sorted(keys)
    low_total, high_total, exposure_total = Decimal(0), Decimal(0), Decimal(0)
    for row in clause_rows:
        want = expected[row[0]]
        assert row[2] == "企业/机构"
        assert row[6:9] == (want["eligible"], want["needs_info"], want["near"]), row[0]
        if row[3].startswith("未施行"):  # nobody is counted
            assert row[6:9] == (0, 0, 0)
        if want["kind"] in PRICED:
            assert money(row[9]) == want["min"]
            assert money(row[10]) == ("无上限" if want["max"] is None else want["max"])
            assert money(row[11]) == ("无上限" if want["exposure"] is None else want["exposure"])
            low_total += want["min"]
            high_total = None if want["max"] is None or high_total is None else high_total + want["max"]
            exposure_total = (None if want["exposure"] is None or exposure_total is None
                              else exposure_total + want["exposure"])
        else:
            assert row[9] == "—" and row[10] == row[11] == NOT_PRICED[want["kind"]], row
    assert total[:2] == ("合计", "9900 名有效申请人")
    assert money(total[9]) == low_total
    assert money(total[10]) == ("无上限" if high_total is None else high_total)
    assert money(total[11]) == ("无上限" if exposure_total is None else exposure_total)
    # and the summary is not trivially empty: fixed awards summed, an uncapped one unbounded
    assert expected["global-500-first-entry-award"]["eligible"] > 1000
    assert money(clause_rows[[r[0] for r in clause_rows].index("global-500-first-entry-award")][10]) \
        == 30_000_000 * expected["global-500-first-entry-award"]["eligible"]
    assert expected["xinhua-national-key-project-matching"]["max"] is None
    # the in-memory summary is the sheet
    assert result.summary is not None and result.summary.applicants == 9900
    tally = result.summary.tallies["china-500-first-entry-award"]
    assert tally.eligible == expected["china-500-first-entry-award"]["eligible"]


# --- output formats ------------------------------------------------------------------------

SMALL_HEADER = ["姓名", "出生日期", "学历", "人才计划", "入选人才计划年份", "申报角色", "工作所在板块",
                "工作单位"]
SMALL = [
    ["张三", "1988-07-01", "博士", "国家级人才计划", "2023", "个人", "苏州工业园区", "甲公司"],
    ["李四", "1990-13-45", "硕士", "", "", "个人", "", ""],
    ["王五", "", "", "", "", "", "", ""],
    ["张三", "1988/7/1", "博士", "", "", "", "", "甲公司"],  # the same person again
]


def test_csv_output_with_the_summary_beside_it(tmp_path: Path, calc: Calculator) -> None:
    source = write_csv(tmp_path / "in.csv", SMALL_HEADER, SMALL)
    result = screen_table(source, tmp_path / "out.csv", as_of=AS_OF, calculator=calc)
    assert result.line == "读取 4 行，输出 4 行，其中 2 行有错误"
    assert result.outputs == [tmp_path / "out.csv", tmp_path / "out.summary.csv", tmp_path / "out.errors.csv"]
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "行号" and [r[0] for r in rows[1:]] == ["2", "3", "4", "5"]
    assert rows[1][OUTCOME].startswith("符合 ") and "individual-talent-support" in rows[1][ELIGIBLE]
    assert rows[2][OUTCOME] == "有错误"
    assert rows[2][ERRORS].startswith("列“出生日期”，值“1990-13-45”：日期不存在")
    assert rows[3][OUTCOME] != "有错误" and rows[3][NAME] == "王五"
    assert rows[4][ERRORS] == ("重复的申请：与第 2 行的姓名 张三、出生日期 1988-07-01、工作单位 甲公司相同，"
                               "本行未计入筛查和汇总")
    with (tmp_path / "out.summary.csv").open(encoding="utf-8-sig", newline="") as handle:
        summary = list(csv.reader(handle))
    by_id = {r[0]: r for r in summary[1:]}
    # 张三 qualifies; 王五, who filled in nothing, may (role and programme missing)
    assert by_id["individual-talent-support"][6:12] == ["1", "1", "0", "0", "50000000", "100000000"]
    assert summary[-1][:2] == ["合计", "2 名有效申请人"]


def test_jsonl_output_is_structured(tmp_path: Path, calc: Calculator) -> None:
    source = write_csv(tmp_path / "in.csv", SMALL_HEADER, SMALL)
    result = screen_table(source, tmp_path / "out.jsonl", as_of=AS_OF, calculator=calc)
    assert result.outputs == [tmp_path / "out.jsonl", tmp_path / "out.summary.jsonl",
                              tmp_path / "out.errors.jsonl"]
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == [2, 3, 4, 5]
    first = rows[0]
    assert first["name"] == "张三" and first["kind"] == "talent" and first["errors"] == []
    report = calc.evaluate(PROFILE_MODELS["talent"].model_validate({
        "kind": "talent", "name": "张三", "birth_date": date(1988, 7, 1), "education": "博士",
        "talent_programmes": ["国家级人才计划"], "talent_selected_year": 2023, "role": "个人",
        "district": "苏州工业园区", "employer": "甲公司"}), as_of=AS_OF)
    def listed(key: str) -> set[str]:
        return {h["clause_id"] for h in first[key]}

    assert listed("eligible") == {r.clause_id for r in report.supports("eligible")}
    assert listed("needs_info") == {r.clause_id for r in report.supports("needs_info")}
    assert listed("near_misses") == {r.clause_id for r in report.supports() if r.near_miss}
    award = next(h for h in first["eligible"] if h["clause_id"] == "individual-talent-support")
    assert award == {"clause_id": "individual-talent-support", "title": "个人人才最高5000万元支持",
                     "amount": "最高 5000万元", "min": "0", "max": "50000000",
                     "citation": "《2022苏州“新年第一会”聚焦创新集群》 第4段（创新人才引育方面）",
                     "missing": [], "reasons": [], "support": "funding", "support_label": "资金奖补",
                     "caveats": list(calc.bundle.clause("individual-talent-support").clause.caveats)}
    assert all(h["citation"] and h["missing"] for h in first["needs_info"])
    assert all(h["citation"] and h["reasons"] for h in first["near_misses"])
    assert first["total_min"] == str(report.totals.min)
    assert first["total_max"] == (None if report.totals.max is None else str(report.totals.max))
    assert (first["total_max_note"] is None) == (report.totals.max is not None)
    [bad_date] = rows[1]["errors"]
    assert bad_date["column"] == "出生日期" and bad_date["value"] == "1990-13-45"
    assert bad_date["message"].startswith("日期不存在")
    assert "eligible" not in rows[1] and rows[1]["kind"] is None
    assert rows[3]["errors"][0]["column"] is None and rows[3]["errors"][0]["message"].startswith("重复的申请")
    summary = [json.loads(line) for line in
               (tmp_path / "out.summary.jsonl").read_text(encoding="utf-8").splitlines()]
    award_row = next(r for r in summary if r["条款编号"] == "individual-talent-support")
    assert award_row["符合"] == 1 and award_row["最高合计（元）"] == "50000000"
    assert summary[-1]["条款编号"] == "合计"


def test_jsonl_input_rows_with_field_names_and_bad_lines(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        {"kind": "company", "name": "甲", "revenue": 300000000, "global500_first_entry_year": 2025,
         "district": "姑苏区"},
        {"类型": "人才", "姓名": "乙", "人才计划": ["顶尖人才"], "申报角色": "个人"},
        {"name": "丙", "revenue": "1亿", "营业收人": "1亿", "kind": "company"},
        {"name": "丁", "industry": "其他"},  # both kinds have these: which is it?
    ]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n{oops\n\"text\"\n"
    source.write_text(text, encoding="utf-8")
    result = screen_table(source, tmp_path / "out.jsonl", as_of=AS_OF, calculator=calc)
    assert result.line == "读取 6 行，输出 6 行，其中 4 行有错误"
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "global-500-first-entry-award" in [h["clause_id"] for h in rows[0]["eligible"]]
    assert rows[1]["kind"] == "talent" and rows[1]["errors"] == []
    unknown = rows[2]["errors"][0]
    assert unknown["column"] == "营业收人"
    assert unknown["message"] == "未知的字段“营业收人”；是否想写 营业收入？"
    assert rows[3]["errors"][0]["message"].startswith("无法从列名判断档案类型")
    assert rows[4]["errors"][0]["message"].startswith("不是有效的 JSON：")
    assert rows[5]["errors"][0]["message"] == "每行应为一个 JSON 对象 {…}"


def test_unknown_columns_of_a_sheet_are_reported_once_and_ignored(tmp_path: Path, calc: Calculator) -> None:
    source = write_csv(tmp_path / "in.csv", ["姓名", "出生日其", "备注"], [["张三", "1990-01-01", "x"]])
    result = screen_table(source, tmp_path / "out.csv", as_of=AS_OF, calculator=calc)
    assert result.unknown_columns == {"出生日其": "；是否想写 出生日期？", "备注": ""}
    assert result.with_errors == 0


def test_a_kind_column_mixes_companies_and_people(tmp_path: Path, calc: Calculator) -> None:
    company_labels = {n: header_of("company", n) for n in input_fields("company") if n != "name"}
    talent_labels = {n: header_of("talent", n) for n in input_fields("talent") if n != "name"}
    header = ["类型", "名称", *dict.fromkeys([*company_labels.values(), *talent_labels.values()])]
    rows, expected = [], []
    people = applicants("talent", 30, seed=5)
    for index, firm in enumerate(applicants("company", 30, seed=4)):
        for kind, record, labels in (("企业", firm, company_labels), ("人才", next(people), talent_labels)):
            row = sheet_cells(record["kind"], {n: v for n, v in record.items() if n != "name"})
            rows.append([kind, f"{record['name']}-{index}", *(row.get(h) if h in labels.values() else None
                                                            for h in header[2:])])
            expected.append(calc.evaluate(PROFILE_MODELS[record["kind"]].model_validate(record), as_of=AS_OF))
    source = write_xlsx(tmp_path / "mixed.xlsx", header, rows)
    result = screen_table(source, tmp_path / "out.xlsx", as_of=AS_OF, calculator=calc)
    assert result.line == "读取 60 行，输出 60 行，其中 0 行有错误"
    body = sheet_rows(tmp_path / "out.xlsx")[1:]
    assert [r[KIND] for r in body] == ["企业/机构", "人才"] * 30
    for row, report in zip(body, expected, strict=True):
        assert set(ids(row[ELIGIBLE])) == {r.clause_id for r in report.supports("eligible")}
        assert money(row[MIN]) == report.totals.min
    # the summary covers the clauses of both kinds
    summary = sheet_rows(tmp_path / "out.xlsx", 1)
    assert {r[2] for r in summary[1:-1]} == {"企业/机构", "人才"}
    assert len(summary) - 2 == len(calc.bundle.clauses)
    assert summary[-1][1] == "60 名有效申请人"


# --- --clause ------------------------------------------------------------------------------

CLAUSE = "individual-talent-support"  # role = 个人, and one of the high-level talent programmes
CLAUSE_ROWS = [  # sheet row: (role, programmes)
    ("团队核心成员", "顶尖人才"),   # 2: near miss (role)
    (None, None),                   # 3: needs 申报角色 and 人才计划
    ("个人", "国家级人才计划"),     # 4: eligible
    ("团队带头人", "卓越工程师"),   # 5: fails twice: not listed
    ("个人", None),                 # 6: needs 人才计划
    ("个人", "顶尖人才、卓越工程师"),  # 7: eligible
    (None, "江苏省双创计划"),       # 8: needs 申报角色
    ("个人", "国家级人才计划"),     # 9: bad date: an error, not listed
    ("个人", "卓越工程师"),         # 10: near miss (programme)
]


def test_clause_lists_who_qualifies_or_nearly_does_closest_first(tmp_path: Path, calc: Calculator) -> None:
    # everyone works in Suzhou and was selected in 2023, inside the award's 2022–2025 window
    header = ["姓名", "出生日期", "申报角色", "人才计划", "工作所在板块", "入选人才计划年份"]
    rows = [[f"候选人{n}", "1990-02-30" if n == 9 else "1990-01-01", role, programmes, "吴中区", 2023]
            for n, (role, programmes) in enumerate(CLAUSE_ROWS, start=2)]
    source = write_xlsx(tmp_path / "in.xlsx", header, rows)
    target = tmp_path / "out.xlsx"
    result = screen_table(source, target, as_of=AS_OF, clauses=[CLAUSE, "major-innovation-team-funding"],
                          calculator=calc)
    ranked = result.candidates[CLAUSE]
    assert [(number, status) for number, _, status, _ in ranked] == [
        (4, "eligible"), (7, "eligible"), (6, "needs_info"), (8, "needs_info"), (3, "needs_info"),
        (2, "ineligible"), (10, "ineligible")]
    details = {number: detail for number, _, _, detail in ranked}
    assert details[4] == "最高 5000万元〔《2022苏州“新年第一会”聚焦创新集群》 第4段（创新人才引育方面）〕"
    assert details[6] == "需补充：人才计划" and details[3] == "需补充：申报角色、人才计划"
    assert details[2].startswith("✗ 申报角色 团队核心成员，要求 = 个人")
    assert ranked[0][1] == "候选人4"
    # the sheet "按条款" lists the same, clause by clause
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["筛查结果", "汇总", "按条款", "错误"]
    book.close()
    listing = sheet_rows(target, 2)
    assert listing[0] == ("条款编号", "条款", "名次", "行号", "名称", "状态", "说明")
    mine = [r for r in listing[1:] if r[0] == CLAUSE]
    assert [(r[2], r[3], r[5]) for r in mine] == [
        (1, 4, "符合"), (2, 7, "符合"), (3, 6, "待补充信息"), (4, 8, "待补充信息"), (5, 3, "待补充信息"),
        (6, 2, "差一项"), (7, 10, "差一项")]
    assert [r[0] for r in listing[1:]] == sorted(r[0] for r in listing[1:])
    # results and the summary cover the selected clauses only
    body = sheet_rows(target)[1:]
    assert {i for row in body for i in ids(row[ELIGIBLE]) + ids(row[NEEDS_INFO]) + ids(row[NEAR])} <= {
        CLAUSE, "major-innovation-team-funding"}
    summary = sheet_rows(target, 1)
    # by headcount: the clause two applicants qualify for first
    assert [r[0] for r in summary[1:]] == [CLAUSE, "major-innovation-team-funding", "合计"]
    row = next(r for r in summary if r[0] == CLAUSE)
    assert row[6:11] == (2, 3, 2, 0, 100_000_000)


def test_clause_candidates_are_exactly_the_reports_eligible_needs_info_and_near_misses(
        tmp_path: Path, calc: Calculator) -> None:
    header, rows = talent_rows(300, seed=9)
    source = write_csv(tmp_path / "in.csv", header, rows)
    clause = "vitality-young-talent-startup-fund"
    as_of = date(2026, 11, 21)  # inside the 2026–2028 period of 苏政发〔2026〕55号
    result = screen_table(source, tmp_path / "out.csv", as_of=as_of, clauses=[clause], calculator=calc)
    order = {"eligible": 0, "needs_info": 1, "ineligible": 2}
    expected = []
    for number, data in enumerate(applicants("talent", 300, seed=9), start=2):
        item = calc.evaluate(PROFILE_MODELS["talent"].model_validate(data), as_of=as_of).result(clause)
        if item.status in ("eligible", "needs_info") or item.near_miss:
            # near misses by how far they are: the shortfall relative to the threshold
            profile = PROFILE_MODELS["talent"].model_validate(data)
            far = (gap(calc.bundle.clause(clause).condition, profile_values(profile, AS_OF))
                   if item.status == "ineligible" else 0)
            expected.append((order[item.status], len(item.missing) if item.status == "needs_info" else far,
                             number, item.status))
    assert len({e[0] for e in expected}) == 3  # all three kinds occur
    assert [(n, s) for n, _, s, _ in result.candidates[clause]] == [(n, s) for _, _, n, s in sorted(expected)]


def test_near_misses_are_ranked_by_how_far_they_are(tmp_path: Path) -> None:
    fixture = Calculator.load(Path(__file__).parents[1] / "fixtures" / "rules")
    rows = [["甲", "1亿", "苏州工业园区"], ["乙", "1.99亿", "苏州工业园区"], ["丙", "3亿", "吴江区"],
            ["丁", "1.9亿", "苏州工业园区"], ["戊", "", "苏州工业园区"]]
    source = write_csv(tmp_path / "in.csv", ["企业名称", "营业收入", "所在板块"], rows)
    result = screen_table(source, tmp_path / "out.csv", as_of=date(2025, 6, 30), calculator=fixture,
                          clauses=["revenue-award"])
    # revenue >= 2亿: 1.99亿 is 0.5% short, 1.9亿 5%, 1亿 50%
    assert [(name, status) for _, name, status, _ in result.candidates["revenue-award"]] == [
        ("丙", "eligible"), ("戊", "needs_info"), ("乙", "ineligible"), ("丁", "ineligible"),
        ("甲", "ineligible")]


def test_unknown_clause_is_a_rule_error_with_a_did_you_mean(tmp_path: Path, calc: Calculator) -> None:
    source = write_csv(tmp_path / "in.csv", SMALL_HEADER, SMALL)
    with pytest.raises(RuleFileError, match="是否想写 individual-talent-support"):
        screen_table(source, tmp_path / "out.csv", as_of=AS_OF, clauses=["individual-talent-suport"],
                     calculator=calc)
    assert not (tmp_path / "out.csv").exists()


# --- processes, progress, unreadable input ---------------------------------------------------


def test_two_workers_write_exactly_what_one_does(tmp_path: Path, calc: Calculator) -> None:
    header, rows = talent_rows(600, seed=21)
    rows[17][1] = "1990-13-45"
    rows[300] = [None] * len(header)
    rows[450] = list(rows[12])
    source = write_csv(tmp_path / "in.csv", header, rows)
    one = screen_table(source, tmp_path / "one.csv", as_of=AS_OF, calculator=calc, chunk_rows=50,
                       clauses=None)
    two = screen_table(source, tmp_path / "two.csv", as_of=AS_OF, calculator=calc, chunk_rows=50, workers=2)
    # with another thread running (a progress bar's, a server's) workers are spawned, not forked
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        spawned = screen_table(source, tmp_path / "spawned.csv", as_of=AS_OF, calculator=calc,
                               chunk_rows=50, workers=2)
    finally:
        stop.set()
        other.join()
    assert one.line == two.line == spawned.line == "读取 600 行，输出 600 行，其中 3 行有错误"
    for name in ("two", "spawned"):
        assert (tmp_path / "one.csv").read_bytes() == (tmp_path / f"{name}.csv").read_bytes()
        assert (tmp_path / "one.summary.csv").read_bytes() == (tmp_path / f"{name}.summary.csv").read_bytes()


def test_progress_is_reported_per_chunk_and_at_the_end(tmp_path: Path, calc: Calculator) -> None:
    header, rows = talent_rows(250, seed=3)
    calls: list[tuple[int, int | None]] = []
    screen_table(write_csv(tmp_path / "in.csv", header, rows), tmp_path / "out.csv", as_of=AS_OF,
                 calculator=calc, chunk_rows=100, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, None), (200, None), (250, None)]  # a CSV's length is not known ahead
    calls.clear()
    # a workbook saved whole (as Excel saves) states its size; a streamed one may not
    screen_table(write_xlsx(tmp_path / "in.xlsx", header, rows, streaming=False), tmp_path / "out.csv",
                 as_of=AS_OF,
                 calculator=calc, chunk_rows=100, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, 250), (200, 250), (250, 250)]


def test_input_that_cannot_be_read_is_a_profile_error(tmp_path: Path, calc: Calculator) -> None:
    def screen(path: Path) -> None:
        screen_table(path, tmp_path / "out.csv", as_of=AS_OF, calculator=calc)

    with pytest.raises(ProfileError, match="文件不存在"):
        screen(tmp_path / "missing.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ProfileError, match=r"另存为 \.xlsx"):
        screen(tmp_path / "old.xls")
    with pytest.raises(ProfileError, match="无法从列名判断档案类型"):
        screen(write_csv(tmp_path / "vague.csv", ["名称", "所属产业"], [["甲", "电子信息"]]))
    with pytest.raises(ProfileError, match="出现了两次"):
        screen(write_csv(tmp_path / "twice.csv", ["姓名", "姓名"], [["甲", "甲"]]))
    (tmp_path / "fake.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(ProfileError, match="无法读取"):
        screen(tmp_path / "fake.xlsx")
