"""Reading CSV: the file split into records here, not by the ``csv`` module, so that every
physical record is accounted for.

A quote that is never closed, a bare carriage return or text after a closing quote is
that row's error, and the lines after it are read again as rows of their own. Each row is
decoded on its own (UTF-8, else GB18030), so a row in another encoding is that row's
problem. A row over ``MAX_ROW_BYTES`` or a cell over ``MAX_CELL_CHARS`` is the row's error
and is never held in memory whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..base.errors import ProfileError
from .table import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROW_BYTES,
    HeaderScore,
    Record,
    Table,
    find_header,
    header_names,
    table_rows,
)

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

    def records(self) -> Iterator[Record]:
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
            yield Record(self.number, decoded if problem is None else [], problem)

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


def open_csv(path: Path, header_row: int | None, score: HeaderScore | None) -> Table:
    handle = path.open("rb")
    try:
        records = _CsvSplitter(handle, path).records()
        header, buffered = find_header(records, path, header_row, score)
        headers = header_names(header, path)
    except BaseException:
        handle.close()
        raise
    return Table(headers, None, table_rows(buffered, records, headers), [handle.close], header.number)
