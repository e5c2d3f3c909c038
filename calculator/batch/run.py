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
import signal
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from ..base.errors import EvaluationError, ProfileError, did_you_mean
from ..profiles.models import profile_values
from ..profiles.values import is_blank, shown
from ..results.calculator import Calculator
from ..results.screening import Hit
from .columns import CellError, Columns, header_score, identity, parse_row, resolve
from .gaps import gap
from .layout import RowFormatter, RowResult
from .outputs import interruptible
from .parquet import is_parquet, open_input, open_output
from .summary import Summary
from .table import InputRow
from .tabular import table_format
from .writer import JsonLine

CHUNK_ROWS = 256
#: The columnar engine decides a chunk at once: larger chunks spread its fixed cost...
COLUMNAR_CHUNK_ROWS = 4096
#: With the columnar engine, worker processes start only for tables of more chunks than this
#: (each spawned worker loads and compiles the rules first: about two seconds here).
SPAWN_AFTER_CHUNKS = 16
ENGINES = ("columnar", "rows")
#: A chunk of rows is also cut at this many characters, so that rows near the size limit
#: do not pile up in memory (256 rows of 1 MiB would).
CHUNK_CHARS = 4 << 20
#: How many refused rows the result keeps for the terminal; the 错误 sheet has them all.
FIRST_ERRORS = 10
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
    #: input columns carried to the output unchanged
    passthrough: tuple[str, ...] = ()
    #: "columnar" (chunks decided at once) or "rows" (one row at a time)
    engine: str = "rows"
    #: with the columnar engine, the share of rows screened again row by row and compared
    verify_rate: float = 0.01

    @property
    def formatter(self) -> RowFormatter:
        return RowFormatter(self.passthrough)


_worker: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends, however it ends: Linux
    sends a signal (PR_SET_PDEATHSIG); elsewhere a thread watches for the parent."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(job: Job, parent: int) -> None:
    # Ctrl-C reaches every process of the terminal; the parent stops the workers itself,
    # and a forked worker must not run the parent's SIGTERM handler (``interruptible``).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent(parent)
    if "calculator" not in _worker:  # a forked worker already has the parent's
        _worker["calculator"] = Calculator.load(job.rules)
    _worker["job"] = job
    _worker["columns"] = {}


def _screen_chunk(rows: Sequence[InputRow]) -> list[RowResult]:
    return screen_rows(_worker["calculator"], _worker["job"], rows, _worker["columns"])


def screen_rows(calculator: Calculator, job: Job, rows: Sequence[InputRow],
                cache: dict[tuple[str, ...], Columns | str]) -> list[RowResult]:
    """Screen some rows; every row gives exactly one result, formatted for output."""
    formatter = job.formatter
    if job.engine == "columnar":
        return [_formatted(row, formatter, job.structured) for row in _columnar(calculator, job, rows, cache)]
    return [_formatted(_screen_row(calculator, job, row, cache), formatter, job.structured)
            for row in rows]


def _columnar(calculator: Calculator, job: Job, rows: Sequence[InputRow],
              cache: dict[tuple[str, ...], Columns | str]) -> list[RowResult]:
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
            gaps = tuple((hit.clause_id, gap(calculator.bundle.clause(hit.clause_id).condition, values))
                         for hit in result.screening.near_misses)
        return replace(result, notes=row.notes,
                       passthrough=tuple(row.cells.get(c) for c in job.passthrough), gaps=gaps)

    return screener.chunk(rows, job.columns, own_columns,
                          lambda row: _screen_row(calculator, job, row, cache), takes, finish)


def _formatted(row: RowResult, formatter: RowFormatter, structured: bool) -> RowResult:
    output = JsonLine.of(formatter.structured(row)) if structured else formatter.flat(row)
    return replace(row, output=output)


def _screen_row(calculator: Calculator, job: Job, row: InputRow,
                cache: dict[tuple[str, ...], Columns | str]) -> RowResult:
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
        values = profile_values(parsed, job.as_of)
        gaps = tuple((hit.clause_id, gap(calculator.bundle.clause(hit.clause_id).condition, values))
                     for hit in screening.near_misses)
    key, text = identity(parsed)
    return RowResult(row.number, parsed.name, parsed.kind, (), screening, key, text,
                     notes=row.notes, passthrough=carried, gaps=gaps)


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


def _passthrough(headers: Sequence[str], columns: Columns | None,
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
            carried = _passthrough(table.headers, columns, keep, source)
            if columns is not None and keep is not None:
                result.unknown_columns = {h: hint for h, hint in columns.unknown.items()
                                          if h not in carried}
            result.passthrough = carried
            job = Job(rules, as_of, kind, selected, columns, writer.structured, carried, engine, rate)
            formatter = job.formatter
            kinds = [columns.kind] if columns and columns.kind and not columns.kind_column else None
            summary = Summary(calculator.bundle, as_of, selected, kinds)
            writer.start("筛查结果", formatter.header, formatter.widths)
            for row in _results(calculator, job, table.rows, workers, chunk_rows):
                result.read += 1
                if row.key is not None:
                    first = store.first_row(row.key, row.number)
                    if first is not None:
                        row = _formatted(replace(row, screening=None, key=None, errors=(CellError(
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


def _results(calculator: Calculator, job: Job, rows: Iterator[InputRow], workers: int,
             chunk_rows: int) -> Iterator[RowResult]:
    chunks: Iterator[list[InputRow]] = _chunks(rows, chunk_rows)
    if workers > 1 and job.engine == "columnar":
        # Spawned workers each compile the rules before their first row: a table screened
        # sooner than that stays in this process.
        first = list(itertools.islice(chunks, SPAWN_AFTER_CHUNKS))
        if len(first) < SPAWN_AFTER_CHUNKS:
            workers = 1
        chunks = itertools.chain(first, chunks)
    if workers <= 1:
        cache: dict[tuple[str, ...], Columns | str] = {}
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
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork" if fork else "spawn"),
                               initializer=_start_worker, initargs=(job, os.getpid()))
    finished = False
    try:
        pending: deque[Future[list[RowResult]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_screen_chunk, chunk))
            if len(pending) >= 2 * workers:  # a bounded window keeps memory flat
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        finished = True
    finally:
        _worker.clear()
        if job.engine == "columnar" and threads is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        if finished:
            pool.shutdown(wait=True)
        else:  # interrupted: the workers' rows are not wanted
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            # Waiting lets the pool's own thread notice and close its pipes; without it the
            # interpreter's exit hook writes to a closed pipe and prints a traceback.
            pool.shutdown(wait=True, cancel_futures=True)


def _chunks(rows: Iterator[InputRow], size: int) -> Iterator[list[InputRow]]:
    chunk: list[InputRow] = []
    chars = 0
    for row in rows:
        chunk.append(row)
        chars += row.size
        if len(chunk) >= size or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk
