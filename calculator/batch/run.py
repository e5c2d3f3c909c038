"""Batch screening: a table of applicants in, one result row per input row out, in order,
plus a per-clause summary of who qualifies and what it could cost.

Rows stream through: memory holds a bounded window of rows, the per-clause counters, and
nothing else; the duplicate check and the policy-centric lists live in a temporary SQLite
file. A bad row becomes an output row that says what is wrong with it; only an input
that cannot be read at all stops the run. With ``workers > 1`` rows are screened in
separate processes (``workers``), and results are written in input order; how one row is
screened is ``screening``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..base.errors import ProfileError, did_you_mean
from ..results.calculator import Calculator
from ..results.screening import Hit
from .columns import CellError, Columns, header_score, resolve
from .outputs import interruptible
from .parquet import is_parquet, open_input, open_output
from .screening import ENGINES, Job, formatted
from .summary import Summary
from .tabular import table_format
from .workers import screened

CHUNK_ROWS = 256
#: The columnar engine decides a chunk at once: larger chunks spread its fixed cost...
COLUMNAR_CHUNK_ROWS = 4096
#: How many refused rows the result keeps for the terminal; the 错误 sheet has them all.
FIRST_ERRORS = 10
Progress = Callable[[int, "int | None"], None]


@dataclass
class BatchResult:
    read: int = 0
    written: int = 0
    with_errors: int = 0
    duplicates: int = 0
    #: template example rows, written but not screened
    examples: int = 0
    unknown_columns: dict[str, str] = field(default_factory=dict)
    #: the input columns carried to the output unchanged
    passthrough: tuple[str, ...] = ()
    summary: Summary | None = None
    outputs: list[Path] = field(default_factory=list)
    #: per selected clause, the closest applicants: (row, name, status, detail)
    candidates: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)
    #: the first refused rows' problems, as the 错误 sheet words them
    first_errors: list[str] = field(default_factory=list)
    #: the row of the header and the sheet read
    header_row: int = 1
    sheet: str | None = None

    @property
    def screened(self) -> int:
        return self.written - self.with_errors - self.examples

    @property
    def line(self) -> str:
        return f"读取 {self.read} 行，输出 {self.written} 行，其中 {self.with_errors} 行有错误"


class _Store:
    """Rows seen so far (for duplicates), candidates per clause and refused rows, on disk."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # a private temporary file, deleted on close
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER)")
        self.db.execute("CREATE TABLE candidate (clause TEXT, closeness REAL, row INTEGER,"
                        " name TEXT, status TEXT, detail TEXT)")
        self.db.execute("CREATE TABLE error (seq INTEGER PRIMARY KEY, row INTEGER, col TEXT,"
                        " value TEXT, problem TEXT, expected TEXT)")

    def first_row(self, key: str, row: int) -> int | None:
        """The row that already had ``key``, or ``None`` after recording it for ``row``."""
        found = self.db.execute("SELECT row FROM seen WHERE key = ?", (key,)).fetchone()
        if found:
            return int(found[0])
        self.db.execute("INSERT INTO seen VALUES (?, ?)", (key, row))
        return None

    def add(self, row: int, name: str, hits: Sequence[Hit], gaps: dict[str, float]) -> None:
        """Candidates: eligible first, then by the number of fields missing, then near
        misses by how far they are."""
        self.db.executemany("INSERT INTO candidate VALUES (?, ?, ?, ?, ?, ?)", [
            (h.clause_id, h.closeness + gaps.get(h.clause_id, 0.0) if h.status == "ineligible"
             else h.closeness, row, name, h.status, _detail(h)) for h in hits])

    def ranked(self, clause: str) -> Iterator[tuple[int, str, str, str]]:
        yield from self.db.execute(
            "SELECT row, name, status, detail FROM candidate WHERE clause = ?"
            " ORDER BY closeness, row", (clause,))

    def add_errors(self, rows: list[list[Any]]) -> None:
        self.db.executemany("INSERT INTO error (row, col, value, problem, expected)"
                            " VALUES (?, ?, ?, ?, ?)", rows)

    def errors(self) -> Iterator[list[Any]]:
        for row in self.db.execute("SELECT row, col, value, problem, expected FROM error ORDER BY seq"):
            yield list(row)

    def close(self) -> None:
        self.db.close()


def _detail(hit: Hit) -> str:
    if hit.status == "eligible":
        return f"{hit.amount}〔{hit.citation}〕"
    if hit.status == "needs_info":
        return "需补充：" + "、".join(hit.missing)
    return "；".join(hit.reasons)


def carried_columns(headers: Sequence[str], columns: Columns | None,
                 keep: Sequence[str] | None, source: Path) -> tuple[str, ...]:
    """The input columns to carry to the output: ``keep``, else every unknown column."""
    clean = [h.strip() for h in headers if h and h.strip()]
    if keep is None:
        return tuple(h for h in clean if columns is not None and h in columns.unknown)
    if clean:
        for name in keep:
            if name not in clean:
                raise ProfileError(f"{source}：--keep 指定的列“{name}”不在表头中{did_you_mean(name, clean)}")
    return tuple(dict.fromkeys(keep))


def screen_table(source: Path, target: Path, *, rules: Path | None = None,
                 as_of: date | None = None, kind: str | None = None,
                 clauses: Collection[str] | None = None, workers: int = 1,
                 progress: Progress | None = None, calculator: Calculator | None = None,
                 chunk_rows: int | None = None, sheet: str | None = None,
                 header_row: int | None = None, keep: Sequence[str] | None = None,
                 engine: str = "columnar", verify_rate: float | None = None) -> BatchResult:
    """Screen every row of ``source`` and write ``target`` (format by extension).

    Outputs replace the previous ones only when all are complete: any error or interruption
    leaves them as they were. ``keep``: the input columns to carry to the output (default:
    every column that is no profile field). Raises ``ProfileError`` only when ``source``
    cannot be read or interpreted at all (or ``target`` is ``source``), ``OutputError``
    when the output cannot be written, and ``RuleFileError`` for unknown clause ids or rules
    that do not load.

    ``engine``: "columnar" decides chunks of rows at once (``batch.columnar``), "rows" one
    row at a time; both give the same output. ``verify_rate``: the share of rows the
    columnar engine screens again row by row (default ``columnar.VERIFY_RATE``)."""
    if engine not in ENGINES:
        raise ValueError(f"engine 应为 {' 或 '.join(ENGINES)}，而不是 {engine!r}")
    if workers > 1:
        # Worker processes screen row by row: columnar workers must be spawned (Polars does
        # not survive a fork) and each compiles the rules again; measured slower than
        # forked row-by-row workers (docs/performance.md).
        engine = "rows"
    if not chunk_rows:
        chunk_rows = CHUNK_ROWS if engine == "rows" else COLUMNAR_CHUNK_ROWS
    if verify_rate is None and engine == "columnar":
        from . import columnar  # Polars starts threads: imported only when used, before no fork

        verify_rate = columnar.VERIFY_RATE
    rate = 0.0 if verify_rate is None else verify_rate
    with interruptible():
        return _screen_table(source, target, rules, as_of, kind, clauses, workers, progress,
                             calculator, chunk_rows, sheet, header_row, keep, engine, rate)


def _screen_table(source: Path, target: Path, rules: Path | None, as_of: date | None,
                  kind: str | None, clauses: Collection[str] | None, workers: int,
                  progress: Progress | None, calculator: Calculator | None, chunk_rows: int,
                  sheet: str | None, header_row: int | None,
                  keep: Sequence[str] | None, engine: str, rate: float) -> BatchResult:
    if not is_parquet(source):
        table_format(source)
    writer = open_output(target, source)  # refuses target == source before anything is read
    calculator = calculator or Calculator.load(rules)
    as_of = as_of or date.today()
    selected = frozenset(clauses) if clauses else None
    for clause_id in selected or ():
        calculator.bundle.clause(clause_id)  # RuleFileError with a did-you-mean
    result = BatchResult()
    store = _Store()
    try:
        with open_input(source, sheet=sheet, header_row=header_row,
                        header_score=header_score(kind)) as table, writer:
            columns = None
            if table.headers:
                try:
                    columns = resolve(table.headers, kind)
                except ValueError as err:
                    raise ProfileError(f"{source}：第 {table.header_row} 行（列名）：{err}") from None
                result.unknown_columns = dict(columns.unknown)
            result.header_row, result.sheet = table.header_row, table.sheet
            carried = carried_columns(table.headers, columns, keep, source)
            if columns is not None and keep is not None:
                result.unknown_columns = {h: hint for h, hint in columns.unknown.items()
                                          if h not in carried}
            result.passthrough = carried
            job = Job(rules, as_of, kind, selected, columns, writer.structured, carried, engine, rate)
            formatter = job.formatter
            kinds = [columns.kind] if columns and columns.kind and not columns.kind_column else None
            summary = Summary(calculator.bundle, as_of, selected, kinds)
            writer.start("筛查结果", formatter.header, formatter.widths)
            for row in screened(calculator, job, table.rows, workers, chunk_rows):
                result.read += 1
                if row.key is not None:
                    first = store.first_row(row.key, row.number)
                    if first is not None:
                        row = formatted(replace(row, screening=None, key=None, errors=(CellError(
                            row.number, "", "", f"重复的申请：与第 {first} 行的{row.key_text}相同，"
                            "本行未计入筛查和汇总"),)), formatter, writer.structured)
                        result.duplicates += 1
                if row.errors:
                    result.with_errors += 1
                    problems = formatter.error_rows(row)
                    store.add_errors(problems)
                    if len(result.first_errors) < FIRST_ERRORS:
                        result.first_errors.append(str(row.errors[0]))
                elif row.example:
                    result.examples += 1
                elif row.screening is not None:
                    summary.add(row.screening)
                    if selected:
                        store.add(row.number, row.name, row.screening.hits, dict(row.gaps))
                writer.write(row.output)
                result.written += 1
                if progress and result.read % chunk_rows == 0:
                    progress(result.read, table.total)
            if progress:
                progress(result.read, table.total)
            result.summary = summary
            writer.sheet("汇总", "summary", summary.header, iter(summary.rows()), SUMMARY_WIDTHS)
            if selected:
                writer.sheet("按条款", "clauses", formatter.candidate_header,
                             iter(formatter.candidate_rows(selected, store.ranked, calculator)),
                             CANDIDATE_WIDTHS)
                for clause_id in sorted(selected):
                    result.candidates[clause_id] = list(store.ranked(clause_id))
            if result.with_errors:
                writer.sheet("错误", "errors", formatter.errors_header, store.errors(), ERROR_WIDTHS)
            result.outputs = [target, *writer.extra_paths]
    finally:
        writer.abort()  # after a successful close, nothing to do
        store.close()
    return result


SUMMARY_WIDTHS = {"条款编号": 30, "条款": 36, "适用对象": 10, "施行状态": 20, "支持内容": 40, "出处": 36,
                  "符合": 8, "待补充信息": 10, "差一项": 8, "保底合计（元）": 18, "最高合计（元）": 18,
                  "含待补充者的最高合计（元）": 22}
CANDIDATE_WIDTHS = {"条款编号": 30, "条款": 36, "名次": 6, "行号": 7, "名称": 22, "状态": 10, "说明": 60}
ERROR_WIDTHS = {"行号": 7, "列": 16, "值": 24, "问题": 60, "应填": 40}
