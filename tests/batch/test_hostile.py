"""Hostile and messy inputs: every physical record is accounted for (rows in = rows out,
refused rows counted), no traceback, bounded memory, and the previous results survive an
interrupted or killed run. The sheets offices really have (titles, merged cells, their own
id columns, common spellings) screen correctly."""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from calculator import Calculator
from calculator.base.errors import CalculatorError, ProfileError
from calculator.batch.outputs import OutputError, write_error
from calculator.batch.run import BatchResult, screen_table
from calculator.batch.template import write_template

AS_OF = "2026-11-21"
ROOT = Path(__file__).resolve().parents[2]
HEADER = "姓名,出生日期,学历,申报角色,人才计划,工作所在板块,工作单位\n"


def person(i: int) -> str:
    return f"申请人{i},1990-01-{1 + i % 28:02d},博士,个人,国家级人才计划,苏州工业园区,单位{i}\n"


def screen(source: Path, target: Path, calc: Calculator, **options: Any) -> BatchResult:
    from datetime import date

    return screen_table(source, target, as_of=date(2026, 11, 21), calculator=calc, **options)


def output_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def accounted(result: BatchResult, rows_in: int, refused: int, out: Path) -> list[list[str]]:
    """Rows in = rows out, and out = screened + refused; the output file has them all."""
    assert result.read == rows_in and result.written == rows_in
    assert result.with_errors == refused
    assert result.screened + result.with_errors + result.examples == rows_in
    body = output_rows(out)[1:]
    assert len(body) == rows_in
    return body


def column(rows: list[list[str]], name: str, header: list[str]) -> list[str]:
    return [r[header.index(name)] for r in rows]


# --- never touch the input ---------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "jsonl", "xlsx"])
def test_the_output_cannot_be_the_input_even_through_links(
    tmp_path: Path, calc: Calculator, ext: str
) -> None:
    source = tmp_path / f"a.{ext}"
    if ext == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["姓名", "学历"])
        sheet.append(["张三", "博士"])
        book.save(source)
    elif ext == "csv":
        source.write_text("姓名,学历\n张三,博士\n", encoding="utf-8")
    else:
        source.write_text('{"姓名": "张三"}\n', encoding="utf-8")
    before = source.read_bytes()
    (tmp_path / f"soft.{ext}").symlink_to(source)
    os.link(source, tmp_path / f"hard.{ext}")
    for target in (
        source,
        tmp_path / f"soft.{ext}",
        tmp_path / f"hard.{ext}",
        tmp_path / "sub" / ".." / f"a.{ext}",
    ):
        with pytest.raises(OutputError, match="就是输入文件"):
            screen(source, target, calc)
    assert source.read_bytes() == before
    # nor may a table written beside the output be the input
    if ext != "xlsx":
        beside = tmp_path / f"r.summary.{ext}"
        os.link(source, beside)
        with pytest.raises(OutputError, match="就是输入文件"):
            screen(source, tmp_path / f"r.{ext}", calc)
        assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_the_template_never_replaces_a_file_without_force(tmp_path: Path) -> None:
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(b"a filled sheet")
    with pytest.raises(ProfileError, match=r"已存在，未覆盖.*--force"):
        write_template("talent", filled)
    assert filled.read_bytes() == b"a filled sheet"
    write_template("talent", filled, force=True)
    assert load_workbook(filled).sheetnames[0] == "人才档案"


def test_outputs_that_cannot_be_written_are_one_chinese_line(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + person(1), encoding="utf-8")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        screen(source, tmp_path / "file" / "out.csv", calc)
    assert "\n" not in str(info.value) and "原有的结果文件未改动" in str(info.value)
    assert isinstance(info.value, CalculatorError)
    assert str(write_error(OSError(errno.ENOSPC, "No space"), tmp_path / "o.xlsx")).startswith(
        "磁盘空间不足"
    )
    assert str(write_error(OSError(errno.EROFS, "Read-only"), tmp_path / "o.xlsx")).startswith(
        "没有写入权限"
    )


def test_a_failed_run_leaves_the_previous_results_and_no_temporary_files(
    tmp_path: Path, calc: Calculator
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "".join(person(i) for i in range(600)), encoding="utf-8")
    target = tmp_path / "out.csv"
    screen(source, target, calc)
    previous = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("out")}
    assert set(previous) == {"out.csv", "out.summary.csv"}

    def fail(done: int, total: int | None) -> None:
        if done >= 256:
            raise KeyboardInterrupt  # Ctrl-C midway

    with pytest.raises(KeyboardInterrupt):
        screen(source, target, calc, progress=fail, chunk_rows=128)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("out")} == previous
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


# --- killed runs (in a subprocess) ---------------------------------------------------------


def _start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def _wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    path.write_text(HEADER + "".join(person(i) for i in range(20_000)), encoding="utf-8")
    return path


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_kill_9_leaves_the_previous_result_and_the_next_run_removes_its_temp_file(
    tmp_path: Path, big: Path, ext: str
) -> None:
    target = tmp_path / f"结果.{ext}"
    small = tmp_path / "small.csv"
    small.write_text(HEADER + person(1), encoding="utf-8")
    assert (
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "cli.py"),
                "screen",
                str(small),
                "-o",
                str(target),
                "--as-of",
                AS_OF,
            ],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        ).returncode
        == 0
    )
    previous = target.read_bytes()
    run = _start(["screen", str(big), "-o", str(target), "--as-of", AS_OF], tmp_path)
    temp = tmp_path / f".{target.name}.tmp-{run.pid}"
    _wait_for(lambda: temp.exists() and temp.stat().st_size > 0)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert target.read_bytes() == previous  # the previous result, intact
    assert temp.exists()  # what a killed process leaves, named after it
    screen_args = ["screen", str(small), "-o", str(target), "--as-of", AS_OF]
    again = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *screen_args],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert again.returncode == 0, again.stderr.decode()
    assert not temp.exists() and [p for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_sigterm_removes_the_temp_files_and_keeps_the_previous_result(tmp_path: Path, big: Path) -> None:
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"previous")
    run = _start(["screen", str(big), "-o", str(target), "--as-of", AS_OF], tmp_path)
    temp = tmp_path / f".{target.name}.tmp-{run.pid}"
    _wait_for(lambda: temp.exists())
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode != 0
    assert b"Traceback" not in stderr
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_workers_end_when_the_parent_is_killed(tmp_path: Path, big: Path) -> None:
    run = _start(
        ["screen", str(big), "-o", str(tmp_path / "out.csv"), "--workers", "2", "--as-of", AS_OF], tmp_path
    )

    def children() -> list[int]:
        try:
            text = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    _wait_for(lambda: len(children()) >= 2)
    workers = children()
    run.send_signal(signal.SIGKILL)
    run.wait()

    _wait_for(lambda: not any(_running(p) for p in workers), timeout=10)


# --- no row lost or invented -----------------------------------------------------------------


def test_an_unterminated_quote_is_one_row_error_and_the_rows_after_it_are_read(
    tmp_path: Path, calc: Calculator
) -> None:
    lines = [person(i) for i in range(1200)]
    lines[199] = '申请人199,"1990-01-01,博士,个人,国家级人才计划,苏州工业园区,单位\n'
    source = tmp_path / "quote.csv"
    source.write_text(HEADER + "".join(lines), encoding="utf-8")
    result = screen(source, tmp_path / "out.csv", calc)
    body = accounted(result, 1200, 1, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    errors = column(body, "错误", header)
    assert [i for i, e in enumerate(errors) if e] == [199]
    assert errors[199].startswith("引号没有闭合")
    assert column(body, "行号", header) == [str(n) for n in range(2, 1202)]
    assert result.first_errors[0].startswith("第 201 行：引号没有闭合")


def test_a_bare_carriage_return_invents_no_row(tmp_path: Path, calc: Calculator) -> None:
    lines = [person(i) for i in range(50)]
    lines[10] = "申请人10,1990-01-01,博士,个人,国家级\r人才计划,苏州工业园区,单位\n"
    source = tmp_path / "cr.csv"
    source.write_bytes((HEADER + "".join(lines)).encode())
    result = screen(source, tmp_path / "out.csv", calc)
    body = accounted(result, 50, 1, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    assert "单独的回车符" in column(body, "错误", header)[10]
    assert column(body, "行号", header)[-1] == "51"  # later rows keep their numbers


def test_text_after_a_closing_quote_and_a_quoted_line_break(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "q.csv"
    source.write_text(
        HEADER
        + person(1)
        + '"申请人"x,1990-01-01,博士,,,,\n'
        + '"申请\n人3",1990-01-01,博士,,,,\n'
        + person(4),
        encoding="utf-8",
    )
    result = screen(source, tmp_path / "out.csv", calc)
    body = accounted(result, 4, 1, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    assert "右引号之后还有文字" in column(body, "错误", header)[1]
    assert column(body, "名称", header)[2] == "申请\n人3"


def test_huge_cells_and_numbers_are_row_errors(tmp_path: Path, calc: Calculator) -> None:
    lines = [person(i) for i in range(30)]
    lines[3] = "申请人3," + "x" * 140_000 + ",博士,,,,\n"
    lines[7] = "申请人7,1990-01-01,博士,个人,,," + "y" * 2_000_000 + "\n"
    source = tmp_path / "huge.csv"
    source.write_text(
        "姓名,出生日期,学历,申报角色,人才计划,工作所在板块,工作单位,随迁适龄子女数\n"
        + "".join(
            line.rstrip("\n") + ("," + "9" * 5000 if i == 12 else ",") + "\n"
            for i, line in enumerate(lines)
        ),
        encoding="utf-8",
    )
    result = screen(source, tmp_path / "out.csv", calc)
    body = accounted(result, 30, 3, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    errors = column(body, "错误", header)
    assert "超过每格 32767 个字符" in errors[3]
    assert "超过 1 MiB" in errors[7]
    assert "数值过长" in errors[12] and len(errors[12]) < 400  # the value is shown shortened


def test_encoding_is_decided_per_row(tmp_path: Path, calc: Calculator) -> None:
    # a GBK row after the first 64 KiB of a UTF-8 file
    utf8 = [person(i).encode() for i in range(1500)]
    utf8[1400] = person(1400).encode("gbk")
    source = tmp_path / "mixed.csv"
    source.write_bytes(HEADER.encode() + b"".join(utf8))
    assert len(b"".join(utf8[:1400])) > 1 << 16
    result = screen(source, tmp_path / "out.csv", calc)
    body = accounted(result, 1500, 0, tmp_path / "out.csv")
    assert body[1400][1] == "申请人1400"
    # a GBK file whose first 64 KiB is ASCII
    ascii_rows = "".join(f"Person {i},1990-01-01,,,,,\n" for i in range(3000))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(HEADER.encode("gbk") + ascii_rows.encode() + person(9).encode("gbk"))
    result = screen(gbk, tmp_path / "gbk-out.csv", calc)
    body = accounted(result, 3001, 0, tmp_path / "gbk-out.csv")
    assert body[-1][1] == "申请人9"
    # bytes in neither encoding: that row's error
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        HEADER.encode() + person(1).encode() + b"\xff\xfe\xff,1990-01-01,,,,,\n" + person(2).encode()
    )
    result = screen(bad, tmp_path / "bad-out.csv", calc)
    body = accounted(result, 3, 1, tmp_path / "bad-out.csv")


def test_hostile_jsonl_lines_are_row_errors(tmp_path: Path, calc: Calculator) -> None:
    good = json.dumps({"姓名": "张三", "学历": "博士"}, ensure_ascii=False)
    lines = [
        good,
        '{"姓名": "李四", "随迁适龄子女数": ' + "9" * 5000 + "}",
        '{"姓名": "\\ud800"}',
        '{"姓名": ' + "[" * 50 + "]" * 50 + "}",
        '{"姓名": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"姓名": "' + "x" * 40_000 + '"}',
        '{"姓名": NaN}',
        good.replace("张三", "王五"),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = screen(source, tmp_path / "out.jsonl", calc)
    assert (result.read, result.written, result.with_errors) == (8, 8, 6)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == list(range(1, 9))
    messages = [r["errors"][0]["message"] if r["errors"] else "" for r in rows]
    assert "整数位数过多" in messages[1] and "代理项" in messages[2] and "嵌套" in messages[3]
    assert "嵌套" in messages[4] and "32767" in messages[5] and "不是有效的 JSON" in messages[6]


# --- bounded memory --------------------------------------------------------------------------


def _bomb(path: Path, member: str, size: int, inline: bool = False) -> Path:
    """A workbook whose ``member`` holds one cell of ``size`` characters, compressed."""
    _base_xlsx(path)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=True) as out,
    ):
        if inline:
            out.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t>'
                b'</is></c><c r="B1" t="inlineStr"><is><t>\xe5\xad\xa6\xe5\x8e\x86</t></is></c></row>'
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
            )
        else:
            out.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<si><t>\xe5\xa7\x93\xe5\x90\x8d</t></si><si><t>\xe5\xad\xa6\xe5\x8e\x86</t></si><si><t>"
            )
        chunk = b"A" * (1 << 20)
        for _ in range(size // len(chunk)):
            out.write(chunk)
        if inline:
            out.write(
                b'</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>ok</t></is>'
                b"</c></row></sheetData></worksheet>"
            )
        else:
            out.write(b"</t></si></sst>")
    return path


def _base_xlsx(path: Path) -> None:
    """The parts of a one-sheet workbook, without the sheet."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )


def _shared_sheet(path: Path) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c></row></sheetData></worksheet>',
        )


#: Runs the command line and, as it exits, reports the process's own peak resident memory
#: (VmHWM: per address space, so unlike ru_maxrss it does not include what the test
#: process held when it started the child).
_MEASURED = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    try:
        peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"\\nPEAK-KB {peak}\\n")
"""


def _rss(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command line in a child process; its peak RSS in MiB, and its output."""
    run = subprocess.run([sys.executable, "-c", _MEASURED, str(ROOT / "cli.py"), *args], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    text, _, peak = run.stdout.decode().rpartition("PEAK-KB ")
    lines = text.rstrip().splitlines()
    # stdout and stderr are not ordered in the pipe: the summary line is wherever it landed
    summary = [line for line in lines if line.startswith("读取 ")]
    return int(peak) // 1024, "\n".join([line for line in lines if not line.startswith("读取 ")] + summary)


def test_xlsx_bombs_are_refused_and_huge_cells_are_never_held(tmp_path: Path) -> None:
    baseline_source = tmp_path / "tiny.csv"
    baseline_source.write_text(HEADER + person(1), encoding="utf-8")
    baseline, _ = _rss(["screen", str(baseline_source), "-o", "tiny-out.csv", "--as-of", AS_OF], tmp_path)
    assert 20 < baseline < 150, baseline
    # a 256 MiB shared string in a file of a few hundred KB: refused before it is inflated
    bomb = _bomb(tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", 256 << 20)
    _shared_sheet(bomb)
    assert bomb.stat().st_size < 2 << 20
    peak, output = _rss(["screen", str(bomb), "-o", "out.csv"], tmp_path)
    assert output.startswith("错误：") and "压缩炸弹" in output and "Traceback" not in output, output
    assert peak < baseline + 64, (peak, baseline)
    # a 12 MiB cell in the sheet itself: streamed past, that row's error, the rest read
    cell = _bomb(tmp_path / "cell.xlsx", "xl/worksheets/sheet1.xml", 12 << 20, inline=True)
    peak, output = _rss(["screen", str(cell), "-o", "out.csv", "--as-of", AS_OF], tmp_path)
    assert output.strip().endswith("读取 2 行，输出 2 行，其中 1 行有错误"), output
    assert "超过每格 32767 个字符" in output and "Traceback" not in output
    assert peak < baseline + 64, (peak, baseline)
    # a shared string just over the cell limit: the row's error, never its text
    near = _bomb(tmp_path / "near.xlsx", "xl/sharedStrings.xml", 8 << 20)
    _shared_sheet(near)
    peak, output = _rss(["screen", str(near), "-o", "out.csv", "--as-of", AS_OF], tmp_path)
    assert "超过每格 32767 个字符" in output and peak < baseline + 64, (peak, baseline, output)
    # a CSV of rows near the limits: 1000 cells of 30,000 characters, and a row over 1 MiB
    fat = tmp_path / "fat.csv"
    with fat.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(2000):
            handle.write(f"申请人{i}," + "字" * 30_000 + ",博士,,,,\n" if i % 2 else person(i))
        handle.write("申请人,1990-01-01," + "y" * (2 << 20) + "\n")
    peak, output = _rss(["screen", str(fat), "-o", "fat.xlsx", "--as-of", AS_OF], tmp_path)
    assert output.strip().endswith("读取 2001 行，输出 2001 行，其中 1001 行有错误"), output
    assert peak < baseline + 64, (peak, baseline)


def test_a_sheet_dimension_beyond_excel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    _base_xlsx(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:ZZZZ9999999"/><sheetData/></worksheet>',
        )
    from calculator.batch.tabular import open_table

    with pytest.raises(ProfileError, match="上限"):
        open_table(path)
    # merged ranges covering the whole sheet would cost a fill per cell: refused
    _base_xlsx(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/worksheets/sheet1.xml",
                         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
                         '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                         '</sheetData><mergeCells count="1"><mergeCell ref="A2:XFD1048576"/></mergeCells>'
                         "</worksheet>")
    with pytest.raises(ProfileError, match="合并单元格共覆盖"), open_table(path) as table:
        list(table.rows)


# --- formula-safe output -----------------------------------------------------------------------


def test_formula_text_is_defused_in_csv_and_xlsx_and_numbers_stay_numbers(
    tmp_path: Path, calc: Calculator
) -> None:
    source = tmp_path / "in.csv"
    attack = "-2+3+cmd|' /C calc'!A0"
    source.write_text(
        "姓名,学历,申请编号,备注\n" + f'"{attack}",博士,-5,=1+1\n' + "张三,博士,@x,\tx\n", encoding="utf-8"
    )
    screen(source, tmp_path / "out.csv", calc)
    rows = output_rows(tmp_path / "out.csv")
    header = rows[0]
    assert rows[1][header.index("名称")] == "'" + attack
    assert rows[1][header.index("申请编号")] == "-5"  # a plain number is no formula
    assert rows[1][header.index("备注（原表）")] == "'=1+1"
    assert rows[2][header.index("申请编号")] == "'@x" and rows[2][header.index("备注（原表）")] == "'\tx"
    screen(source, tmp_path / "out.xlsx", calc)
    sheet = load_workbook(tmp_path / "out.xlsx")["筛查结果"]
    names = [c.value for c in sheet[1]]
    cell = sheet.cell(2, names.index("名称") + 1)
    assert cell.value == attack and cell.data_type == "s" and cell.quotePrefix
    amount = sheet.cell(2, names.index("确定可得（元）") + 1)
    assert amount.data_type == "n"


# --- sheets as offices have them ---------------------------------------------------------------


def _office_sheet(path: Path) -> Path:
    book = Workbook()
    help_sheet = book.active
    assert help_sheet is not None
    help_sheet.title = "填写说明"
    help_sheet.append(["请按下表填写，每人一行"])
    data = book.create_sheet("申报名单")
    data.append(["2026年度人才申报汇总表"])
    data.merge_cells("A1:H1")
    data.append(["填报单位：某区人才办", None, None, "填报日期：2026-11-01"])
    data.append(
        [
            "申请编号",
            "姓名",
            "身份证号",
            "出生日期",
            "学历",
            "申报角色",
            "人才计划",
            "工作单位",
            "工作所在板块",
            "随迁适龄子女数",
            "职称",
        ]
    )
    people = [
        [
            "A-001",
            "张三",
            "320500199001011234",
            datetime(1990, 1, 1),
            "博士研究生",
            "个人",
            "国家级人才计划",
            "苏州甲公司",
            "园区",
            "2人",
            "教授",
        ],
        [
            "A-002",
            "李四",
            "320500199102021234",
            33271,
            "硕士",
            "团队负责人",
            "姑苏重大创新团队",
            None,
            "高新区",
            1,
            "副教授",
        ],
        [
            "A-003",
            "王五",
            "320500199203031234",
            "1992-03-03 00:00:00",
            "博士",
            "个人",
            "顶尖人才",
            None,
            "虎丘区",
            "0",
            "高级工程师",
        ],
    ]
    for row in people:
        data.append(row)
    data.merge_cells("H4:H6")  # one employer for three people
    book.save(path)
    return path


def test_a_sheet_with_titles_merged_cells_and_the_offices_own_ids(tmp_path: Path, calc: Calculator) -> None:
    source = _office_sheet(tmp_path / "office.xlsx")
    target = tmp_path / "out.xlsx"
    result = screen(source, target, calc)
    assert result.line == "读取 3 行，输出 3 行，其中 0 行有错误"
    assert (result.sheet, result.header_row) == ("申报名单", 3)
    assert result.passthrough == ("申请编号", "身份证号")
    sheet = load_workbook(target)["筛查结果"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["行号", "申请编号", "身份证号"]
    by_id = {r[1]: dict(zip(header, r, strict=False)) for r in rows[1:]}
    assert list(by_id) == ["A-001", "A-002", "A-003"]  # the ids come back, in order
    assert by_id["A-002"]["身份证号"] == "320500199102021234"
    assert [r[0] for r in rows[1:]] == [4, 5, 6]  # the row numbers the sheet shows
    # the merged employer reached every row, and the rows say so
    assert by_id["A-001"]["备注"] is None
    assert by_id["A-003"]["备注"] == "列“工作单位”是合并单元格，已填入第 4 行的值“苏州甲公司”"
    assert all(r["结果"] != "有错误" for r in by_id.values())
    # the header is frozen and filtered, the amounts are numbers
    assert (
        sheet.freeze_panes == "A2"
        and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}4"
    )
    assert isinstance(by_id["A-001"]["确定可得（元）"], (int, float))
    # the common spellings and the serial and midnight dates were understood
    common = {"employer": "苏州甲公司"}
    expected = {
        "A-001": dict(name="张三", birth_date="1990-01-01", education="博士", role="个人",
                      talent_programmes=["国家级人才计划"], district="苏州工业园区",
                      children_school_age=2, title="正高级"),
        "A-002": dict(name="李四", birth_date="1991-02-02", education="硕士", role="团队带头人",
                      talent_programmes=["姑苏重大创新团队"], district="苏州高新区",
                      children_school_age=1, title="副高级"),
        "A-003": dict(name="王五", birth_date="1992-03-03", education="博士", role="个人",
                      talent_programmes=["顶尖人才"], district="苏州高新区", children_school_age=0,
                      title="副高级"),
    }
    people = {key: calc.evaluate(_talent(**common, **data), as_of=datetime(2026, 11, 21).date())
              for key, data in expected.items()}
    for key, report in people.items():
        eligible = {r.clause_id for r in report.supports("eligible")}
        listed = {line.split(" ", 1)[0] for line in (by_id[key]["符合的条款"] or "").splitlines()}
        assert listed == eligible, key


def _talent(**data: Any) -> Any:
    from calculator.profiles.models import TalentProfile

    return TalentProfile.model_validate({"kind": "talent", **data})


def test_sheet_header_row_and_keep_options(tmp_path: Path, calc: Calculator) -> None:
    source = _office_sheet(tmp_path / "office.xlsx")
    with pytest.raises(ProfileError, match="没有名为“名单”的工作表；工作表有：填写说明、申报名单"):
        screen(source, tmp_path / "o.csv", calc, sheet="名单")
    result = screen(source, tmp_path / "o.csv", calc, sheet="申报名单", header_row=3, keep=["申请编号"])
    assert result.passthrough == ("申请编号",) and result.unknown_columns == {"身份证号": ""}
    assert output_rows(tmp_path / "o.csv")[0][:2] == ["行号", "申请编号"]
    with pytest.raises(ProfileError, match="--keep 指定的列“申请编码”不在表头中；是否想写 申请编号"):
        screen(source, tmp_path / "o.csv", calc, keep=["申请编码"])


def test_the_templates_example_row_is_marked_and_skipped(tmp_path: Path, calc: Calculator) -> None:
    path = write_template("talent", tmp_path / "t.xlsx")
    book = load_workbook(path)
    sheet = book.worksheets[0]
    sheet.append(["赵六", "1990-05-05", "博士", None, None, None, None, "个人"])
    book.save(path)
    result = screen(path, tmp_path / "out.csv", calc)
    body = accounted(result, 2, 0, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    assert column(body, "结果", header)[0] == "示例行（未筛查）" and result.examples == 1
    assert column(body, "名称", header) == ["张三", "赵六"]
    assert result.summary is not None and result.summary.applicants == 1


# --- more on outputs ---------------------------------------------------------------------------


def test_tables_a_previous_run_left_beside_the_output_go_with_the_new_results(
    tmp_path: Path, calc: Calculator
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + person(1) + "乙,1990-02-30,,,,,\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    screen(source, target, calc, clauses=["individual-talent-support"])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == [
        "out.clauses.csv",
        "out.csv",
        "out.errors.csv",
        "out.summary.csv",
    ]
    source.write_text(HEADER + person(1), encoding="utf-8")
    result = screen(source, target, calc)
    # no stale per-clause list or errors table from the run before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == [
        "out.csv",
        "out.summary.csv",
    ]
    assert result.outputs == [target, tmp_path / "out.summary.csv"]


def test_a_full_disk_midway_is_one_line_and_changes_nothing(
    tmp_path: Path, calc: Calculator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calculator.batch import xlsxwrite

    source = tmp_path / "in.csv"
    source.write_text(HEADER + "".join(person(i) for i in range(300)), encoding="utf-8")
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous")
    written = {"rows": 0}
    original = xlsxwrite.XlsxWriter.row

    def row(self: Any, values: Any, style: Any = None) -> None:
        written["rows"] += 1
        if written["rows"] > 100:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, values, style)

    monkeypatch.setattr(xlsxwrite.XlsxWriter, "row", row)
    with pytest.raises(OutputError) as info:
        screen(source, target, calc)
    assert str(info.value) == f"磁盘空间不足，无法写入 {tmp_path}；原有的结果文件未改动"
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_only_temp_files_of_ended_processes_are_removed(tmp_path: Path) -> None:
    from calculator.batch.outputs import remove_stale, temp_name

    target = tmp_path / "结果.xlsx"
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    dead = temp_name(target, int(ended.stdout))
    live = temp_name(target, os.getppid())
    other = tmp_path / f".其他.xlsx.tmp-{int(ended.stdout)}"  # not beside this target
    for path in (dead, live, other):
        path.write_bytes(b"partial")
    assert dead.name == f".结果.xlsx.tmp-{int(ended.stdout)}"
    assert remove_stale([target]) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_jsonl_keeps_the_named_keys(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"申请编号": "J-1", "姓名": "张三", "学历": "博士研究生"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    result = screen(source, tmp_path / "out.jsonl", calc, keep=["申请编号"])
    assert result.with_errors == 0
    [row] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["columns"] == {"申请编号": "J-1"} and row["errors"] == []
    # without --keep an unknown key of a JSONL row is that row's error, as before
    result = screen(source, tmp_path / "out2.jsonl", calc)
    assert result.with_errors == 1


def test_a_csv_split_by_carriage_returns_alone_is_refused(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "mac.csv"
    source.write_bytes((HEADER + "".join(person(i) for i in range(2000))).replace("\n", "\r").encode())
    with pytest.raises(ProfileError, match="单独的回车符"):
        screen(source, tmp_path / "out.csv", calc)
    assert not (tmp_path / "out.csv").exists()
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes((HEADER + person(1)).encode("utf-16"))
    with pytest.raises(ProfileError, match="UTF-16 编码"):
        screen(utf16, tmp_path / "out.csv", calc)


def test_a_refused_row_still_carries_the_offices_own_columns(tmp_path: Path, calc: Calculator) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["申请编号", "姓名", "学历", "工作单位"])
    sheet.append(["A-1", "张三", "博士", "x" * 100])
    sheet.append(["A-2", "李四", "博士", "乙公司"])
    book.save(tmp_path / "plain.xlsx")
    # a cell longer than Excel allows (openpyxl would cut it): written into the XML directly
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as plain, zipfile.ZipFile(tmp_path / "in.xlsx", "w") as out:
        for item in plain.infolist():
            data = plain.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"x" * 100, b"x" * 40_000)
            out.writestr(item, data)
    result = screen(tmp_path / "in.xlsx", tmp_path / "out.csv", calc)
    body = accounted(result, 2, 1, tmp_path / "out.csv")
    header = output_rows(tmp_path / "out.csv")[0]
    assert column(body, "申请编号", header) == ["A-1", "A-2"]
    assert "超过每格 32767 个字符" in column(body, "错误", header)[0]


def test_a_sheet_bomb_and_a_member_that_lies_about_its_size_are_refused(tmp_path: Path) -> None:
    from calculator.batch.tabular import open_table

    # the sheet itself inflates 256 MiB of one string from a few hundred KB
    bomb = _bomb(tmp_path / "sheet-bomb.xlsx", "xl/worksheets/sheet1.xml", 256 << 20, inline=True)
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(ProfileError, match=r"压缩比.*疑似压缩炸弹"):
        open_table(bomb)
    # a member declaring 2 KB that inflates to 20 MiB: read only as far as declared, then refused
    honest = tmp_path / "honest.xlsx"
    _base_xlsx(honest)
    body = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' + b" " * (20 << 20)
            + b"</sheetData></worksheet>")
    with zipfile.ZipFile(honest, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", body)
    raw = bytearray(honest.read_bytes())
    size = len(body).to_bytes(4, "little")
    lied = (2048).to_bytes(4, "little")
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        while at >= 0:
            if raw[at + offset:at + offset + 4] == size:
                raw[at + offset:at + offset + 4] = lied
            at = raw.find(signature, at + 4)
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(raw))
    assert zipfile.ZipFile(liar).getinfo("xl/worksheets/sheet1.xml").file_size == 2048
    with pytest.raises(ProfileError, match="无法读取"), open_table(liar) as table:
        list(table.rows)


def test_an_xlsx_output_past_excels_row_limit_is_refused(
        tmp_path: Path, calc: Calculator, monkeypatch: pytest.MonkeyPatch) -> None:
    from calculator.batch import xlsxwrite

    monkeypatch.setattr(xlsxwrite, "MAX_ROWS", 50)  # as if the input had over a million rows
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "".join(person(i) for i in range(100)), encoding="utf-8")
    (tmp_path / "out.xlsx").write_bytes(b"previous")
    with pytest.raises(OutputError, match=r"超过 Excel 的 50 行上限：请输出为 \.csv 或 \.jsonl"):
        screen(source, tmp_path / "out.xlsx", calc)
    assert (tmp_path / "out.xlsx").read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_ctrl_c_with_workers_stops_them_and_removes_the_temp_files(tmp_path: Path, big: Path) -> None:
    target = tmp_path / "结果.csv"
    run = _start(["screen", str(big), "-o", str(target), "--workers", "2", "--as-of", AS_OF], tmp_path)

    def children() -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()]
        except OSError:
            return []

    _wait_for(lambda: len(children()) >= 2 and (tmp_path / f".{target.name}.tmp-{run.pid}").exists())
    workers = children()
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130 and b"Traceback" not in stderr, stderr.decode()[-3000:]
    assert "已中断" in stderr.decode()
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    _wait_for(lambda: not any(_running(p) for p in workers), timeout=10)
