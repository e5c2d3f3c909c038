"""A streaming XLSX writer: sheets are written row by row straight into the zip archive,
so a table of any length needs the memory of one row and no temporary files elsewhere.

Text is written as inline strings, which no spreadsheet program evaluates; text that a
person editing the cell could turn into a formula (starting with = + - @, a tab or a line
break) also gets Excel's quote prefix. Numbers stay numbers. Each sheet has a bold,
frozen, filtered header row and column widths; text wraps.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from .outputs import OutputError

#: Excel's limits: the characters of one cell, the rows of one sheet.
CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_EPOCH = datetime(1899, 12, 30)

# cellXfs indexes in the styles part below
_HEADER, _TEXT, _MONEY, _DATE, _GENERAL, _QUOTED, _DATETIME = 1, 2, 3, 4, 5, 6, 7
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.##"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/>'
    '<name val="等线"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">'
    '<fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"'
    ' applyAlignment="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def clean_text(text: str) -> str:
    """Text as an XLSX cell can hold it: no control characters, at most 32,767 characters."""
    text = _ILLEGAL.sub("", text)
    if len(text) > CELL_CHARS:
        text = text[: CELL_CHARS - 1] + "…"
    return text


def formula_like(text: str) -> bool:
    """Whether a spreadsheet program could run the text as a formula; a plain number
    such as -5 cannot do anything and is left alone."""
    return text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text)


def display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name(name: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]}({n})"
        n += 1
    return name


class XlsxWriter:
    """Sheets one after another; ``close`` writes the workbook parts."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=5)
        self._sheets: list[tuple[str, int, str | None]] = []  # name, rows, filter range
        self._out: IO[bytes] | None = None
        self._letters: list[str] = []
        self._row = 0
        self._pending: list[str] = []
        self._validations: list[tuple[str, str, str]] = []

    def start_sheet(self, name: str, header: Sequence[str],
                    widths: Mapping[str, int] | None = None) -> None:
        self._end_sheet()
        name = _sheet_name(name, {s[0] for s in self._sheets})
        index = len(self._sheets) + 1
        self._sheets.append((name, 0, None))
        self._out = self._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        self._letters = [column_letter(i) for i in range(1, len(header) + 1)]
        self._row = 0
        self._validations = []
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{self._width(title, widths)}" customWidth="1"/>'
            for i, title in enumerate(header, start=1))
        self._out.write(
            (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}"'
             f' xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
             '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
             '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
             f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
             "<sheetData>").encode())
        self.row(header, style=_HEADER)

    @staticmethod
    def _width(title: str, widths: Mapping[str, int] | None) -> int:
        if widths and title in widths:
            return widths[title]
        return max(8, min(40, display_width(title) + 3))

    def row(self, values: Sequence[Any], style: int | None = None) -> None:
        if self._row >= MAX_ROWS:
            raise OutputError(f"工作表“{self._sheets[-1][0]}”超过 Excel 的 {MAX_ROWS} 行上限："
                              "请输出为 .csv 或 .jsonl；原有的结果文件未改动")
        self._row += 1
        number = self._row
        cells = []
        for letter, value in zip(self._letters, values, strict=False):
            if value is None or value == "":
                continue
            cells.append(_cell(f"{letter}{number}", value, style))
        self._pending.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self._pending) >= 64:
            self._flush()

    def validate(self, sqref: str, choices: str, message: str) -> None:
        """A drop-down list for the cells ``sqref`` of the current sheet."""
        self._validations.append((sqref, choices, message))

    def _flush(self) -> None:
        if self._pending and self._out is not None:
            self._out.write("".join(self._pending).encode("utf-8", "replace"))
        self._pending.clear()

    def _end_sheet(self) -> None:
        if self._out is None:
            return
        self._flush()
        tail = "</sheetData>"
        name, _, _ = self._sheets[-1]
        area = None
        if self._letters:
            area = f"A1:{self._letters[-1]}{max(self._row, 1)}"
            tail += f'<autoFilter ref="{area}"/>'
        if self._validations:
            tail += f'<dataValidations count="{len(self._validations)}">' + "".join(
                f'<dataValidation type="list" allowBlank="1" showErrorMessage="1"'
                f' errorTitle="取值无效" error={quoteattr(message)} sqref="{sqref}">'
                f"<formula1>{escape(chr(34) + choices + chr(34))}</formula1></dataValidation>"
                for sqref, choices, message in self._validations) + "</dataValidations>"
        tail += "</worksheet>"
        self._out.write(tail.encode())
        self._out.close()
        self._out = None
        self._sheets[-1] = (name, self._row, area)

    def close(self) -> None:
        if not self._sheets:
            self.start_sheet("Sheet", [])
        self._end_sheet()
        sheets = self._sheets
        z = self._zip
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        entries = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                          for i, (name, _, _) in enumerate(sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_absolute(name, area))}</definedName>"
            for i, (name, _, area) in enumerate(sheets) if area)
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}"'
            f' xmlns:r="{_REL}"><bookViews><workbookView/></bookViews><sheets>{entries}</sheets>'
            f'{"<definedNames>" + names + "</definedNames>" if names else ""}</workbook>'))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        z.writestr("xl/styles.xml", _STYLES)
        z.close()

    def abort(self) -> None:
        try:
            if self._out is not None:
                self._out.close()
            self._zip.close()
        except (OSError, ValueError):
            pass


def _absolute(sheet: str, area: str) -> str:
    start, end = area.split(":")
    def absolute(ref: str) -> str:
        letters = ref.rstrip("0123456789")
        return f"${letters}${ref[len(letters):]}"
    return f"'{sheet.replace(chr(39), chr(39) * 2)}'!{absolute(start)}:{absolute(end)}"


def _serial(value: date) -> str:
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return repr(delta.days + delta.seconds / 86400)
    return str((value - _EPOCH.date()).days)


def _cell(ref: str, value: Any, style: int | None) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{_s(style or _GENERAL)}><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        if value.is_finite():
            return f'<c r="{ref}"{_s(style or _MONEY)}><v>{format(value, "f")}</v></c>'
        value = str(value)
    elif isinstance(value, int):
        return f'<c r="{ref}"{_s(style or _GENERAL)}><v>{value}</v></c>'
    elif isinstance(value, float):
        if value == value and value not in (float("inf"), float("-inf")):
            return f'<c r="{ref}"{_s(style or _GENERAL)}><v>{value!r}</v></c>'
        value = str(value)
    elif isinstance(value, datetime):
        return f'<c r="{ref}"{_s(style or _DATETIME)}><v>{_serial(value)}</v></c>'
    elif isinstance(value, date):
        return f'<c r="{ref}"{_s(style or _DATE)}><v>{_serial(value)}</v></c>'
    text = clean_text(str(value))
    if style is None:
        style = _QUOTED if formula_like(text) else _TEXT
    return (f'<c r="{ref}" t="inlineStr"{_s(style)}><is><t xml:space="preserve">'
            f"{escape(text)}</t></is></c>")


def _s(style: int) -> str:
    return f' s="{style}"' if style else ""
