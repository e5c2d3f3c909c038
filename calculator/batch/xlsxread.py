"""A streaming XLSX reader that stays within bounds on hostile files.

Before anything is parsed the archive's members are checked: the sizes they declare, and
their compression ratio (a "zip bomb" inflates a few hundred kilobytes into gigabytes).
While parsing, the bytes actually inflated are counted against the same limits, every cell
is cut off at ``MAX_CELL_CHARS`` (a longer one is that row's error, its text is never
held) and every row at ``MAX_ROW_CHARS``. Sheets stream through expat; the shared strings
are kept as one compact UTF-8 buffer. Merged cells are filled from their top-left cell,
and cells formatted as dates come back as ``datetime``, as Excel shows them.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.parsers import expat

from ..base.errors import ProfileError
from .xlsxwrite import column_letter

#: Excel's own limits.
MAX_CELL_CHARS = 32_767
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
#: All the text of one row.
MAX_ROW_CHARS = 1 << 20
#: Inflated sizes: small parts are read whole; the shared strings are held in memory (as
#: compact UTF-8); a sheet streams, so its limit bounds time, not memory.
MAX_PART_BYTES = 16 << 20
MAX_SHARED_STRINGS_BYTES = 128 << 20
MAX_SHEET_BYTES = 4 << 30
#: Inflated / compressed. Real sheets compress 5-50 times, deflate at most ~1030 times.
MAX_RATIO = 400
#: A ratio only matters for members large enough to cost something.
RATIO_FLOOR = 16 << 20
MAX_MERGES = 200_000
#: Distinct shared strings (4 bytes of offset each); Excel itself writes at most a few million.
MAX_SHARED_STRINGS = 8 << 20
#: Cell formats Excel allows.
MAX_CELL_FORMATS = 65_536
#: Cells all merged ranges cover together: filling them costs time per cell.
MAX_MERGED_CELLS = 4 << 20
CHUNK = 1 << 16

_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')
#: Integers are kept exact (an 18-digit id a program wrote as a number), up to 30 digits.
_INT = re.compile(r"^-?\d{1,30}$")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


class Oversized:
    """A cell whose text was longer than the limit; only its length is kept."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return f"Oversized({self.length})"


@dataclass
class RawRow:
    number: int
    values: list[Any]
    #: column index -> the row of the merged range's top-left cell it was filled from
    filled: dict[int, int] = field(default_factory=dict)
    problem: str | None = None


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


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _no_doctype(*_: Any) -> None:
    raise ProfileError("XML 中含有 DOCTYPE 声明，不是 Excel 保存的工作簿")


def _parser() -> Any:
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _no_doctype
    parser.EntityDeclHandler = _no_doctype
    parser.buffer_text = True
    return parser


class _Counted:
    """A zip member's stream, counting what it inflates against a limit."""

    def __init__(self, handle: IO[bytes], limit: int, what: str) -> None:
        self.handle = handle
        self.limit = limit
        self.what = what
        self.read_bytes = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self.handle.read(size)
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise ProfileError(f"{self.what} 解压后超过 {self.limit >> 20} MiB，疑似压缩炸弹，拒绝读取")
        return data


class XlsxBook:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise ProfileError(f"{path}：无法读取：不是有效的 .xlsx 文件（{err}）") from None
        try:
            self._check_members()
            self.sheets, self.date1904 = self._workbook()
            self._date_styles = self._styles()
        except BaseException:
            self.zip.close()
            raise
        self._strings: _SharedStrings | None = None

    def close(self) -> None:
        self.zip.close()

    # --- the archive ----------------------------------------------------------------------

    def _check_members(self) -> None:
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            limit = self._limit(info.filename)
            if info.file_size > limit:
                raise ProfileError(
                    f"{self.path}：工作簿的 {info.filename} 声明解压后为 {info.file_size >> 20} MiB，"
                    f"超过上限 {limit >> 20} MiB，拒绝读取（疑似压缩炸弹）")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise ProfileError(
                    f"{self.path}：工作簿的 {info.filename} 压缩比为 {ratio:.0f} 倍，"
                    f"超过上限 {MAX_RATIO} 倍，拒绝读取（疑似压缩炸弹）")
        if total > MAX_SHEET_BYTES + MAX_SHARED_STRINGS_BYTES:
            raise ProfileError(f"{self.path}：工作簿解压后共 {total >> 20} MiB，超过上限，拒绝读取")

    @staticmethod
    def _limit(name: str) -> int:
        if name.startswith("xl/worksheets/"):
            return MAX_SHEET_BYTES
        if name.endswith("sharedStrings.xml"):
            return MAX_SHARED_STRINGS_BYTES
        if name.endswith(".xml") or name.endswith(".rels"):
            return MAX_PART_BYTES
        return MAX_SHEET_BYTES  # pictures and the like are never inflated

    def _open(self, name: str, limit: int) -> _Counted:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise ProfileError(f"{self.path}：无法读取：工作簿缺少 {name}") from None
        return _Counted(self.zip.open(info), min(limit, info.file_size), f"{self.path}：{name}")

    def _parse(self, name: str, parser: Any, limit: int = MAX_PART_BYTES) -> None:
        stream = self._open(name, limit)
        try:
            while True:
                data = stream.read(CHUNK)
                parser.Parse(data, not data)
                if not data:
                    break
        except expat.ExpatError as err:
            raise ProfileError(f"{self.path}：无法读取：{name} 已损坏（{err}）") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise ProfileError(f"{self.path}：无法读取：{err}") from None
        finally:
            stream.handle.close()

    def _workbook(self) -> tuple[list[SheetInfo], bool]:
        found: list[tuple[str, str, bool]] = []
        flags = {"date1904": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                found.append((attrs.get("name", ""), rid, attrs.get("state", "visible") != "visible"))
            elif tag == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0") in ("1", "true")

        parser = _parser()
        parser.StartElementHandler = start
        self._parse("xl/workbook.xml", parser)
        targets: dict[str, str] = {}

        def rel(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship":
                targets[attrs.get("Id", "")] = attrs.get("Target", "")

        parser = _parser()
        parser.StartElementHandler = rel
        self._parse("xl/_rels/workbook.xml.rels", parser)
        sheets = []
        for name, rid, hidden in found:
            target = targets.get(rid, "")
            if not target:
                continue
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            sheets.append(SheetInfo(name, part, hidden))
        if not sheets:
            raise ProfileError(f"{self.path}：无法读取：工作簿中没有工作表")
        return sheets, flags["date1904"]

    def _styles(self) -> set[int]:
        if "xl/styles.xml" not in self.zip.NameToInfo:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        where = {"xfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "numFmt":
                with suppress(ValueError):
                    custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                where["xfs"] = True
            elif tag == "xf" and where["xfs"] and len(formats) < MAX_CELL_FORMATS:
                try:
                    formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    formats.append(0)

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                where["xfs"] = False

        parser = _parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        self._parse("xl/styles.xml", parser)
        dates = {fid for fid in custom if _is_date_code(custom[fid])}
        return {i for i, fid in enumerate(formats)
                if fid in dates or (fid in _DATE_FORMAT_IDS and fid not in custom)}

    def _shared(self) -> _SharedStrings:
        if self._strings is None:
            strings = _SharedStrings()
            name = next((n for n in self.zip.NameToInfo if n.lower() == "xl/sharedstrings.xml"), None)
            if name:
                parser = _parser()
                strings.attach(parser)
                self._parse(name, parser, MAX_SHARED_STRINGS_BYTES)
            self._strings = strings
        return self._strings

    # --- sheets ---------------------------------------------------------------------------

    def sheet(self, name: str | None) -> SheetInfo:
        if name is None:
            return next((s for s in self.sheets if not s.hidden), self.sheets[0])
        for sheet in self.sheets:
            if sheet.name == name or sheet.name.strip() == name.strip():
                return sheet
        names = "、".join(s.name for s in self.sheets)
        raise ProfileError(f"{self.path}：没有名为“{name}”的工作表；工作表有：{names}")

    def merges(self, sheet: SheetInfo) -> list[tuple[int, int, int, int]]:
        """The merged ranges (first row, first column, last row, last column), by first row."""
        stream = self._open(sheet.part, MAX_SHEET_BYTES)
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
                            f"{self.path}：工作表“{sheet.name}”的合并单元格超过 {MAX_MERGES} 处")
                tail = window[-200:]
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise ProfileError(f"{self.path}：无法读取：{err}") from None
        finally:
            stream.handle.close()
        covered = sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in found)
        if covered > MAX_MERGED_CELLS:
            raise ProfileError(f"{self.path}：工作表“{sheet.name}”的合并单元格共覆盖 {covered} 个单元格，"
                               f"超过上限 {MAX_MERGED_CELLS}，拒绝读取")
        found.sort()
        return found

    def rows(self, sheet: SheetInfo, fill_merged: bool = True) -> Iterator[RawRow]:
        """Every row from 1 to the last, empty ones included, merged cells filled."""
        merges = self.merges(sheet) if fill_merged else []
        reader = _SheetReader(self, sheet)
        stream = self._open(sheet.part, MAX_SHEET_BYTES)
        parser = _parser()
        reader.attach(parser)
        filler = _MergeFiller(merges)
        last = 0
        try:
            while not reader.done:
                try:
                    data = stream.read(CHUNK)
                    parser.Parse(data, not data)
                except expat.ExpatError as err:
                    raise ProfileError(
                        f"{self.path}：第 {last + 1} 行附近无法读取：工作表已损坏（{err}）") from None
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
                    raise ProfileError(f"{self.path}：第 {last + 1} 行附近无法读取：{err}") from None
                for row in reader.ready:
                    while last + 1 < row.number:
                        last += 1
                        yield filler.fill(RawRow(last, []))
                    last = row.number
                    yield filler.fill(row)
                reader.ready.clear()
                if not data:
                    break
        finally:
            stream.handle.close()

    @property
    def epoch(self) -> datetime:
        return _EPOCH_1904 if self.date1904 else _EPOCH_1900

    def dimension(self, sheet: SheetInfo) -> tuple[int, int] | None:
        """The sheet's stated last row and column, read from the top of its XML."""
        stream = self._open(sheet.part, MAX_SHEET_BYTES)
        try:
            head = stream.read(4096)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
            return None
        finally:
            stream.handle.close()
        match = re.search(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+:)?([A-Z]{1,8})(\d{1,12})"', head)
        if not match:
            return None
        rows, cols = int(match[3]), column_index(match[2].decode())
        if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLUMNS:
            raise ProfileError(f"{self.path}：工作表“{sheet.name}”声明的尺寸 {rows} 行 × {cols} 列"
                               f"超出 Excel 的上限（{MAX_SHEET_ROWS} 行 × {MAX_SHEET_COLUMNS} 列），拒绝读取")
        return rows, cols


def _is_date_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code).lower()
    return bool(re.search(r"[dmyhs]|e(?![+-])|aaa|g", code)) and "general" not in code


class _Handlers:
    """An expat content handler: ``_start``, ``_end`` and ``_text``."""

    def attach(self, parser: Any) -> None:
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def _end(self, name: str) -> None:
        raise NotImplementedError

    def _text(self, data: str) -> None:
        raise NotImplementedError


class _SharedStrings(_Handlers):
    """The workbook's shared strings as one UTF-8 buffer and their offsets."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.offsets = array("I", [0])  # the buffer is at most 128 MiB
        self.oversized: dict[int, int] = {}
        self._parts: list[str] = []
        self._size = 0
        self._collect = False
        self._phonetic = False

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "si":
            self._parts, self._size = [], 0
        elif tag == "t" and not self._phonetic:
            self._collect = True
        elif tag == "rPh":
            self._phonetic = True

    def _text(self, data: str) -> None:
        if self._collect:
            self._size += len(data)
            if self._size <= MAX_CELL_CHARS:
                self._parts.append(data)

    def _end(self, name: str) -> None:
        tag = _local(name)
        if tag == "t":
            self._collect = False
        elif tag == "rPh":
            self._phonetic = False
        elif tag == "si":
            index = len(self.offsets) - 1
            if index >= MAX_SHARED_STRINGS:
                raise ProfileError(f"工作簿的共享字符串超过 {MAX_SHARED_STRINGS} 个，拒绝读取")
            if self._size > MAX_CELL_CHARS:
                self.oversized[index] = self._size
            else:
                self.blob += "".join(self._parts).encode("utf-8", "surrogatepass")
            self.offsets.append(len(self.blob))
            self._parts = []

    def get(self, index: int) -> str | Oversized | None:
        if index in self.oversized:
            return Oversized(self.oversized[index])
        if not 0 <= index < len(self.offsets) - 1:
            return None
        return self.blob[self.offsets[index]:self.offsets[index + 1]].decode("utf-8", "replace")


class _SheetReader(_Handlers):
    def __init__(self, book: XlsxBook, sheet: SheetInfo) -> None:
        self.book = book
        self.sheet = sheet
        self.ready: list[RawRow] = []
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
        tag = _local(name)
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
                    f"{self.book.path}：工作表“{self.sheet.name}”的行号 {number} 顺序错乱或超出上限")
            self._row = number
            self._cells, self._problem, self._row_chars, self._col = {}, None, 0, 0
        elif tag == "sheetData":
            self._data = True
        elif tag == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            found = _CELL_REF.match(last)
            if found and (int(found[2]) > MAX_SHEET_ROWS or column_index(found[1]) > MAX_SHEET_COLUMNS):
                raise ProfileError(f"{self.book.path}：工作表“{self.sheet.name}”声明的尺寸 {last}"
                                   " 超出 Excel 的上限，拒绝读取")

    def _text(self, data: str) -> None:
        if self._collect:
            self._size += len(data)
            if self._size <= MAX_CELL_CHARS and self._row_chars + self._size <= MAX_ROW_CHARS:
                self._parts.append(data)

    def _end(self, name: str) -> None:
        tag = _local(name)
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
                return self.book._shared().get(int(text))
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
        if self._style in self.book._date_styles:
            try:
                return _from_serial(float(text), self.book.epoch)
            except (ValueError, OverflowError):
                return text
        if _INT.match(text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            return text

    def _finish_row(self) -> RawRow:
        cells = self._cells
        width = max(cells, default=0)
        values: list[Any] = [None] * width
        for col, value in cells.items():
            values[col - 1] = value
        self._cells = {}
        return RawRow(self._row, values, problem=self._problem)


def _from_serial(serial: float, epoch: datetime) -> datetime:
    if not 0 <= serial < 2_958_466:
        raise ValueError(serial)
    if epoch == _EPOCH_1900 and serial < 61:
        # Excel counts a 29 February 1900 that never was; serials before it are one day off
        serial += 1
    whole = int(serial)
    seconds = round((serial - whole) * 86400)
    return epoch + timedelta(days=whole, seconds=seconds)


class _MergeFiller:
    """Fills each merged range's cells from its top-left cell as rows stream past."""

    def __init__(self, merges: list[tuple[int, int, int, int]]) -> None:
        self.pending = merges[::-1]  # popped from the end, by first row
        self.active: list[tuple[int, int, int, int, Any]] = []

    def fill(self, row: RawRow) -> RawRow:
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
