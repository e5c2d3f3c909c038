"""Screening the rows of a table: each input row becomes exactly one result row, formatted
for output, whichever engine decides it.

A row that cannot be read, has unknown columns, cells that do not parse or facts that
cannot be true on the evaluation date becomes a result that says what is wrong with it.
``Job`` is all a worker process needs to know to do the same (``workers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..base.errors import EvaluationError, ProfileError
from ..profiles.models import profile_values
from ..profiles.values import is_blank, shown
from ..results.calculator import Calculator
from ..results.screening import Screening
from .columns import CellError, Columns, identity, parse_row, resolve
from .gaps import gap
from .layout import RowFormatter, RowResult
from .table import InputRow
from .writer import JsonLine

ENGINES = ("columnar", "rows")
#: The cache of resolved columns by the input row's own keys (or why they do not resolve).
ColumnCache = dict[tuple[str, ...], "Columns | str"]


@dataclass(frozen=True)
class Job:
    """What every worker needs to know, sent once."""

    rules: Path | None
    as_of: date
    kind: str | None
    clauses: frozenset[str] | None
    columns: Columns | None
    #: output rows as JSON objects (JSONL) rather than flat cells
    structured: bool = False
    #: input columns carried to the output unchanged
    passthrough: tuple[str, ...] = ()
    #: "columnar" (chunks decided at once) or "rows" (one row at a time)
    engine: str = "rows"
    #: with the columnar engine, the share of rows screened again row by row and compared
    verify_rate: float = 0.01

    @property
    def formatter(self) -> RowFormatter:
        return RowFormatter(self.passthrough)


def screen_rows(calculator: Calculator, job: Job, rows: Sequence[InputRow],
                cache: ColumnCache) -> list[RowResult]:
    """Screen some rows; every row gives exactly one result, formatted for output."""
    formatter = job.formatter
    if job.engine == "columnar":
        return [formatted(row, formatter, job.structured) for row in _columnar(calculator, job, rows, cache)]
    return [formatted(_screen_row(calculator, job, row, cache), formatter, job.structured)
            for row in rows]


def _columnar(calculator: Calculator, job: Job, rows: Sequence[InputRow],
              cache: ColumnCache) -> list[RowResult]:
    """``batch.columnar`` for the rows it can take, ``_screen_row`` for the others; then
    what the row path adds to a screened row (notes, carried columns, gaps)."""
    from . import columnar  # Polars starts threads: imported only when used, before no fork

    screener = columnar.screener_for(calculator, job.as_of, job.clauses, job.verify_rate)

    def own_columns(row: InputRow) -> Columns | None:
        keys = tuple(k for k in row.cells if k not in job.passthrough)
        found = _columns_for(keys, job.kind, cache)
        return None if isinstance(found, str) or found.unknown or found.example_column else found

    def takes(row: InputRow) -> bool:
        example = job.columns.example_column if job.columns is not None else None
        return not (example and not is_blank(row.cells.get(example)))

    def finish(row: InputRow, result: RowResult, values: dict[str, Any]) -> RowResult:
        gaps: tuple[tuple[str, float], ...] = ()
        if job.clauses and result.screening is not None and result.screening.near_misses:
            gaps = _gaps(calculator, result.screening, values)
        return replace(result, notes=row.notes,
                       passthrough=tuple(row.cells.get(c) for c in job.passthrough), gaps=gaps)

    return screener.chunk(rows, job.columns, own_columns,
                          lambda row: _screen_row(calculator, job, row, cache), takes, finish)


def formatted(row: RowResult, formatter: RowFormatter, structured: bool) -> RowResult:
    output = JsonLine.of(formatter.structured(row)) if structured else formatter.flat(row)
    return replace(row, output=output)


def _screen_row(calculator: Calculator, job: Job, row: InputRow,
                cache: ColumnCache) -> RowResult:
    carried = tuple(row.cells.get(c) for c in job.passthrough)
    if row.problem:
        return RowResult(row.number, "", "", (CellError(row.number, "", "", row.problem),),
                         notes=row.notes, passthrough=carried)
    keys = tuple(k for k in row.cells if k not in job.passthrough)
    columns = job.columns or _columns_for(keys, job.kind, cache)
    if isinstance(columns, str):
        return RowResult(row.number, "", "", (CellError(row.number, "", "", columns),),
                         notes=row.notes, passthrough=carried)
    name = _name_of(row.cells, columns)
    if columns.example_column and not is_blank(row.cells.get(columns.example_column)):
        return RowResult(row.number, name, "", notes=row.notes, passthrough=carried, example=True)
    errors = [CellError(row.number, key, "", f"未知的字段“{key}”{hint}")
              for key, hint in columns.unknown.items()] if job.columns is None else []
    parsed = parse_row(row.number, row.cells, columns)
    if isinstance(parsed, list) or errors:
        errors += parsed if isinstance(parsed, list) else []
        return RowResult(row.number, name, "", tuple(errors), notes=row.notes, passthrough=carried)
    try:
        screening = calculator.screen(parsed, job.as_of, job.clauses)
    except EvaluationError as err:  # no result rather than a wrong one, and the batch goes on
        return RowResult(row.number, name, parsed.kind, (CellError(row.number, "", "", str(err)),),
                         notes=row.notes, passthrough=carried)
    except ProfileError as err:  # facts that cannot be true on the evaluation date
        headers = {field: header for header, field in columns.fields.get(parsed.kind, {}).items()}
        return RowResult(row.number, name, parsed.kind, tuple(
            CellError(row.number, headers.get(p.path, p.path), shown(row.cells.get(headers.get(p.path, ""))),
                      p.message) for p in err.problems), notes=row.notes, passthrough=carried)
    gaps: tuple[tuple[str, float], ...] = ()
    if job.clauses and screening.near_misses:
        gaps = _gaps(calculator, screening, profile_values(parsed, job.as_of))
    key, text = identity(parsed)
    return RowResult(row.number, parsed.name, parsed.kind, (), screening, key, text,
                     notes=row.notes, passthrough=carried, gaps=gaps)


def _columns_for(keys: tuple[str, ...], kind: str | None,
                 cache: ColumnCache) -> Columns | str:
    if keys not in cache:
        try:
            cache[keys] = resolve(list(keys), kind)
        except ValueError as err:
            cache[keys] = str(err)
    return cache[keys]


def _name_of(cells: dict[str, Any], columns: Columns) -> str:
    for fields in columns.fields.values():
        for header, name in fields.items():
            if name == "name" and cells.get(header) not in (None, ""):
                return str(cells[header]).strip()
    return ""

def _gaps(calculator: Calculator, screening: Screening,
          values: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """How far each near miss is, by its clause."""
    return tuple((hit.clause_id, gap(calculator.bundle.clause(hit.clause_id).condition, values))
                 for hit in screening.near_misses)
