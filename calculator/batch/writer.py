"""Writing output tables: CSV, XLSX or JSONL, a main sheet and further named sheets (further
files beside a CSV or JSONL output).

Every output is written to a temporary file beside its target and all are renamed into
place when the last is complete (``outputs.OutputSet``). Text that Excel would run as a
formula is written so that it stays text (``csv_cell``, ``xlsxwrite.formula_like``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ..base.errors import ProfileError
from .outputs import Committing, OutputSet, refuse_overwriting, remove_stale, write_error
from .table import Oversized
from .tabular import table_format
from .xlsxwrite import XlsxWriter, formula_like

#: Further tables written beside a CSV or JSONL output, by suffix.
SIBLINGS = ("summary", "clauses", "errors")


@dataclass(frozen=True)
class JsonLine:
    """A JSONL row already serialised (by the process that screened it)."""

    text: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> JsonLine:
        return cls(json.dumps(row, ensure_ascii=False, default=str))


class Writer(Committing):
    """An output table with a main sheet and further named sheets (further files beside
    a CSV or JSONL output). Everything is written to temporary files and renamed into
    place by ``close`` (or on leaving the ``with`` block without an error); an error
    removes them and leaves the previous results as they were."""

    def __init__(self, path: Path, source: Path | None = None) -> None:
        self.path = path
        self.format = table_format(path)
        if path.is_dir():
            raise ProfileError(f"{path} 是文件夹，请给出输出文件名（如 结果{self.format}）")
        self.extra_paths: list[Path] = []
        siblings = [self.sibling(s) for s in SIBLINGS] if self.format != ".xlsx" else []
        if source is not None:
            refuse_overwriting(source, [path, *siblings])
        remove_stale([path, *siblings])
        self._outputs = OutputSet()
        # A screening's tables go together: one the previous run wrote beside the output
        # and this run does not is removed with the new results in place.
        self._outputs.obsolete = siblings if source is not None else []
        self._xlsx: XlsxWriter | None = None
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._header: Sequence[str] = ()
        self._closed = False

    def sibling(self, suffix: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.{suffix}{self.path.suffix}")

    @property
    def structured(self) -> bool:
        """Whether rows are written as JSON objects rather than flat cells."""
        return self.format == ".jsonl"

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except OSError as err:
            self.abort()
            raise write_error(err, self.path) from None

    def start(self, sheet: str, header: Sequence[str], widths: dict[str, int] | None = None) -> None:
        temp = self._outputs.temp_for(self.path)

        def begin() -> None:
            if self.format == ".xlsx":
                self._xlsx = XlsxWriter(temp)
                self._xlsx.start_sheet(sheet, header, widths)
            elif self.format == ".csv":
                # The BOM makes Excel read the Chinese text as UTF-8.
                self._handle = temp.open("w", encoding="utf-8-sig", newline="", errors="replace")
                self._csv = csv.writer(self._handle)
                self._csv.writerow(header)
            else:
                self._handle = temp.open("w", encoding="utf-8", errors="replace")
                self._header = header
        self._guard(begin)

    def validate(self, sqref: str, choices: str, message: str) -> None:
        """A drop-down list in the current XLSX sheet; nothing in CSV."""
        if self._xlsx is not None:
            self._xlsx.validate(sqref, choices, message)

    def write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
        self._guard(lambda: self._write(row))

    def _write(self, row: Sequence[Any] | dict[str, Any] | JsonLine) -> None:
        if self.format == ".jsonl":
            assert self._handle is not None
            if isinstance(row, JsonLine):
                self._handle.write(row.text + "\n")
                return
            if not isinstance(row, dict):  # JSONL has no header line: each row names its cells
                row = dict(zip(self._header, row, strict=True))
            self._handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        elif isinstance(row, (dict, JsonLine)):
            raise TypeError("a CSV or XLSX row is a sequence of cells")
        elif self.format == ".csv":
            self._csv.writerow([csv_cell(v) for v in row])
        else:
            assert self._xlsx is not None
            self._xlsx.row(row)

    def sheet(self, name: str, suffix: str, header: Sequence[str],
              rows: Iterator[Sequence[Any] | dict[str, Any]],
              widths: dict[str, int] | None = None) -> Path:
        """Write a further table: a sheet of the workbook, or a file ``<stem>.<suffix>``."""
        if self.format == ".xlsx":
            assert self._xlsx is not None
            xlsx = self._xlsx

            def write_all() -> None:
                xlsx.start_sheet(name, header, widths)
                for row in rows:
                    assert not isinstance(row, dict)
                    xlsx.row(row)
            self._guard(write_all)
            return self.path
        path = self.sibling(suffix)
        temp = self._outputs.temp_for(path)

        def write_file() -> None:
            if self.format == ".csv":
                with temp.open("w", encoding="utf-8-sig", newline="", errors="replace") as handle:
                    out = csv.writer(handle)
                    out.writerow(header)
                    for row in rows:
                        assert not isinstance(row, dict)
                        out.writerow([csv_cell(v) for v in row])
            else:
                with temp.open("w", encoding="utf-8", errors="replace") as handle:
                    for row in rows:
                        if not isinstance(row, dict):
                            row = dict(zip(header, row, strict=True))
                        handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._guard(write_file)
        self.extra_paths.append(path)
        return path

    def close(self) -> None:
        """Finish every output and rename them into place."""
        if self._closed:
            return

        def finish() -> None:
            if self._xlsx is not None:
                self._xlsx.close()
                self._xlsx = None
            if self._handle is not None:
                self._handle.close()
                self._handle = None
        self._guard(finish)
        self._outputs.commit()
        self._closed = True

    def abort(self) -> None:
        """Remove every temporary file; the previous outputs stay as they were."""
        if self._closed:
            return
        self._closed = True
        if self._xlsx is not None:
            self._xlsx.abort()
            self._xlsx = None
        if self._handle is not None:
            with suppress(OSError):
                self._handle.close()
            self._handle = None
        self._outputs.discard()


def csv_cell(value: Any) -> Any:
    """A cell as CSV text. Excel runs a CSV cell starting with = + - @, a tab or a line
    break as a formula; such text gets a leading apostrophe. Numbers are written as
    numbers (a negative amount stays -5), and so is text that is just a number."""
    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, Oversized):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return value
