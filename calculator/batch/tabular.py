"""Which table format a file is, chosen by its extension: CSV, XLSX or JSONL (Parquet,
optional, is ``parquet``). ``open_table`` opens an input with the reader of its format
(``csvread``, ``xlsxread``, ``jsonlread``), which hands on a ``table.Table``; output tables
are ``writer.Writer``.
"""

from __future__ import annotations

from pathlib import Path

from ..base.errors import ProfileError
from .csvread import open_csv
from .jsonlread import open_jsonl
from .table import HeaderScore, Table
from .xlsxread import open_xlsx

FORMATS = (".csv", ".xlsx", ".jsonl")


def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return suffix
    hint = "；.xls 请先在 Excel 中另存为 .xlsx" if suffix == ".xls" else ""
    raise ProfileError(f"{path}：不支持的文件类型“{suffix or '无扩展名'}”，支持 .csv、.xlsx、.jsonl{hint}")



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
        return open_csv(path, header_row, header_score)
    if fmt == ".xlsx":
        return open_xlsx(path, sheet, header_row, header_score)
    return open_jsonl(path)

