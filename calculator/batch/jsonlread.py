"""Reading JSONL: one JSON object a line, each line its own row.

A line is decoded on its own (one line in another encoding is that line's problem);
numbers are read as ``Decimal``; nesting, the size of a line and of each value are
bounded, and a line over ``MAX_ROW_BYTES`` is skipped without being held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from .table import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROW_BYTES, InputRow, Table, drop_trailing_empty

#: How deep a JSONL value may nest (a profile nests at most two levels: a list in an object).
MAX_JSON_DEPTH = 8

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


def open_jsonl(path: Path) -> Table:
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

    return Table([], None, drop_trailing_empty(rows()), [handle.close])


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

