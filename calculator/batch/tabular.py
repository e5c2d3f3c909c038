"""Tables in and out, one row at a time: CSV, XLSX and JSONL, chosen by file extension.

Readers yield every row, numbered as the user sees it (the header is the row number the
sheet shows; a JSONL row is its line), including rows that are empty or cannot be split
into cells, so that nothing is skipped silently. Only empty rows at the very end are
dropped: editors leave them behind.

Every physical record is accounted for. CSV is split here, not by the ``csv`` module: a
quote that is never closed, a bare carriage return or text after a closing quote is that
row's error, and the lines after it are read again as rows of their own. Each row is
decoded on its own (UTF-8, else GB18030), so a row in another encoding is that row's
problem. Cells and rows have size limits (``MAX_CELL_CHARS``, ``MAX_ROW_BYTES``); a larger
one is the row's error and is never held in memory whole.

Writers write every output to a temporary file beside its target and rename them all
into place when the last is complete (``outputs.OutputSet``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO

from ..base.errors import ProfileError
from .outputs import OutputSet, refuse_overwriting, remove_stale, write_error
from .xlsxread import MAX_CELL_CHARS, Oversized, RawRow, SheetInfo, XlsxBook
from .xlsxwrite import XlsxWriter, formula_like

FORMATS = (".csv", ".xlsx", ".jsonl")
#: One CSV record or JSONL line, in bytes as stored.
MAX_ROW_BYTES = 1 << 20
#: Excel's column limit; a row with more cells is refused.
MAX_COLUMNS = 16_384
#: How deep a JSONL value may nest (a profile nests at most two levels: a list in an object).
MAX_JSON_DEPTH = 8
#: How many rows may stand above the header (titles, notes) when it is found automatically.
HEADER_SCAN = 20
#: Further tables written beside a CSV or JSONL output, by suffix.
SIBLINGS = ("summary", "clauses", "errors")
HeaderScore = Callable[[Sequence[str]], int]


def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return suffix
    hint = "；.xls 请先在 Excel 中另存为 .xlsx" if suffix == ".xls" else ""
    raise ProfileError(f"{path}：不支持的文件类型“{suffix or '无扩展名'}”，支持 .csv、.xlsx、.jsonl{hint}")


@dataclass
class InputRow:
    number: int
    cells: dict[str, Any]
    #: set when the row could not even be split into cells
    problem: str | None = None
    #: what the reader did to the row that the user should know (a merged cell filled)
    notes: tuple[str, ...] = ()
    #: the characters the row holds, to bound how many rows are in flight at once
    size: int = 0

    @property
    def empty(self) -> bool:
        return self.problem is None and all(
            v is None or (isinstance(v, str) and not v.strip()) for v in self.cells.values())


@dataclass
class Table:
    """An open input table: its headers (for JSONL, each row has its own keys), an
    estimate of its number of data rows, and its rows."""

    headers: list[str]
    total: int | None
    rows: Iterator[InputRow]
    _closers: list[Any] = field(default_factory=list)
    #: the row number of the header (rows above it are titles, not data)
    header_row: int = 1
    #: the worksheet read (XLSX)
    sheet: str | None = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        for close in self._closers:
            close()


def _drop_trailing_empty(rows: Iterator[InputRow]) -> Iterator[InputRow]:
    # Only the number of the first held-back empty row is kept, not the rows: a sheet
    # formatted down to its last row has a million of them. Row numbers are consecutive.
    first_empty: int | None = None
    for row in rows:
        if row.empty:
            if first_empty is None:
                first_empty = row.number
            continue
        if first_empty is not None:
            yield from (InputRow(number, {}) for number in range(first_empty, row.number))
            first_empty = None
        yield row


@dataclass
class _Record:
    """One row as split from the file, before it is matched to the headers."""

    number: int
    values: list[Any]
    problem: str | None = None
    filled: dict[int, int] = field(default_factory=dict)


def _cells(record: _Record, headers: Sequence[str]) -> InputRow:
    number, values = record.number, record.values
    if record.problem:
        # The cells (an XLSX row with one oversized cell still has the others) still carry
        # the office's own columns to the output.
        kept = {h: v for h, v in zip(headers, values, strict=False)
                if h and v is not None and not isinstance(v, Oversized)}
        return InputRow(number, kept, record.problem)
    # A column without a header may lie within the header row too: XLSX pads it with empty
    # cells to the widest row.
    extra = [i for i in range(len(values)) if (i >= len(headers) or not headers[i])
             and values[i] not in (None, "")]
    if extra:
        kept = {h: values[i] for i, h in enumerate(headers) if h and i < len(values)}
        return InputRow(number, kept, f"第 {extra[0] + 1} 列有数据但没有列名（共 {len(headers)} 个列名）")
    cells = {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h}
    notes = tuple(f"列“{headers[i]}”是合并单元格，已填入第 {source} 行的值“{_short(values[i])}”"
                  for i, source in sorted(record.filled.items()) if i < len(headers) and headers[i])
    size = sum(len(v) for v in values if isinstance(v, str))
    return InputRow(number, cells, None, notes, size)


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header_names(record: _Record, path: Path) -> list[str]:
    if record.problem:
        raise ProfileError(f"{path}：第 {record.number} 行（列名）无法读取：{record.problem}")
    headers = ["" if v is None or i in record.filled else str(v).strip()
               for i, v in enumerate(record.values)]
    if not any(headers):
        raise ProfileError(f"{path}：第 {record.number} 行应为列名（如 姓名、出生日期、学历），实际为空")
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise ProfileError(f"{path}：第 {record.number} 行的列名“{header}”出现了两次")
        seen.add(header)
    return headers


def _texts(record: _Record) -> list[str]:
    return ["" if v is None or isinstance(v, Oversized) else str(v).strip() for v in record.values]


def _find_header(records: Iterator[_Record], path: Path, header_row: int | None,
                 score: HeaderScore | None) -> tuple[_Record, list[_Record]]:
    """The header record and the records after it already read (the rest follow in
    ``records``). ``header_row`` given: that row. Else the first of the first rows that
    names at least two known columns (titles and notes stand above it), else row 1."""
    if header_row is not None:
        for record in records:
            if record.number == header_row:
                return record, []
            if record.number > header_row:
                break
        raise ProfileError(f"{path}：没有第 {header_row} 行，无法从该行读取列名")
    seen: list[_Record] = []
    for record in records:
        seen.append(record)
        if len(seen) >= HEADER_SCAN:
            break
    if not seen:
        raise ProfileError(f"{path}：第 1 行应为列名（如 姓名、出生日期、学历），实际为空")
    if score is not None:
        scores = [0 if r.problem else score(_texts(r)) for r in seen]
        best = max(scores)
        if best > 0:
            at = next(i for i, s in enumerate(scores) if s >= min(best, 2))
            return seen[at], seen[at + 1:]
    return seen[0], seen[1:]


def open_table(path: Path, *, sheet: str | None = None, header_row: int | None = None,
               header_score: HeaderScore | None = None) -> Table:
    """Open an input table; ``ProfileError`` if it cannot be read at all.

    ``header_score`` says how many of a row's cells are known column names: with it, the
    header is found below title rows (and, in a workbook without ``sheet``, the first
    sheet that has one is read). Without it the header is row 1, or ``header_row``."""
    fmt = table_format(path)
    if not path.is_file():
        raise ProfileError(f"{path}：文件不存在")
    if header_row is not None and header_row < 1:
        raise ProfileError(f"列名所在行应为 1 或更大的整数，实际为 {header_row}")
    if fmt == ".csv":
        return _open_csv(path, header_row, header_score)
    if fmt == ".xlsx":
        return _open_xlsx(path, sheet, header_row, header_score)
    return _open_jsonl(path)


# --- CSV ---------------------------------------------------------------------------------

_START, _UNQUOTED, _QUOTED, _AFTER = range(4)
_STOP = re.compile(rb"[,\r\n]")


class _CsvSplitter:
    """Splits a CSV file into records, one physical line at a time, never trusting a
    quote further than ``MAX_ROW_BYTES``."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self.handle = handle
        self.path = path
        self.line = 0  # physical lines consumed
        self.number = 0  # records yielded

    def records(self) -> Iterator[_Record]:
        handle = self.handle
        head = handle.read(1 << 16)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ProfileError(f"{self.path}：文件是 UTF-16 编码（Excel 的“Unicode 文本”），"
                               "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
        if b"\r" in head and b"\n" not in head and len(head) == 1 << 16:
            raise ProfileError(f"{self.path}：文件以单独的回车符（CR）分行，无法可靠地分出各行；"
                               "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
        handle.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
        while True:
            record = self._record()
            if record is None:
                return
            self.number += 1
            values, problem, first_line = record
            if problem is None:
                decoded, problem = _decode(values)
            else:
                decoded = []
            if problem is not None and first_line != self.number:
                problem += f"（文件第 {first_line} 行）"
            yield _Record(self.number, decoded if problem is None else [], problem)

    def _record(self) -> tuple[list[bytes], str | None, int] | None:
        """The fields of the next record, its problem and its first physical line."""
        handle = self.handle
        fields: list[bytes] = []
        cell = bytearray()
        state = _START
        size = 0
        problem: str | None = None
        first = self.line + 1
        after_first: int | None = None
        while True:
            want = MAX_ROW_BYTES + 1 - size
            raw = handle.readline(want)
            if not raw:
                if self.line < first:
                    return None
                if state == _QUOTED:
                    return self._unclosed(first, after_first)
                fields.append(bytes(cell))
                return fields, problem, first
            size += len(raw)
            if len(raw) == want and not raw.endswith(b"\n"):  # stopped by the size limit
                if after_first is None or state != _QUOTED:
                    self._skip_line()
                    return [], f"本行超过 {MAX_ROW_BYTES >> 20} MiB 的上限，未读取", first
                return self._unclosed(first, after_first)
            self.line += 1
            if after_first is None:
                after_first = handle.tell()
            # The usual line: no quotes, no carriage return inside.
            body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
            if state == _START and b'"' not in raw and b"\r" not in body:
                fields = body.split(b",")
                if len(fields) > MAX_COLUMNS:
                    return [], f"本行超过 {MAX_COLUMNS} 列的上限", first
                return fields, None, first
            i, n = 0, len(raw)
            while i < n:
                if state == _START:
                    if raw[i] == 0x22:
                        state, i = _QUOTED, i + 1
                        continue
                    state = _UNQUOTED
                if state == _UNQUOTED:
                    match = _STOP.search(raw, i)
                    if match is None:
                        cell += raw[i:]
                        break
                    j = match.start()
                    cell += raw[i:j]
                    stop = raw[j]
                    if stop == 0x2C:  # ,
                        fields.append(bytes(cell))
                        cell.clear()
                        state, i = _START, j + 1
                    elif stop == 0x0A or raw[j + 1:j + 2] == b"\n" or j + 1 == n:
                        fields.append(bytes(cell))
                        return (fields, problem, first) if len(fields) <= MAX_COLUMNS else (
                            [], f"本行超过 {MAX_COLUMNS} 列的上限", first)
                    else:  # a carriage return alone, inside an unquoted cell
                        problem = problem or ("单元格中有单独的回车符（CR），无法判断是否换行；"
                                              "含换行的单元格应加英文双引号")
                        cell += b"\r"
                        i = j + 1
                elif state == _QUOTED:
                    j = raw.find(b'"', i)
                    if j < 0:
                        cell += raw[i:]
                        break
                    cell += raw[i:j]
                    if raw[j + 1:j + 2] == b'"':
                        cell += b'"'
                        i = j + 2
                    else:
                        state, i = _AFTER, j + 1
                else:  # just after a closing quote
                    ch = raw[i]
                    if ch == 0x2C:
                        fields.append(bytes(cell))
                        cell.clear()
                        state, i = _START, i + 1
                    elif ch == 0x0A or (ch == 0x0D and (raw[i + 1:i + 2] == b"\n" or i + 1 == n)):
                        fields.append(bytes(cell))
                        return fields, problem, first
                    else:
                        problem = problem or "右引号之后还有文字（引号内的双引号应写成两个 \"\"）"
                        state = _UNQUOTED
            if len(fields) > MAX_COLUMNS:
                self._skip_record_rest(state)
                return [], f"本行超过 {MAX_COLUMNS} 列的上限", first

    def _skip_record_rest(self, state: int) -> None:
        if state != _QUOTED:
            self._skip_line()

    def _unclosed(self, first: int, after_first: int | None) -> tuple[list[bytes], str, int]:
        """A quote opened on line ``first`` and never closed: that line is the row's
        error and reading resumes on the next line."""
        if after_first is not None:
            self.handle.seek(after_first)
        self.line = first
        return [], ("引号没有闭合：这一行的某个单元格以英文双引号开头，但直到文件末尾（或 1 MiB 内）"
                    "没有对应的右引号；其后各行照常读取"), first

    def _skip_line(self) -> None:
        while True:
            rest = self.handle.readline(1 << 16)
            if not rest or rest.endswith(b"\n"):
                self.line += 1
                return


def _decode(values: list[bytes]) -> tuple[list[Any], str | None]:
    for encoding in ("utf-8", "gb18030"):
        try:
            texts = [v.decode(encoding) for v in values]
        except UnicodeDecodeError:
            continue
        for index, text in enumerate(texts):
            if len(text) > MAX_CELL_CHARS:
                return [], f"第 {index + 1} 列有 {len(text)} 个字符，超过每格 {MAX_CELL_CHARS} 个字符的上限"
        return texts, None
    return [], "文字编码无法识别（支持 UTF-8 和 GBK/GB18030）"


def _open_csv(path: Path, header_row: int | None, score: HeaderScore | None) -> Table:
    handle = path.open("rb")
    try:
        records = _CsvSplitter(handle, path).records()
        header, buffered = _find_header(records, path, header_row, score)
        headers = _header_names(header, path)
    except BaseException:
        handle.close()
        raise

    def rows() -> Iterator[InputRow]:
        for record in buffered:
            yield _cells(record, headers)
        for record in records:
            yield _cells(record, headers)

    return Table(headers, None, _drop_trailing_empty(rows()), [handle.close], header.number)


# --- XLSX --------------------------------------------------------------------------------


def _records_of(rows: Iterator[RawRow]) -> Iterator[_Record]:
    for row in rows:
        yield _Record(row.number, row.values, row.problem, row.filled)


def _open_xlsx(path: Path, sheet_name: str | None, header_row: int | None,
               score: HeaderScore | None) -> Table:
    book = XlsxBook(path)
    try:
        sheet = _pick_sheet(book, sheet_name, header_row, score)
        dimension = book.dimension(sheet)
        records = _records_of(book.rows(sheet))
        header, buffered = _find_header(records, path, header_row, score)
        headers = _header_names(header, path)
    except BaseException:
        book.close()
        raise
    total = dimension[0] - header.number if dimension and dimension[0] > header.number else None

    def rows() -> Iterator[InputRow]:
        for record in buffered:
            yield _cells(record, headers)
        for record in records:
            yield _cells(record, headers)

    return Table(headers, total, _drop_trailing_empty(rows()), [book.close], header.number, sheet.name)


def _pick_sheet(book: XlsxBook, name: str | None, header_row: int | None,
                score: HeaderScore | None) -> SheetInfo:
    """The named sheet; else the first visible sheet with a header row (a 填写说明 sheet
    placed first has none); else the first visible sheet."""
    if name is not None or score is None or len(book.sheets) == 1:
        return book.sheet(name)
    for sheet in book.sheets[:50]:  # a workbook of thousands of sheets is not previewed whole
        if sheet.hidden:
            continue
        rows = book.rows(sheet, fill_merged=False)
        try:
            for number, row in enumerate(rows, start=1):
                if number > HEADER_SCAN or (header_row is not None and number > header_row):
                    break
                if (header_row is None or number == header_row) and not row.problem and \
                        score(_texts(_Record(row.number, row.values))) >= 2:
                    return sheet
        finally:
            rows.close()  # type: ignore[attr-defined]
    return book.sheet(None)


# --- JSONL -------------------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} 不是数值")


def _json_problem(value: Any, depth: int = 0) -> str | None:
    """What makes a decoded JSON value unusable: nesting, size, text that is no text."""
    if depth > MAX_JSON_DEPTH:
        return f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层"
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            return f"有 {len(value)} 个字符的值，超过每格 {MAX_CELL_CHARS} 个字符的上限"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "含有无效的字符（孤立的 UTF-16 代理项，如 \\ud800）"
        return None
    if isinstance(value, dict):
        if len(value) > MAX_COLUMNS:
            return f"超过 {MAX_COLUMNS} 个字段"
        for key, item in value.items():
            problem = _json_problem(key, depth + 1) or _json_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
    return None


def _open_jsonl(path: Path) -> Table:
    handle = path.open("rb")

    def rows() -> Iterator[InputRow]:
        number = 0
        while True:
            raw = handle.readline(MAX_ROW_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_ROW_BYTES and not raw.endswith(b"\n"):
                while True:  # the rest of the line is skipped, never held
                    rest = handle.readline(1 << 16)
                    if not rest or rest.endswith(b"\n"):
                        break
                yield InputRow(number, {}, f"本行超过 {MAX_ROW_BYTES >> 20} MiB 的上限，未读取")
                continue
            yield _json_row(number, raw)

    return Table([], None, _drop_trailing_empty(rows()), [handle.close])


def _json_row(number: int, raw: bytes) -> InputRow:
    try:  # decoded per line: one line in another encoding is that line's problem
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return InputRow(number, {}, "不是 UTF-8 编码的文字（JSONL 应为 UTF-8）")
    if not line.strip():
        return InputRow(number, {})
    try:
        data = json.loads(line, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        return InputRow(number, {}, f"不是有效的 JSON：{err.msg}（第 {err.colno} 个字符）")
    except RecursionError:
        return InputRow(number, {}, "JSON 嵌套过深")
    except ValueError as err:  # an integer of thousands of digits, NaN
        text = str(err)
        if "digits" in text:
            text = "整数位数过多"
        return InputRow(number, {}, f"不是有效的 JSON：{text}")
    if not isinstance(data, dict):
        return InputRow(number, {}, "每行应为一个 JSON 对象 {…}")
    problem = _json_problem(data)
    if problem:
        return InputRow(number, {}, problem)
    # stripped as sheet headers are: columns are matched by their stripped names
    return InputRow(number, {str(k).strip(): v for k, v in data.items()}, size=len(line))


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonLine:
    """A JSONL row already serialised (by the process that screened it)."""

    text: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> JsonLine:
        return cls(json.dumps(row, ensure_ascii=False, default=str))


class Writer:
    """An output table with a main sheet and further named sheets (further files beside
    a CSV or JSONL output). Everything is written to temporary files and renamed into
    place by ``close`` (or on leaving the ``with`` block without an error); an error
    removes them and leaves the previous results as they were."""

    def __init__(self, path: Path, source: Path | None = None) -> None:
        self.path = path
        self.format = table_format(path)
        if path.is_dir():
            raise ProfileError(f"{path} 是文件夹，请给出输出文件名（如 结果{self.format}）")
        self.extra_paths: list[Path] = []
        siblings = [self.sibling(s) for s in SIBLINGS] if self.format != ".xlsx" else []
        if source is not None:
            refuse_overwriting(source, [path, *siblings])
        remove_stale([path, *siblings])
        self._outputs = OutputSet()
        # A screening's tables go together: one the previous run wrote beside the output
        # and this run does not is removed with the new results in place.
        self._outputs.obsolete = siblings if source is not None else []
        self._xlsx: XlsxWriter | None = None
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._header: Sequence[str] = ()
        self._closed = False

    def sibling(self, suffix: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.{suffix}{self.path.suffix}")

    @property
    def structured(self) -> bool:
        """Whether rows are written as JSON objects rather than flat cells."""
        return self.format == ".jsonl"

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except OSError as err:
            self.abort()
            raise write_error(err, self.path) from None

    def start(self, sheet: str, header: Sequence[str], widths: dict[str, int] | None = None) -> None:
        temp = self._outputs.temp_for(self.path)

        def begin() -> None:
            if self.format == ".xlsx":
                self._xlsx = XlsxWriter(temp)
                self._xlsx.start_sheet(sheet, header, widths)
            elif self.format == ".csv":
                # The BOM makes Excel read the Chinese text as UTF-8.
                self._handle = temp.open("w", encoding="utf-8-sig", newline="", errors="replace")
                self._csv = csv.writer(self._handle)
                self._csv.writerow(header)
            else:
                self._handle = temp.open("w", encoding="utf-8", errors="replace")
                self._header = header
        self._guard(begin)

    def validate(self, sqref: str, choices: str, message: str) -> None:
        """A drop-down list in the current XLSX sheet; nothing in CSV."""
        if self._xlsx is not None:
            self._xlsx.validate(sqref, choices, message)

    def write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
        self._guard(lambda: self._write(row))

    def _write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
        if self.format == ".jsonl":
            assert self._handle is not None
            if isinstance(row, JsonLine):
                self._handle.write(row.text + "\n")
                return
            if not isinstance(row, dict):  # JSONL has no header line: each row names its cells
                row = dict(zip(self._header, row, strict=True))
            self._handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        elif isinstance(row, (dict, JsonLine)):
            raise TypeError("a CSV or XLSX row is a sequence of cells")
        elif self.format == ".csv":
            self._csv.writerow([csv_cell(v) for v in row])
        else:
            assert self._xlsx is not None
            self._xlsx.row(row)

    def sheet(self, name: str, suffix: str, header: Sequence[str],
              rows: Iterator[Sequence[Any] | dict[str, Any]],
              widths: dict[str, int] | None = None) -> Path:
        """Write a further table: a sheet of the workbook, or a file ``<stem>.<suffix>``."""
        if self.format == ".xlsx":
            assert self._xlsx is not None
            xlsx = self._xlsx

            def write_all() -> None:
                xlsx.start_sheet(name, header, widths)
                for row in rows:
                    assert not isinstance(row, dict)
                    xlsx.row(row)
            self._guard(write_all)
            return self.path
        path = self.sibling(suffix)
        temp = self._outputs.temp_for(path)

        def write_file() -> None:
            if self.format == ".csv":
                with temp.open("w", encoding="utf-8-sig", newline="", errors="replace") as handle:
                    out = csv.writer(handle)
                    out.writerow(header)
                    for row in rows:
                        assert not isinstance(row, dict)
                        out.writerow([csv_cell(v) for v in row])
            else:
                with temp.open("w", encoding="utf-8", errors="replace") as handle:
                    for row in rows:
                        if not isinstance(row, dict):
                            row = dict(zip(header, row, strict=True))
                        handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._guard(write_file)
        self.extra_paths.append(path)
        return path

    def close(self) -> None:
        """Finish every output and rename them into place."""
        if self._closed:
            return

        def finish() -> None:
            if self._xlsx is not None:
                self._xlsx.close()
                self._xlsx = None
            if self._handle is not None:
                self._handle.close()
                self._handle = None
        self._guard(finish)
        self._outputs.commit()
        self._closed = True

    def abort(self) -> None:
        """Remove every temporary file; the previous outputs stay as they were."""
        if self._closed:
            return
        self._closed = True
        if self._xlsx is not None:
            self._xlsx.abort()
            self._xlsx = None
        if self._handle is not None:
            with suppress(OSError):
                self._handle.close()
            self._handle = None
        self._outputs.discard()


def csv_cell(value: Any) -> Any:
    """A cell as CSV text. Excel runs a CSV cell starting with = + - @, a tab or a line
    break as a formula; such text gets a leading apostrophe. Numbers are written as
    numbers (a negative amount stays -5), and so is text that is just a number."""
    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, Oversized):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return value
