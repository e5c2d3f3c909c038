"""One worksheet of an XLSX workbook, streamed through expat as rows.

Every cell is cut off at ``MAX_CELL_CHARS`` (a longer one is that row's error, its text is
never held) and every row at ``MAX_ROW_CHARS``. Merged cells are filled from their top-left
cell, and cells formatted as dates come back as ``datetime``, as Excel shows them. The
workbook around the sheet (its list of sheets, shared strings, styles) is ``xlsxread``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.parsers import expat

from ..base.errors import ProfileError
from .table import MAX_CELL_CHARS, Oversized, Record
from .xlsxarchive import CHUNK, MAX_SHEET_BYTES, READ_ERRORS, Archive, Handlers, local, xml_parser
from .xlsxwrite import column_letter

#: Excel's own limits.
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
#: All the text of one row.
MAX_ROW_CHARS = 1 << 20
MAX_MERGES = 200_000
#: Cells all merged ranges cover together: filling them costs time per cell.
MAX_MERGED_CELLS = 4 << 20

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')
#: Integers are kept exact (an 18-digit id a program wrote as a number), up to 30 digits.
_INT = re.compile(r"^-?\d{1,30}$")
EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
#: A shared string by its index: its text, ``Oversized``, or ``None`` for no such string.
SharedString = Callable[[int], "str | Oversized | None"]


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str
    hidden: bool


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def read_merges(archive: Archive, sheet: SheetInfo) -> list[tuple[int, int, int, int]]:
    """The merged ranges (first row, first column, last row, last column), by first row."""
    stream = archive.open(sheet.part, MAX_SHEET_BYTES)
    found: list[tuple[int, int, int, int]] = []
    tail = b""
    try:
        while True:
            data = stream.read(CHUNK * 4)
            if not data:
                break
            window = tail + data
            if b"ergeCell" in window:
                for m in _MERGE.finditer(window):
                    if m.end() <= len(tail):
                        continue
                    r1, c1 = int(m[2]), column_index(m[1].decode())
                    r2, c2 = (int(m[4]), column_index(m[3].decode())) if m[3] else (r1, c1)
                    if (r2, c2) != (r1, c1):
                        found.append((r1, c1, min(r2, MAX_SHEET_ROWS), min(c2, MAX_SHEET_COLUMNS)))
                if len(found) > MAX_MERGES:
                    raise ProfileError(
                        f"{archive.path}：工作表“{sheet.name}”的合并单元格超过 {MAX_MERGES} 处")
            tail = window[-200:]
    except READ_ERRORS as err:
        raise ProfileError(f"{archive.path}：无法读取：{err}") from None
    finally:
        stream.handle.close()
    covered = sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in found)
    if covered > MAX_MERGED_CELLS:
        raise ProfileError(f"{archive.path}：工作表“{sheet.name}”的合并单元格共覆盖 {covered} 个单元格，"
                           f"超过上限 {MAX_MERGED_CELLS}，拒绝读取")
    found.sort()
    return found


def read_rows(archive: Archive, sheet: SheetInfo, reader: SheetReader,
              merges: list[tuple[int, int, int, int]]) -> Iterator[Record]:
    """Every row from 1 to the last, empty ones included, merged cells filled."""
    stream = archive.open(sheet.part, MAX_SHEET_BYTES)
    parser = xml_parser()
    reader.attach(parser)
    filler = MergeFiller(merges)
    last = 0
    try:
        while not reader.done:
            try:
                data = stream.read(CHUNK)
                parser.Parse(data, not data)
            except expat.ExpatError as err:
                raise ProfileError(
                    f"{archive.path}：第 {last + 1} 行附近无法读取：工作表已损坏（{err}）") from None
            except READ_ERRORS as err:
                raise ProfileError(f"{archive.path}：第 {last + 1} 行附近无法读取：{err}") from None
            for row in reader.ready:
                while last + 1 < row.number:
                    last += 1
                    yield filler.fill(Record(last, []))
                last = row.number
                yield filler.fill(row)
            reader.ready.clear()
            if not data:
                break
    finally:
        stream.handle.close()


def read_dimension(archive: Archive, sheet: SheetInfo) -> tuple[int, int] | None:
    """The sheet's stated last row and column, read from the top of its XML."""
    stream = archive.open(sheet.part, MAX_SHEET_BYTES)
    try:
        head = stream.read(4096)
    except READ_ERRORS:
        return None
    finally:
        stream.handle.close()
    match = re.search(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+:)?([A-Z]{1,8})(\d{1,12})"', head)
    if not match:
        return None
    rows, cols = int(match[3]), column_index(match[2].decode())
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLUMNS:
        raise ProfileError(f"{archive.path}：工作表“{sheet.name}”声明的尺寸 {rows} 行 × {cols} 列"
                           f"超出 Excel 的上限（{MAX_SHEET_ROWS} 行 × {MAX_SHEET_COLUMNS} 列），拒绝读取")
    return rows, cols


class SheetReader(Handlers):
    """The sheet's XML to rows; ``ready`` holds the rows completed by the last chunk."""

    def __init__(self, path: Path, sheet: SheetInfo, shared: SharedString, date_styles: set[int],
                 epoch: datetime) -> None:
        self.path = path
        self.sheet = sheet
        self.shared = shared
        self.date_styles = date_styles
        self.epoch = epoch
        self.ready: list[Record] = []
        self.done = False
        self._row = 0
        self._cells: dict[int, Any] = {}
        self._problem: str | None = None
        self._row_chars = 0
        self._col = 0
        self._type = "n"
        self._style = 0
        self._parts: list[str] = []
        self._size = 0
        self._collect = False
        self._in_cell = False
        self._inline = False
        self._phonetic = False
        self._data = False

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if tag == "c" and self._data:
            ref = _CELL_REF.match(attrs.get("r", ""))
            self._col = column_index(ref[1]) if ref else self._col + 1
            self._type = attrs.get("t", "n")
            try:
                self._style = int(attrs.get("s", "0"))
            except ValueError:
                self._style = 0
            self._parts, self._size, self._in_cell = [], 0, True
        elif tag == "v" and self._in_cell:
            self._collect = True
        elif tag == "is":
            self._inline = True
        elif tag == "t" and self._inline and not self._phonetic:
            self._collect = True
        elif tag == "rPh":
            self._phonetic = True
        elif tag == "row" and self._data:
            try:
                number = int(attrs.get("r", ""))
            except ValueError:
                number = self._row + 1
            if number <= self._row or number > MAX_SHEET_ROWS:
                raise ProfileError(
                    f"{self.path}：工作表“{self.sheet.name}”的行号 {number} 顺序错乱或超出上限")
            self._row = number
            self._cells, self._problem, self._row_chars, self._col = {}, None, 0, 0
        elif tag == "sheetData":
            self._data = True
        elif tag == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            found = _CELL_REF.match(last)
            if found and (int(found[2]) > MAX_SHEET_ROWS or column_index(found[1]) > MAX_SHEET_COLUMNS):
                raise ProfileError(f"{self.path}：工作表“{self.sheet.name}”声明的尺寸 {last}"
                                   " 超出 Excel 的上限，拒绝读取")

    def _text(self, data: str) -> None:
        if self._collect:
            self._size += len(data)
            if self._size <= MAX_CELL_CHARS and self._row_chars + self._size <= MAX_ROW_CHARS:
                self._parts.append(data)

    def _end(self, name: str) -> None:
        tag = local(name)
        if tag in ("v", "t"):
            self._collect = False
        elif tag == "is":
            self._inline = False
        elif tag == "rPh":
            self._phonetic = False
        elif tag == "c" and self._in_cell:
            self._in_cell = False
            self._cell()
        elif tag == "row" and self._data:
            self.ready.append(self._finish_row())
        elif tag == "sheetData":
            self._data = False
            self.done = True

    def _cell(self) -> None:
        col = self._col
        where = f"单元格 {column_letter(col)}{self._row}"
        if col > MAX_SHEET_COLUMNS:
            self._problem = self._problem or f"{where} 超出 Excel 的列数上限"
            return
        if self._size > MAX_CELL_CHARS:
            self._problem = self._problem or (
                f"{where} 有 {self._size} 个字符，超过每格 {MAX_CELL_CHARS} 个字符的上限")
            self._cells[col] = Oversized(self._size)
            return
        self._row_chars += self._size
        if self._row_chars > MAX_ROW_CHARS:
            self._problem = self._problem or f"本行文字超过 {MAX_ROW_CHARS} 个字符的上限"
            return
        text = "".join(self._parts)
        value = self._value(text)
        if isinstance(value, Oversized):
            self._problem = self._problem or (
                f"{where} 有 {value.length} 个字符，超过每格 {MAX_CELL_CHARS} 个字符的上限")
        if value is not None and value != "":
            self._cells[col] = value

    def _value(self, text: str) -> Any:
        kind = self._type
        if kind == "s":
            try:
                return self.shared(int(text))
            except ValueError:
                return None
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        text = text.strip()
        if not text:
            return None
        if self._style in self.date_styles:
            try:
                return from_serial(float(text), self.epoch)
            except (ValueError, OverflowError):
                return text
        if _INT.match(text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            return text

    def _finish_row(self) -> Record:
        cells = self._cells
        width = max(cells, default=0)
        values: list[Any] = [None] * width
        for col, value in cells.items():
            values[col - 1] = value
        self._cells = {}
        return Record(self._row, values, problem=self._problem)


def from_serial(serial: float, epoch: datetime) -> datetime:
    if not 0 <= serial < 2_958_466:
        raise ValueError(serial)
    if epoch == EPOCH_1900 and serial < 61:
        # Excel counts a 29 February 1900 that never was; serials before it are one day off
        serial += 1
    whole = int(serial)
    seconds = round((serial - whole) * 86400)
    return epoch + timedelta(days=whole, seconds=seconds)


class MergeFiller:
    """Fills each merged range's cells from its top-left cell as rows stream past."""

    def __init__(self, merges: list[tuple[int, int, int, int]]) -> None:
        self.pending = merges[::-1]  # popped from the end, by first row
        self.active: list[tuple[int, int, int, int, Any]] = []

    def fill(self, row: Record) -> Record:
        if not self.pending and not self.active:
            return row
        number = row.number
        while self.pending and self.pending[-1][0] == number:
            r1, c1, r2, c2 = self.pending.pop()
            value = row.values[c1 - 1] if c1 <= len(row.values) else None
            self.active.append((r1, c1, r2, c2, value))
        while self.pending and self.pending[-1][0] < number:  # a range the rows skipped
            self.pending.pop()
        keep = []
        for r1, c1, r2, c2, value in self.active:
            if number > r2:
                continue
            keep.append((r1, c1, r2, c2, value))
            if value is None or isinstance(value, Oversized):
                continue
            if len(row.values) < c2:
                row.values.extend([None] * (c2 - len(row.values)))
            for col in range(c1, c2 + 1):
                if (number, col) != (r1, c1) and row.values[col - 1] in (None, ""):
                    row.values[col - 1] = value
                    row.filled[col - 1] = r1
        self.active = keep
        return row
