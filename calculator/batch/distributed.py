"""The same batch on a Dask cluster: a folder of partitions (Parquet or CSV files, read in
name order) in, a folder of Parquet partitions and the merged summary out.

The result is the one ``screen_table`` gives for the partitions concatenated into one
table: rows are numbered across partitions as in one sheet (the header is row 1), a row
whose applicant appeared in an earlier row of any partition is marked as a duplicate, and
the summary's counts and sums, added up over the partitions, are exact. It takes two
passes over the data: the first only reads rows and their applicants' identities (as
128-bit digests), the client then finds duplicates across partitions, and the second
screens each partition with the columnar engine and writes it.

Workers need no files of their own: the rule files travel with the tasks, and each worker
compiles them once. Partitions must be readable by the workers under the same path (a
shared file system, or object storage mounted alike).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..base.errors import ProfileError
from ..results.calculator import Calculator, shipped_rules
from ..rules.loading import bundle_files
from . import columnar
from .columns import CellError, Columns, identity, parse_row, resolve
from .parquet import ParquetWriter, is_parquet, open_input
from .run import BatchResult, carried_columns
from .screening import Job, screen_rows
from .summary import Summary
from .table import InputRow
from .workers import in_chunks

PARTITION_SUFFIXES = (".parquet", ".csv")
SUMMARY_NAME = "summary.parquet"
CHUNK_ROWS = 4096

#: One worker process's compiled rules, by bundle version.
_compiled: dict[str, Calculator] = {}


@dataclass(frozen=True)
class Rules:
    """A rule bundle as files, so that workers need no copy of their own."""

    version: str
    files: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, calculator: Calculator, directory: Path | None) -> Rules:
        root = Path(directory) if directory is not None else shipped_rules()
        files = tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in bundle_files(root))
        return cls(calculator.rules_version, files)

    def calculator(self) -> Calculator:
        found = _compiled.get(self.version)
        if found is None:
            with tempfile.TemporaryDirectory() as tmp:
                for name, content in self.files:
                    path = Path(tmp) / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
                found = Calculator.load(tmp)
            _compiled.clear()
            _compiled[self.version] = found
        return found


@dataclass(frozen=True)
class Task:
    rules: Rules
    as_of: date
    kind: str | None
    verify_rate: float
    #: the input columns to carry to the output (``--keep``); ``None``: every unknown column
    keep: tuple[str, ...] | None = None


def partitions(source: Path) -> list[Path]:
    """The partition files of ``source`` (a folder, or one file), in name order."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise ProfileError(f"{source}：文件或目录不存在")
    found = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in PARTITION_SUFFIXES)
    if not found:
        raise ProfileError(f"{source}：目录中没有 .parquet 或 .csv 分区文件")
    return found


def _digest(key: str) -> tuple[int, int]:
    raw = hashlib.blake2b(key.encode(), digest_size=16).digest()
    return int.from_bytes(raw[:8], "big", signed=True), int.from_bytes(raw[8:], "big", signed=True)


def _columns(headers: list[str], kind: str | None, source: Path) -> Columns:
    try:
        return resolve(headers, kind)
    except ValueError as err:
        raise ProfileError(f"{source}：{err}") from None


def scan(path: Path, task: Task) -> tuple[list[str], int, list[tuple[int, int, int]]]:
    """First pass over one partition: its headers, its number of rows, and for each row
    whose applicant can be identified, (row number, identity digest)."""
    calculator = task.rules.calculator()
    screener = columnar.screener_for(calculator, task.as_of, None, task.verify_rate)
    keys: list[tuple[int, int, int]] = []
    count = 0
    with open_input(path) as table:
        columns = _columns(table.headers, task.kind, path)
        for row in table.rows:
            count += 1
            typed = screener.typed(row, columns)
            if typed is not None:
                key, _ = identity(typed[2])
            else:
                parsed = parse_row(row.number, row.cells, columns) if not row.problem else []
                if isinstance(parsed, list):
                    continue
                key, _ = identity(parsed)
            keys.append((row.number, *_digest(key)))
        return table.headers, count, keys


@dataclass
class Partial:
    """What one partition adds to the batch result: counts and per-clause sums."""

    read: int = 0
    with_errors: int = 0
    duplicates: int = 0
    applicants: int = 0
    #: clause id -> [eligible, needs_info, near_miss, min_total, max_total, exposure]
    tallies: dict[str, list[Any]] = field(default_factory=dict)


def _shifted(rows: Iterator[InputRow], offset: int) -> Iterator[InputRow]:
    for row in rows:
        yield InputRow(row.number + offset, row.cells, row.problem)


def screen_partition(path: Path, target: Path, task: Task, offset: int,
                     duplicates: dict[int, int]) -> Partial:
    """Second pass: screen one partition into ``target``; ``duplicates`` maps the
    (global) number of each row that repeats an earlier applicant to that row's number."""
    calculator = task.rules.calculator()
    partial = Partial()
    with open_input(path) as table:
        columns = _columns(table.headers, task.kind, path)
        carried = carried_columns(table.headers, columns, task.keep, path)
        job = Job(None, task.as_of, task.kind, None, columns, structured=False, passthrough=carried,
                  engine="columnar", verify_rate=task.verify_rate)
        formatter = job.formatter
        kinds = [columns.kind] if columns.kind and not columns.kind_column else None
        summary = Summary(calculator.bundle, task.as_of, None, kinds)
        cache: dict[tuple[str, ...], Columns | str] = {}
        with ParquetWriter(target) as writer:
            writer.start("筛查结果", formatter.header)
            for chunk in in_chunks(_shifted(table.rows, offset), CHUNK_ROWS):
                for row in screen_rows(calculator, job, chunk, cache):
                    partial.read += 1
                    first = duplicates.get(row.number)
                    if first is not None and row.key is not None:
                        row = replace(row, screening=None, key=None, errors=(CellError(
                            row.number, "", "", f"重复的申请：与第 {first} 行的{row.key_text}相同，"
                            "本行未计入筛查和汇总"),))
                        row_output: Any = formatter.flat(row)
                        partial.duplicates += 1
                    else:
                        row_output = row.output
                    if row.errors:
                        partial.with_errors += 1
                    elif row.screening is not None:
                        summary.add(row.screening)
                    writer.write(row_output)
    partial.applicants = summary.applicants
    partial.tallies = {cid: [t.eligible, t.needs_info, t.near_miss, t.min_total, t.max_total,
                             t.exposure] for cid, t in summary.tallies.items()}
    return partial


def _plus(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    return None if total is None or amount is None else total + amount


def merge(summary: Summary, partial: Partial) -> None:
    """Add a partition's tallies to ``summary``: counts and sums, exactly."""
    summary.applicants += partial.applicants
    for clause_id, (eligible, needs, near, low, high, exposure) in partial.tallies.items():
        tally = summary.tallies[clause_id]
        tally.eligible += eligible
        tally.needs_info += needs
        tally.near_miss += near
        tally.min_total += low
        tally.max_total = _plus(tally.max_total, high)
        tally.exposure = _plus(tally.exposure, exposure)


def _client(address: str) -> tuple[Any, Any]:
    from dask.distributed import Client, LocalCluster

    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2] or "2"
        if not count.isdigit() or int(count) < 1:
            raise ProfileError(f"--dask {address}：本机集群写作 local 或 local:N（N 为工作进程数）")
        workers = int(count)
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
            env={"POLARS_MAX_THREADS": "1"})  # the workers are the parallelism
        return Client(cluster), cluster  # type: ignore[no-untyped-call]
    return Client(address), None  # type: ignore[no-untyped-call]


def screen_dataset(source: Path, target: Path, *, address: str, rules: Path | None = None,
                   as_of: date | None = None, kind: str | None = None,
                   clauses: Collection[str] | None = None, calculator: Calculator | None = None,
                   verify_rate: float | None = None, keep: Sequence[str] | None = None) -> BatchResult:
    """Screen the partitions of ``source`` on the Dask cluster at ``address``
    (``tcp://host:8786``; ``local`` for a two-worker cluster on this machine, ``local:N``
    for N workers; workers listen on 127.0.0.1 only) and write
    ``target``: a folder of ``part-NNNNN.parquet`` files, one per partition, and
    ``summary.parquet``. ``keep``: the input columns carried to the output, as for
    ``screen_table`` (default: every column that is no profile field). Raises
    ``ProfileError`` when an input cannot be read."""
    if clauses:
        raise ProfileError("--dask 不支持 --clause：按条款排列的候选名单需要在一台机器上筛查")
    calculator = calculator or Calculator.load(rules)
    as_of = as_of or date.today()
    task = Task(Rules.of(calculator, rules), as_of, kind,
                columnar.VERIFY_RATE if verify_rate is None else verify_rate,
                None if keep is None else tuple(keep))
    parts = partitions(source)
    target.mkdir(parents=True, exist_ok=True)
    client, cluster = _client(address)
    try:
        scanned = client.gather(client.map(scan, parts, task=task, pure=False))
        headers = scanned[0][0]
        for path, (other, _, _) in zip(parts, scanned, strict=True):
            if other != headers:
                raise ProfileError(f"{path}：列名与 {parts[0]} 不同，分区应有相同的列")
        offsets, duplicates = _duplicates(scanned)
        outputs = [target / f"part-{i:05d}.parquet" for i in range(len(parts))]
        partials = client.gather(client.map(
            screen_partition, parts, outputs, [task] * len(parts), offsets, duplicates, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    columns = _columns(headers, kind, parts[0])
    kinds = [columns.kind] if columns.kind and not columns.kind_column else None
    summary = Summary(calculator.bundle, as_of, None, kinds)
    carried = carried_columns(headers, columns, task.keep, parts[0])
    unknown = {h: hint for h, hint in columns.unknown.items()  # as screen_table says them
               if task.keep is None or h not in carried}
    result = BatchResult(unknown_columns=unknown, passthrough=carried)
    for partial in partials:
        merge(summary, partial)
        result.read += partial.read
        result.with_errors += partial.with_errors
        result.duplicates += partial.duplicates
    result.written = result.read
    result.summary = summary
    with ParquetWriter(target / SUMMARY_NAME) as writer:
        writer.start("汇总", summary.header)
        for row in summary.rows():
            writer.write(row)
    result.outputs = [*outputs, target / SUMMARY_NAME]
    return result


def _duplicates(scanned: list[tuple[list[str], int, list[tuple[int, int, int]]]]
                ) -> tuple[list[int], list[dict[int, int]]]:
    """Each partition's row-number offset, and its rows that repeat an earlier applicant."""
    offsets: list[int] = []
    first: dict[tuple[int, int], int] = {}
    repeated: list[dict[int, int]] = []
    offset = 0
    for _, count, keys in scanned:
        offsets.append(offset)
        mine: dict[int, int] = {}
        for number, high, low in keys:
            seen = first.setdefault((high, low), number + offset)
            if seen != number + offset:
                mine[number + offset] = seen
        repeated.append(mine)
        offset += count
    return offsets, repeated


__all__ = ["is_parquet", "screen_dataset"]
