"""Parquet in and out, beside the CSV, XLSX and JSONL of ``tabular``, with the same reader
and writer interfaces, so a batch takes any of the four.

Reading streams record batches: a table of any length needs memory for one batch. Rows
are numbered as in a sheet whose first row holds the column names (the first data row is
row 2), so a table converted from CSV to Parquet keeps its row numbers. Writing streams
row groups. Output cells are text except 行号 and 符合条款数, which are integers; amounts
stay exact as decimal text (and 无上限 where there is no maximum).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

from ..base.errors import ProfileError
from .outputs import Committing
from .table import InputRow, Table
from .tabular import open_table
from .writer import JsonLine, Writer

SUFFIX = ".parquet"
BATCH_ROWS = 8192
#: Output columns that hold integers; every other one holds text.
INTEGER_COLUMNS = frozenset({"行号", "符合条款数"})


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == SUFFIX


def open_parquet(path: Path, batch_rows: int = BATCH_ROWS) -> Table:
    """Open a Parquet file as an input table; ``ProfileError`` if it cannot be read."""
    import pyarrow as pa  # imported when used: it starts threads, and batches fork workers
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ProfileError(f"{path}：文件不存在")
    try:
        handle = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as err:
        raise ProfileError(f"{path}：无法读取：{err}") from None
    headers = [str(name).strip() for name in handle.schema_arrow.names]
    if not any(headers):
        raise ProfileError(f"{path}：没有列名")
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            raise ProfileError(f"{path}：列名“{header}”出现了两次")
        seen.add(header)

    def rows() -> Iterator[InputRow]:
        number = 1
        try:
            for batch in handle.iter_batches(batch_size=batch_rows):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for values in zip(*columns, strict=True):
                    number += 1
                    cells = {h: v for h, v in zip(headers, values, strict=True) if h}
                    size = sum(len(v) for v in cells.values() if isinstance(v, str))
                    yield InputRow(number, cells, size=size)
        except (OSError, pa.ArrowException) as err:
            raise ProfileError(f"{path}：第 {number + 1} 行附近无法读取：{err}") from None
        finally:
            handle.close()

    return Table(headers, handle.metadata.num_rows, rows(), [handle.close])


def open_input(path: Path, **options: Any) -> Table:
    """Any input table: Parquet here (``options``, which choose a sheet and its header
    row, do not apply to it), the other formats by ``tabular``."""
    return open_parquet(path) if is_parquet(path) else open_table(path, **options)


def _cell(header: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if header in INTEGER_COLUMNS:
        return int(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


class ParquetWriter(Committing):
    """An output Parquet file, with the interface of ``writer.Writer``: further tables
    go to files ``<stem>.<suffix>.parquet`` beside it."""

    structured = False

    def __init__(self, path: Path, source: Path | None = None, batch_rows: int = BATCH_ROWS) -> None:
        if source is not None and path.resolve() == source.resolve():
            raise ProfileError(f"{path}：输出文件不能是输入文件")
        self.path = path
        #: written here, renamed into place by ``close``; ``abort`` deletes it
        self._partial = path.with_name(f".{path.name}.partial")
        self.extra_paths: list[Path] = []
        self._batch_rows = batch_rows
        self._header: Sequence[str] = ()
        self._schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._rows: list[Sequence[Any]] = []

    def start(self, sheet: str, header: Sequence[str], widths: dict[str, int] | None = None) -> None:
        del sheet, widths
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._header = tuple(header)
        self._schema = pa.schema([(h, pa.int64() if h in INTEGER_COLUMNS else pa.string())
                                  for h in self._header])
        self._writer = pq.ParquetWriter(self._partial, self._schema)

    def write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
        if isinstance(row, (dict, JsonLine)):
            raise TypeError("a Parquet row is a sequence of cells")
        self._rows.append(row)
        if len(self._rows) >= self._batch_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._rows or self._writer is None:
            return
        columns = list(zip(*self._rows, strict=True))
        arrays = [pa.array([_cell(h, v) for v in column], type=self._schema.field(h).type)  # type: ignore[union-attr]
                  for h, column in zip(self._header, columns, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows = []

    def sheet(self, name: str, suffix: str, header: Sequence[str],
              rows: Iterator[Sequence[Any] | dict[str, Any]], widths: dict[str, int] | None = None) -> Path:
        path = self.path.with_name(f"{self.path.stem}.{suffix}{SUFFIX}")
        with ParquetWriter(path) as other:
            other.start(name, header, widths)
            for row in rows:
                other.write(row)
        self.extra_paths.append(path)
        return path

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None
            self._partial.replace(self.path)

    def abort(self) -> None:
        """Drop what was written (after an error); a closed file stays."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._partial.unlink(missing_ok=True)


def open_output(path: Path, source: Path | None = None) -> Writer | ParquetWriter:
    """Any output table: Parquet here, the other formats by ``writer``."""
    return ParquetWriter(path, source) if is_parquet(path) else Writer(path, source)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a Parquet file as a dict (for tests and for merging results)."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows
