"""Batch screening: a table of applicants in, one result row per input row out, in order,
plus a per-clause summary of who qualifies and what it could cost.

Rows stream through: memory holds a bounded window of rows, the per-clause counters, and
nothing else; the duplicate check and the policy-centric lists live in a temporary SQLite
file. A bad row becomes an output row that says what is wrong with it; only an input
that cannot be read at all stops the run. With ``workers > 1`` rows are screened in
separate processes (the rules engine holds the GIL), and results are written in input order.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from ..base.errors import EvaluationError, ProfileError
from ..profiles.values import shown
from ..results.calculator import Calculator
from ..results.screening import Hit
from . import columnar
from .columns import CellError, Columns, identity, parse_row, resolve
from .layout import RowFormatter, RowResult
from .parquet import open_input, open_output
from .summary import Summary
from .tabular import InputRow, JsonLine

CHUNK_ROWS = 256
#: The columnar engine decides a chunk at once: larger chunks spread its fixed cost.
COLUMNAR_CHUNK_ROWS = 4096
#: ...but with worker processes the writing process waits for the oldest chunk: smaller
#: chunks keep the workers busy meanwhile.
COLUMNAR_WORKER_CHUNK_ROWS = 1024
ENGINES = ("columnar", "rows")
#: With the columnar engine, worker processes start only for tables of more chunks than this
#: (each spawned worker loads and compiles the rules first: about two seconds here).
SPAWN_AFTER_CHUNKS = 16
Progress = Callable[[int, "int | None"], None]


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
    #: "columnar" (chunks decided at once) or "rows" (one row at a time)
    engine: str = "rows"
    #: with the columnar engine, the share of rows screened again row by row and compared
    verify_rate: float = columnar.VERIFY_RATE


_worker: dict[str, Any] = {}
FORMATTER = RowFormatter()


def _start_worker(job: Job) -> None:
    if "calculator" not in _worker:  # a forked worker already has the parent's
        _worker["calculator"] = Calculator.load(job.rules)
    _worker["job"] = job
    _worker["columns"] = {}


def _screen_chunk(rows: Sequence[InputRow]) -> list[RowResult]:
    return screen_rows(_worker["calculator"], _worker["job"], rows, _worker["columns"])


def screen_rows(calculator: Calculator, job: Job, rows: Sequence[InputRow],
                cache: dict[tuple[str, ...], Columns | str]) -> list[RowResult]:
    """Screen some rows; every row gives exactly one result, formatted for output."""
    if job.engine == "columnar":
        return [_formatted(row, job.structured) for row in _columnar(calculator, job, rows, cache)]
    return [_formatted(_screen_row(calculator, job, row, cache), job.structured) for row in rows]


def _columnar(calculator: Calculator, job: Job, rows: Sequence[InputRow],
              cache: dict[tuple[str, ...], Columns | str]) -> list[RowResult]:
    screener = columnar.screener_for(calculator, job.as_of, job.clauses, job.verify_rate)

    def own_columns(row: InputRow) -> Columns | None:
        found = _columns_for(tuple(row.cells), job.kind, cache)
        return None if isinstance(found, str) or found.unknown else found

    return screener.chunk(rows, job.columns, own_columns,
                          lambda row: _screen_row(calculator, job, row, cache))


def _formatted(row: RowResult, structured: bool) -> RowResult:
    output = JsonLine.of(FORMATTER.structured(row)) if structured else FORMATTER.flat(row)
    return replace(row, output=output)


def _screen_row(calculator: Calculator, job: Job, row: InputRow,
                cache: dict[tuple[str, ...], Columns | str]) -> RowResult:
    if row.problem:
        return RowResult(row.number, "", "", (CellError(row.number, "", "", row.problem),))
    columns = job.columns or _columns_for(tuple(row.cells), job.kind, cache)
    if isinstance(columns, str):
        return RowResult(row.number, "", "", (CellError(row.number, "", "", columns),))
    errors = [CellError(row.number, key, "", f"未知的字段“{key}”{hint}")
              for key, hint in columns.unknown.items()] if job.columns is None else []
    parsed = parse_row(row.number, row.cells, columns)
    name = _name_of(row.cells, columns)
    if isinstance(parsed, list) or errors:
        errors += parsed if isinstance(parsed, list) else []
        return RowResult(row.number, name, "", tuple(errors))
    try:
        screening = calculator.screen(parsed, job.as_of, job.clauses)
    except EvaluationError as err:  # no result rather than a wrong one, and the batch goes on
        return RowResult(row.number, name, parsed.kind, (CellError(row.number, "", "", str(err)),))
    except ProfileError as err:  # facts that cannot be true on the evaluation date
        headers = {field: header for header, field in columns.fields.get(parsed.kind, {}).items()}
        return RowResult(row.number, name, parsed.kind, tuple(
            CellError(row.number, headers.get(p.path, p.path), shown(row.cells.get(headers.get(p.path, ""))),
                      p.message) for p in err.problems))
    key, text = identity(parsed)
    return RowResult(row.number, parsed.name, parsed.kind, (), screening, key, text)


def _columns_for(keys: tuple[str, ...], kind: str | None,
                 cache: dict[tuple[str, ...], Columns | str]) -> Columns | str:
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


@dataclass
class BatchResult:
    read: int = 0
    written: int = 0
    with_errors: int = 0
    duplicates: int = 0
    unknown_columns: dict[str, str] = field(default_factory=dict)
    summary: Summary | None = None
    outputs: list[Path] = field(default_factory=list)
    #: per selected clause, the closest applicants: (row, name, status, detail)
    candidates: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)

    @property
    def line(self) -> str:
        return f"读取 {self.read} 行，输出 {self.written} 行，其中 {self.with_errors} 行有错误"


class _Store:
    """Rows seen so far (for duplicates) and candidates per clause, on disk."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # a private temporary file, deleted on close
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER)")
        self.db.execute("CREATE TABLE candidate (clause TEXT, closeness INTEGER, row INTEGER,"
                        " name TEXT, status TEXT, detail TEXT)")

    def first_row(self, key: str, row: int) -> int | None:
        """The row that already had ``key``, or ``None`` after recording it for ``row``."""
        found = self.db.execute("SELECT row FROM seen WHERE key = ?", (key,)).fetchone()
        if found:
            return int(found[0])
        self.db.execute("INSERT INTO seen VALUES (?, ?)", (key, row))
        return None

    def add(self, row: int, name: str, hits: Sequence[Hit]) -> None:
        self.db.executemany("INSERT INTO candidate VALUES (?, ?, ?, ?, ?, ?)",
                            [(h.clause_id, h.closeness, row, name, h.status, _detail(h)) for h in hits])

    def ranked(self, clause: str) -> Iterator[tuple[int, str, str, str]]:
        yield from self.db.execute(
            "SELECT row, name, status, detail FROM candidate WHERE clause = ?"
            " ORDER BY closeness, row", (clause,))

    def close(self) -> None:
        self.db.close()


def _detail(hit: Hit) -> str:
    if hit.status == "eligible":
        return f"{hit.amount}〔{hit.citation}〕"
    if hit.status == "needs_info":
        return "需补充：" + "、".join(hit.missing)
    return "；".join(hit.reasons)


def screen_table(source: Path, target: Path, *, rules: Path | None = None,
                 as_of: date | None = None, kind: str | None = None,
                 clauses: Collection[str] | None = None, workers: int = 1,
                 progress: Progress | None = None, calculator: Calculator | None = None,
                 chunk_rows: int | None = None, engine: str = "columnar",
                 verify_rate: float | None = None) -> BatchResult:
    """Screen every row of ``source`` and write ``target`` (format by extension).
    Raises ``ProfileError`` only when ``source`` cannot be read or interpreted at all, and
    ``RuleFileError`` for unknown clause ids or rules that do not load.

    ``engine``: "columnar" decides chunks of rows at once (``batch.columnar``), "rows" one
    row at a time; both give the same output. ``verify_rate``: the share of rows the
    columnar engine screens again row by row (default ``columnar.VERIFY_RATE``)."""
    if engine not in ENGINES:
        raise ValueError(f"engine 应为 {' 或 '.join(ENGINES)}，而不是 {engine!r}")
    if not chunk_rows:
        chunk_rows = CHUNK_ROWS if engine == "rows" else (
            COLUMNAR_CHUNK_ROWS if workers <= 1 else COLUMNAR_WORKER_CHUNK_ROWS)
    rate = columnar.VERIFY_RATE if verify_rate is None else verify_rate
    calculator = calculator or Calculator.load(rules)
    as_of = as_of or date.today()
    selected = frozenset(clauses) if clauses else None
    for clause_id in selected or ():
        calculator.bundle.clause(clause_id)  # RuleFileError with a did-you-mean
    result = BatchResult()
    store = _Store()
    with open_input(source) as table:
        columns = None
        if table.headers:
            try:
                columns = resolve(table.headers, kind)
            except ValueError as err:
                raise ProfileError(f"{source}：{err}") from None
            result.unknown_columns = dict(columns.unknown)
        writer = open_output(target)
        job = Job(rules, as_of, kind, selected, columns, writer.structured, engine, rate)
        kinds = [columns.kind] if columns and columns.kind and not columns.kind_column else None
        summary = Summary(calculator.bundle, as_of, selected, kinds)
        with writer:
            writer.start("筛查结果", FORMATTER.header)
            for row in _results(calculator, job, table.rows, workers, chunk_rows):
                result.read += 1
                if row.key is not None:
                    first = store.first_row(row.key, row.number)
                    if first is not None:
                        row = _formatted(RowResult(row.number, row.name, row.kind, (CellError(
                            row.number, "", "", f"重复的申请：与第 {first} 行的{row.key_text}相同，"
                            "本行未计入筛查和汇总"),)), writer.structured)
                        result.duplicates += 1
                if row.errors:
                    result.with_errors += 1
                elif row.screening is not None:
                    summary.add(row.screening)
                    if selected:
                        store.add(row.number, row.name, row.screening.hits)
                writer.write(row.output)
                result.written += 1
                if progress and result.read % chunk_rows == 0:
                    progress(result.read, table.total)
            if progress:
                progress(result.read, table.total)
            result.summary = summary
            writer.sheet("汇总", "summary", summary.header, iter(summary.rows()))
            if selected:
                writer.sheet("按条款", "clauses", FORMATTER.candidate_header,
                             iter(FORMATTER.candidate_rows(selected, store.ranked, calculator)))
                for clause_id in sorted(selected):
                    result.candidates[clause_id] = list(store.ranked(clause_id))
            result.outputs = [target, *writer.extra_paths]
    store.close()
    return result


def _results(calculator: Calculator, job: Job, rows: Iterator[InputRow], workers: int,
             chunk_rows: int) -> Iterator[RowResult]:
    chunks = _chunks(rows, chunk_rows)
    cache: dict[tuple[str, ...], Columns | str] = {}
    if workers > 1 and job.engine == "columnar":
        # Spawned workers each compile the rules before their first row: a table screened
        # sooner than that stays in this process.
        first = list(itertools.islice(chunks, SPAWN_AFTER_CHUNKS))
        if len(first) < SPAWN_AFTER_CHUNKS:
            workers = 1
        chunks = itertools.chain(first, chunks)
    if workers <= 1:
        for chunk in chunks:
            yield from screen_rows(calculator, job, chunk, cache)
        return
    # Forking lets workers start with the compiled rules instead of compiling their own,
    # but is only safe while no other thread could be holding the engine's lock (a backend
    # calling this from a request thread); otherwise workers are spawned fresh.
    # Polars' thread pool does not survive a fork: columnar workers are always spawned.
    fork = (threading.active_count() == 1 and "fork" in get_all_start_methods()
            and job.engine != "columnar")
    if fork:
        _worker["calculator"] = calculator
    # Each columnar worker evaluates on one thread: the workers are the parallelism, and a
    # thread pool per worker would only fight over the same cores (inherited at spawn).
    threads = os.environ.get("POLARS_MAX_THREADS")
    if job.engine == "columnar" and threads is None:
        os.environ["POLARS_MAX_THREADS"] = "1"
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork" if fork else "spawn"),
                                 initializer=_start_worker, initargs=(job,)) as pool:
            pending: deque[Future[list[RowResult]]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_screen_chunk, chunk))
                if len(pending) >= 2 * workers:  # a bounded window keeps memory flat
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
    finally:
        _worker.clear()
        if job.engine == "columnar" and threads is None:
            os.environ.pop("POLARS_MAX_THREADS", None)


def _chunks(rows: Iterator[InputRow], size: int) -> Iterator[list[InputRow]]:
    chunk: list[InputRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

