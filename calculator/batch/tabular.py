"""Tables in and out, one row at a time: CSV, XLSX and JSONL, chosen by file extension.

Readers yield every row, numbered as the user sees it (the header is row 1 of a sheet or
CSV; a JSONL row is its line), including rows that are empty or cannot be split into cells,
so that nothing is skipped silently. Only empty rows at the very end are dropped: editors
leave them behind. Writers stream as well, so a table of any length needs no more memory
than one row.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..base.errors import ProfileError

FORMATS = (".csv", ".xlsx", ".jsonl")
#: What reading a damaged XLSX raises (SyntaxError: its XML does not parse).
_DAMAGED = (OSError, ValueError, KeyError, EOFError, SyntaxError, zipfile.BadZipFile, zlib.error)
#: Control characters an XLSX file cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def _cells(number: int, headers: Sequence[str], values: Sequence[Any]) -> InputRow:
    # A column without a header may lie within the header row too: XLSX pads it with empty
    # cells to the widest row.
    extra = [i for i in range(len(values)) if (i >= len(headers) or not headers[i])
             and values[i] not in (None, "")]
    if extra:
        return InputRow(number, {}, f"第 {extra[0] + 1} 列有数据但没有列名（共 {len(headers)} 个列名）")
    return InputRow(number, {h: values[i] if i < len(values) else None
                             for i, h in enumerate(headers) if h})


def _header_names(values: Sequence[Any], path: Path) -> list[str]:
    headers = ["" if v is None else str(v).strip() for v in values]
    if not any(headers):
        raise ProfileError(f"{path}：第 1 行应为列名（如 姓名、出生日期、学历），实际为空")
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise ProfileError(f"{path}：第 1 行的列名“{header}”出现了两次")
        seen.add(header)
    return headers


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel writes for Chinese CSV."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def open_table(path: Path) -> Table:
    """Open an input table; ``ProfileError`` if it cannot be read at all."""
    fmt = table_format(path)
    if not path.is_file():
        raise ProfileError(f"{path}：文件不存在")
    try:
        if fmt == ".csv":
            return _open_csv(path)
        if fmt == ".xlsx":
            return _open_xlsx(path)
        return _open_jsonl(path)
    except ProfileError:
        raise
    except _DAMAGED as err:  # what openpyxl raises on a damaged file
        raise ProfileError(f"{path}：无法读取：{err}") from None


def _open_csv(path: Path) -> Table:
    handle = path.open(encoding=_encoding(path), newline="")
    reader = csv.reader(handle)
    try:
        headers = _header_names(next(reader, []), path)
    except UnicodeDecodeError:
        handle.close()
        raise ProfileError(f"{path}：无法识别文件编码（支持 UTF-8 和 GBK/GB18030）") from None

    def rows() -> Iterator[InputRow]:
        number = 1
        try:
            for values in reader:
                number += 1
                yield _cells(number, headers, values)
        except UnicodeDecodeError:
            raise ProfileError(f"{path}：第 {number + 1} 行附近的文字编码无法识别") from None
        except csv.Error as err:
            raise ProfileError(f"{path}：第 {number + 1} 行无法解析：{err}") from None

    return Table(headers, None, _drop_trailing_empty(rows()), [handle.close])


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported here: loading it costs a third of a second

    book = load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    headers = _header_names(next(values, ()), path)
    total = sheet.max_row - 1 if sheet.max_row else None

    def rows() -> Iterator[InputRow]:
        number = 1
        try:
            for number, row in enumerate(values, start=2):
                yield _cells(number, headers, row)
        except _DAMAGED as err:  # a sheet damaged past its first row
            raise ProfileError(f"{path}：第 {number + 1} 行附近无法读取：{err}") from None

    return Table(headers, total, _drop_trailing_empty(rows()), [book.close])


def _open_jsonl(path: Path) -> Table:
    handle = path.open("rb")

    def rows() -> Iterator[InputRow]:
        for number, raw in enumerate(handle, start=1):
            try:  # decoded per line: one line in another encoding is that line's problem
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield InputRow(number, {}, "不是 UTF-8 编码的文字（JSONL 应为 UTF-8）")
                continue
            if not line.strip():
                yield InputRow(number, {})
                continue
            try:
                data = json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as err:
                yield InputRow(number, {}, f"不是有效的 JSON：{err.msg}（第 {err.colno} 个字符）")
                continue
            except RecursionError:
                yield InputRow(number, {}, "JSON 嵌套过深")
                continue
            if not isinstance(data, dict):
                yield InputRow(number, {}, "每行应为一个 JSON 对象 {…}")
                continue
            # stripped as sheet headers are: columns are matched by their stripped names
            yield InputRow(number, {str(k).strip(): v for k, v in data.items()})

    return Table([], None, _drop_trailing_empty(rows()), [handle.close])


def _cell_text(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


@dataclass(frozen=True)
class JsonLine:
    """A JSONL row already serialised (by the process that screened it)."""

    text: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> JsonLine:
        return cls(json.dumps(row, ensure_ascii=False, default=str))


class Writer:
    """An output table with a main sheet and, at the end, further named sheets (further
    files beside a CSV or JSONL output)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = table_format(path)
        self.extra_paths: list[Path] = []
        self._book: Any = None
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._current: Any = None
        self._header: Sequence[str] = ()

    @property
    def current_sheet(self) -> Any:
        """The XLSX sheet being written."""
        return self._current

    @property
    def structured(self) -> bool:
        """Whether rows are written as JSON objects rather than flat cells."""
        return self.format == ".jsonl"

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self, sheet: str, header: Sequence[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.format == ".xlsx":
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet(sheet, header)
        elif self.format == ".csv":
            # The BOM makes Excel read the Chinese text as UTF-8.
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._handle)
            self._csv.writerow(header)
        else:
            self._handle = self.path.open("w", encoding="utf-8")
            self._header = header

    def _sheet(self, name: str, header: Sequence[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        sheet = self._book.create_sheet(name)
        sheet.freeze_panes = "A2"
        cells = []
        for title in header:
            cell = WriteOnlyCell(sheet, title)
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        self._current = sheet

    def write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
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
            self._csv.writerow([_csv_cell(v) for v in row])
        else:
            self._current.append([_xlsx_cell(self._current, v) for v in row])

    def sheet(self, name: str, suffix: str, header: Sequence[str],
              rows: Iterator[Sequence[Any] | dict[str, Any]]) -> Path:
        """Write a further table: a sheet of the workbook, or a file ``<stem>.<suffix>``."""
        if self.format == ".xlsx":
            self._sheet(name, header)
            for row in rows:
                self.write(row)
            return self.path
        path = self.path.with_name(f"{self.path.stem}.{suffix}{self.path.suffix}")
        with Writer(path) as other:
            other.start(name, header)
            for row in rows:
                other.write(row)
        self.extra_paths.append(path)
        return path

    def close(self) -> None:
        if self._book is not None:
            self._book.save(self.path)
            self._book = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _csv_cell(value: Any) -> Any:
    # Excel runs a CSV cell starting with = + or @ as a formula; applicant data is text.
    if isinstance(value, str) and value[:1] in ("=", "+", "@"):
        return "'" + value
    return value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    value = _cell_text(value)
    if isinstance(value, str) and value.startswith("="):
        # Applicant data is never a formula, however it starts.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value
