"""Reading XLSX: a workbook opened within bounds (``xlsxarchive``), its sheets listed, its
shared strings and date formats read, and one sheet opened as a ``Table``.

The shared strings are kept as one compact UTF-8 buffer. With a header score and no sheet
named, the first visible sheet that has a header row is read (a 填写说明 sheet placed
first has none). The rows of a sheet are ``xlsxsheet``.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..base.errors import ProfileError
from .table import (
    HEADER_SCAN,
    MAX_CELL_CHARS,
    HeaderScore,
    Oversized,
    Record,
    Table,
    cell_texts,
    find_header,
    header_names,
    table_rows,
)
from .xlsxarchive import MAX_SHARED_STRINGS_BYTES, Archive, Handlers, local, xml_parser
from .xlsxsheet import (
    EPOCH_1900,
    EPOCH_1904,
    SheetInfo,
    SheetReader,
    read_dimension,
    read_merges,
    read_rows,
)

#: Distinct shared strings (4 bytes of offset each); Excel itself writes at most a few million.
MAX_SHARED_STRINGS = 8 << 20
#: Cell formats Excel allows.
MAX_CELL_FORMATS = 65_536

_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


class XlsxBook:
    """An open workbook: its sheets, date system and date formats read when it opens, its
    shared strings when a sheet first needs them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive = Archive(path)
        try:
            self.sheets, self.date1904 = self._workbook()
            self._date_styles = self._styles()
        except BaseException:
            self.archive.close()
            raise
        self._strings: _SharedStrings | None = None

    def close(self) -> None:
        self.archive.close()

    def _workbook(self) -> tuple[list[SheetInfo], bool]:
        found: list[tuple[str, str, bool]] = []
        flags = {"date1904": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = local(name)
            if tag == "sheet":
                rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
                found.append((attrs.get("name", ""), rid, attrs.get("state", "visible") != "visible"))
            elif tag == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0") in ("1", "true")

        parser = xml_parser()
        parser.StartElementHandler = start
        self.archive.parse("xl/workbook.xml", parser)
        targets: dict[str, str] = {}

        def rel(name: str, attrs: dict[str, str]) -> None:
            if local(name) == "Relationship":
                targets[attrs.get("Id", "")] = attrs.get("Target", "")

        parser = xml_parser()
        parser.StartElementHandler = rel
        self.archive.parse("xl/_rels/workbook.xml.rels", parser)
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
        if "xl/styles.xml" not in self.archive.names():
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        where = {"xfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = local(name)
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
            if local(name) == "cellXfs":
                where["xfs"] = False

        parser = xml_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        self.archive.parse("xl/styles.xml", parser)
        dates = {fid for fid in custom if _is_date_code(custom[fid])}
        return {i for i, fid in enumerate(formats)
                if fid in dates or (fid in _DATE_FORMAT_IDS and fid not in custom)}

    def _shared(self) -> _SharedStrings:
        if self._strings is None:
            strings = _SharedStrings()
            name = next((n for n in self.archive.names() if n.lower() == "xl/sharedstrings.xml"), None)
            if name:
                parser = xml_parser()
                strings.attach(parser)
                self.archive.parse(name, parser, MAX_SHARED_STRINGS_BYTES)
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
        return read_merges(self.archive, sheet)

    def rows(self, sheet: SheetInfo, fill_merged: bool = True) -> Iterator[Record]:
        """Every row from 1 to the last, empty ones included, merged cells filled."""
        merges = self.merges(sheet) if fill_merged else []
        reader = SheetReader(self.path, sheet, lambda index: self._shared().get(index),
                             self._date_styles, self.epoch)
        return read_rows(self.archive, sheet, reader, merges)

    @property
    def epoch(self) -> datetime:
        return EPOCH_1904 if self.date1904 else EPOCH_1900

    def dimension(self, sheet: SheetInfo) -> tuple[int, int] | None:
        """The sheet's stated last row and column, read from the top of its XML."""
        return read_dimension(self.archive, sheet)


def _is_date_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code).lower()
    return bool(re.search(r"[dmyhs]|e(?![+-])|aaa|g", code)) and "general" not in code



class _SharedStrings(Handlers):
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
        tag = local(name)
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
        tag = local(name)
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


def open_xlsx(path: Path, sheet_name: str | None, header_row: int | None,
              score: HeaderScore | None) -> Table:
    book = XlsxBook(path)
    try:
        sheet = _pick_sheet(book, sheet_name, header_row, score)
        dimension = book.dimension(sheet)
        records = book.rows(sheet)
        header, buffered = find_header(records, path, header_row, score)
        headers = header_names(header, path)
    except BaseException:
        book.close()
        raise
    total = dimension[0] - header.number if dimension and dimension[0] > header.number else None
    return Table(headers, total, table_rows(buffered, records, headers), [book.close], header.number,
                 sheet.name)


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
                        score(cell_texts(row)) >= 2:
                    return sheet
        finally:
            rows.close()  # type: ignore[attr-defined]
    return book.sheet(None)
