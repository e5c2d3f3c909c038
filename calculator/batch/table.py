"""An input table as every reader hands it on: the header found, rows numbered as the
user sees them, cells matched to the header names.

Readers (``csvread``, ``xlsxread``, ``jsonlread``) split a file into ``Record`` s; this
module finds the header among them (titles and notes may stand above it), turns each
record into an ``InputRow`` and drops only the empty rows at the very end (editors leave
them behind). Every other row is yielded, empty or broken, so that nothing is skipped
silently. The limits every format shares (a cell's characters, a row's bytes, the number
of columns) are here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from ..base.errors import ProfileError

#: Excel's limit on the characters of one cell, applied to every format.
MAX_CELL_CHARS = 32_767
#: One CSV record or JSONL line, in bytes as stored.
MAX_ROW_BYTES = 1 << 20
#: Excel's column limit; a row with more cells is refused.
MAX_COLUMNS = 16_384
#: How many rows may stand above the header (titles, notes) when it is found automatically.
HEADER_SCAN = 20
HeaderScore = Callable[[Sequence[str]], int]


class Oversized:
    """A cell whose text was longer than the limit; only its length is kept."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return f"Oversized({self.length})"


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


def drop_trailing_empty(rows: Iterator[InputRow]) -> Iterator[InputRow]:
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
class Record:
    """One row as split from the file, before it is matched to the headers."""

    number: int
    values: list[Any]
    problem: str | None = None
    #: column index -> the row of the merged range's top-left cell it was filled from
    filled: dict[int, int] = field(default_factory=dict)


def match_cells(record: Record, headers: Sequence[str]) -> InputRow:
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


def header_names(record: Record, path: Path) -> list[str]:
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


def cell_texts(record: Record) -> list[str]:
    return ["" if v is None or isinstance(v, Oversized) else str(v).strip() for v in record.values]


def find_header(records: Iterator[Record], path: Path, header_row: int | None,
                 score: HeaderScore | None) -> tuple[Record, list[Record]]:
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
    seen: list[Record] = []
    for record in records:
        seen.append(record)
        if len(seen) >= HEADER_SCAN:
            break
    if not seen:
        raise ProfileError(f"{path}：第 1 行应为列名（如 姓名、出生日期、学历），实际为空")
    if score is not None:
        scores = [0 if r.problem else score(cell_texts(r)) for r in seen]
        best = max(scores)
        if best > 0:
            at = next(i for i, s in enumerate(scores) if s >= min(best, 2))
            return seen[at], seen[at + 1:]
    return seen[0], seen[1:]


def table_rows(buffered: list[Record], records: Iterator[Record],
               headers: Sequence[str]) -> Iterator[InputRow]:
    """The data rows: the records read while looking for the header, then the rest."""
    return drop_trailing_empty(match_cells(record, headers) for record in chain(buffered, records))
